"""`rtlgen synth`: synthesise a design for an FPGA target and print its resources (and Fmax).

    rtlgen synth design.v --target xcup --top offload_controller -P E=64 -P S=16
    rtlgen synth a.sv b.sv --target ecp5 --top top --freq 125 --json out.json
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from eval.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        sources: list[Path] = typer.Argument(..., help="Verilog/SystemVerilog files"),
        target: str = typer.Option("xcup", "--target", "-t", help="xcup | ecp5 | ice40"),
        top: str = typer.Option(..., "--top", help="top module name"),
        param: list[str] = typer.Option([], "--param", "-P", help="Verilog parameter KEY=VAL (repeatable)"),
        freq: float = typer.Option(100.0, "--freq", help="ECP5 target clock in MHz"),
        json_out: Path | None = typer.Option(None, "--json", help="also write the result as JSON"),
        timeout: float = typer.Option(900.0, "--timeout", help="seconds per tool run"),
    ) -> None:
        """Synthesise for an FPGA target (UltraScale+ counts; ECP5 place and route with Fmax)."""
        from rich.console import Console
        from rich.table import Table

        from eval.synth import TARGETS, synthesize

        params = {}
        for item in param:
            if "=" not in item:
                raise UserError(f"-P {item!r}: expected KEY=VAL")
            k, v = item.split("=", 1)
            params[k.strip()] = v.strip()
        if target not in TARGETS:
            raise UserError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
        console = Console()
        with console.status(f"synthesising {top} for {TARGETS[target].family}…"):
            res = synthesize(sources, top, target, params=params, freq_mhz=freq, timeout_s=timeout)
        if json_out:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(res.to_dict(), indent=1))
        if not res.ok:
            raise UserError(res.error.strip().splitlines()[-1] if res.error.strip() else "synthesis failed")
        t = Table(title=f"{top} on {TARGETS[target].family} ({TARGETS[target].device})")
        t.add_column("resource")
        t.add_column("count", justify="right")
        for k, v in res.resources.items():
            t.add_row(k, str(v))
        for k, v in res.utilisation.items():
            t.add_row(f"{k} (used/avail)", f"{v['used']}/{v['available']}")
        for clk, f in res.fmax_mhz.items():
            t.add_row(f"Fmax {clk} (MHz)", f"{f:.2f}")
        console.print(t)
        if TARGETS[target].note:
            console.print(f"[dim]{TARGETS[target].note}[/dim]")
