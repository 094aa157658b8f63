"""`rtlgen report`: leaderboard (Markdown + HTML with charts) from run directories."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def report(runs: list[Path] = typer.Argument(None, help="run directories (each with summary.json)"),
           out: Path = typer.Option(Path("runs/leaderboard"), "--out", "-o", help="output directory"),
           showcase: Path = typer.Option(None, "--showcase", help="showcase results folder (e.g. results/showcase)"),
           spec: Path = typer.Option(Path("testbenches/offload_controller/spec.md"), "--spec",
                                     help="the showcase spec quoted on its page")) -> None:
    """Write leaderboard.md and leaderboard.html for RUN…, and the showcase page with --showcase."""
    from eval.errors import UserError

    if not runs and showcase is None:
        raise UserError("give run directories and/or --showcase DIR")
    if runs:
        from eval.report import write_report

        md, html = write_report(runs, out)
        console.print(f"wrote {md} and {html}")
    if showcase is not None:
        from eval.showcase_report import write_showcase

        md, html = write_showcase(showcase, out, spec)
        console.print(f"wrote {md} and {html}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
