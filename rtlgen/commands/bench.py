"""`rtlgen bench list|fetch`: the benchmark registry from the command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from eval.errors import UserError

bench_app = typer.Typer(help="Benchmarks: list the registry, fetch a copy.", no_args_is_help=True)
console = Console()


@bench_app.command("list")
def list_benchmarks() -> None:
    """Show the registered benchmarks."""
    from eval.benchmarks import REGISTRY

    table = Table("name", "description", "source")
    for name, cls in sorted(REGISTRY.items()):
        table.add_row(name, cls.description, f"{cls.repo} ({cls.branch})")
    table.add_row("local:<dir>", "any suite in the VerilogEval v2 layout", "your directory")
    console.print(table)


@bench_app.command("fetch")
def fetch(name: str = typer.Argument(..., help="benchmark name"),
          dest: Path = typer.Argument(..., help="directory to clone into")) -> None:
    """Clone a benchmark with git (needs network)."""
    from eval.benchmarks import REGISTRY, get_benchmark

    if name not in REGISTRY:
        get_benchmark(name, dest)  # raises the did-you-mean error
    cls = REGISTRY[name]
    if not shutil.which("git"):
        raise UserError("git is not installed")
    if dest.exists() and any(dest.iterdir()):
        raise UserError(f"{dest} exists and is not empty")
    cmd = ["git", "clone", "--depth", "1", "--branch", cls.branch, cls.repo, str(dest)]
    console.print("running: " + " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                              env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"})
    except subprocess.TimeoutExpired:
        raise UserError(f"git clone of {cls.repo} timed out (offline?)") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise UserError(f"could not clone {cls.repo} ({last}); are you offline? Copy the benchmark by hand and pass --path")
    console.print(f"fetched {name} into {dest}; use: rtlgen eval --bench {name} --path {dest} …")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
