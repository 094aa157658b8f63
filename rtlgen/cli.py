"""The `rtlgen` command. Each file in `rtlgen/commands/` adds its commands through `register(app)`,
so features land without touching this file; heavy imports stay inside the command bodies so that
`rtlgen --help` is instant.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from rich.console import Console

from eval.errors import UserError

app = typer.Typer(help="LLM-driven Verilog generation, evaluation, data and training.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True)


def _register_commands() -> None:
    import rtlgen.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"rtlgen.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def _click_error_types() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(usage-error types, abort types). Recent typer releases (0.29 here) vendor their own click (`typer._click`),
    whose exceptions are not `click.ClickException`; a bad option then escaped as a traceback."""
    usage: list[type] = []
    abort: list[type] = []
    for name in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        usage += [mod.ClickException] if hasattr(mod, "ClickException") else []
        abort += [mod.Abort] if hasattr(mod, "Abort") else []
    return tuple(usage), tuple(abort)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one red line and exit code 2, never a traceback."""
    try:
        app(args=argv, standalone_mode=False)
    except UserError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]")
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors and the like
        usage_errors, aborts = _click_error_types()
        if isinstance(exc, aborts):
            return 130
        if isinstance(exc, usage_errors):
            exc.show()
            return exc.exit_code
        if isinstance(exc, (OSError, UnicodeDecodeError, ValueError)):
            err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
