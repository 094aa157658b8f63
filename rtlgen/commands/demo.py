"""`rtlgen demo`: one real `rtlgen generate` run on an example spec, sized to finish in a few
minutes on a laptop CPU with the default model."""

from __future__ import annotations

from pathlib import Path

import typer

REPO = Path(__file__).resolve().parents[2]


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        spec: Path = typer.Option(REPO / "examples" / "and_gate" / "spec.txt", "--spec"),
        out_dir: Path = typer.Option(Path("runs") / "demo", "--out-dir"),
        model: str = typer.Option("rtlgen-smollm2-135m", "--model"),
    ) -> None:
        """Generate Verilog for an example spec with its testbench, and say where it went."""
        from rtlgen.cli import main as cli_main

        tb = next((p for p in (spec.parent / "tb.v", spec.parent / "tb.sv") if p.exists()), None)
        out = out_dir / (spec.parent.name + ".v")
        argv = ["generate", str(spec), "-o", str(out), "--model", model, "-n", "4", "--repair", "1",
                "--max-new-tokens", "256", "--shots", "1"]
        if tb is not None:
            argv += ["--tb", str(tb)]
        typer.echo("running: rtlgen " + " ".join(argv))
        rc = cli_main(argv)
        if rc == 2:  # bad input or environment: the message is already printed
            raise SystemExit(rc)
        # rc 1 only means no candidate compiled (the small default model often fails): the demo
        # itself worked, so it reports where everything went and succeeds
        typer.echo(f"demo result: {out.resolve()} (report {out.with_suffix('.report.json').resolve()})")
