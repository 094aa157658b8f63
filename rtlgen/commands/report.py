"""`rtlgen report`: leaderboard (Markdown + HTML with charts) from run directories."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def report(runs: list[Path] = typer.Argument(..., help="run directories (each with summary.json)"),
           out: Path = typer.Option(Path("runs/leaderboard"), "--out", "-o", help="output directory")) -> None:
    """Write leaderboard.md and leaderboard.html for RUN…."""
    from eval.report import write_report

    md, html = write_report(runs, out)
    console.print(f"wrote {md} and {html}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
