"""`rtlgen data procedural`: procedural instruction data (small exact designs, tested problems).

Registered into the existing `data` group (`rtlgen/commands/data.py` registers first: commands are
loaded in name order), so the command sits beside `data build` without touching that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def _data_group(app: typer.Typer) -> typer.Typer:
    for g in app.registered_groups:
        if g.name == "data" and g.typer_instance is not None:
            return g.typer_instance
    data = typer.Typer(help="Data pipeline: collect, clean, decontaminate Verilog; synthesise problems.",
                       no_args_is_help=True)
    app.add_typer(data, name="data")
    return data


def register(app: typer.Typer) -> None:
    data = _data_group(app)

    @data.command("procedural")
    def procedural_cmd(
        out: Path = typer.Option(..., "--out", "-o", help="output folder, e.g. data/procedural"),
        config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML (default data_pipeline/configs/procedural.yaml)"),
        n: Optional[int] = typer.Option(None, "--n", help="target number of designs / rows"),
        seed: Optional[int] = typer.Option(None, "--seed"),
        problems: Optional[int] = typer.Option(None, "--problems", help="validated problems to write (0: none)"),
        workers: Optional[int] = typer.Option(None, "--workers", help="worker processes (at most 2)"),
        set_: Optional[List[str]] = typer.Option(None, "--set", help="config override key=value (repeatable)"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
    ) -> None:
        """Generate small exact designs from parameterised families: compile-checked references, specs in
        our own words, round-2 rows (spec-to-rtl + code-complete), decontaminated, plus tested problems."""
        from data_pipeline.procedural.build import ProceduralConfig, build
        from rtlgen.config import load_config

        default = Path(__file__).resolve().parents[2] / "data_pipeline" / "configs" / "procedural.yaml"
        path = config if config is not None else (default if default.exists() else None)
        over = list(set_ or [])
        for key, val in (("n", n), ("seed", seed), ("problems", problems), ("workers", workers)):
            if val is not None:
                over.append(f"{key}={val}")
        cfg = load_config(ProceduralConfig, path, over)
        rep = build(cfg, out, progress=not quiet)
        c = rep["counts"]
        typer.echo(f"{c['rows']} rows ({', '.join(f'{k} {v}' for k, v in sorted(c['rows_by_kind'].items()))}) from "
                   f"{c['designs_compiled']} designs in {c['families']} families, {c['problems']} problems, "
                   f"{rep['decontam_hits']} decontam drops, {rep['seconds']['total']} s -> {out}")
