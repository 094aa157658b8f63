"""`rtlgen data build|stats`: build a corpus from a sources config, and print a build's report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from eval.errors import UserError


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Data pipeline: collect, clean, decontaminate Verilog; synthesise problems.",
                       no_args_is_help=True)

    @data.command("build")
    def build_cmd(
        config: Path = typer.Option(..., "--config", "-c", help="data_pipeline/configs/NAME.yaml"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder, e.g. data/NAME"),
        set_: Optional[List[str]] = typer.Option(None, "--set", help="config override key=value (repeatable)"),
        workers: Optional[int] = typer.Option(None, "--workers", help="worker processes (at most 2)"),
        quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
        manifest: Optional[Path] = typer.Option(None, "--manifest", help="also write a manifest YAML here"),
    ) -> None:
        """Run every stage (cached and resumable) and write datasets + report to OUT."""
        from data_pipeline.config import DataConfig
        from data_pipeline.pipeline import build
        from rtlgen.config import load_config

        cfg = load_config(DataConfig, config, list(set_ or []))
        if workers is not None:
            cfg.workers = workers
        if not cfg.name or cfg.name == "corpus":
            cfg.name = config.stem
        report = build(cfg, out, progress=not quiet)
        if manifest:
            from data_pipeline.manifest import write_manifest

            write_manifest(report, manifest)
        c = report["counts"]
        typer.echo(f"{c['modules']} modules, {c['problems']} problems, {c['round1']} round1, {c['round2']} round2, "
                   f"{c['knowledge']} knowledge passages -> {out}")

    @data.command("stats")
    def stats_cmd(dir: Path = typer.Argument(..., help="a build folder (holds report.json)"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
        """Print a build's report."""
        rep = dir / "report.json"
        if not rep.exists():
            raise UserError(f"{dir} holds no report.json (run `rtlgen data build` first)")
        try:
            report = json.loads(rep.read_text())
        except json.JSONDecodeError:
            raise UserError(f"{rep} is not valid JSON") from None
        if as_json:
            typer.echo(json.dumps(report, indent=2))
        elif report.get("kind") == "procedural" or "generation" in report:  # `rtlgen data procedural`
            from data_pipeline.procedural.build import render_md

            typer.echo(render_md(report))
        else:
            from data_pipeline.export import render_md

            typer.echo(render_md(report))

    @data.command("audit")
    def audit_cmd(dir: Path = typer.Argument(..., help="a build folder"),
                  config: Path = typer.Option(..., "--config", "-c", help="the build's config (for its benchmarks)"),
                  quiet: bool = typer.Option(False, "--quiet")) -> None:
        """Re-check every output text against every benchmark with exact Rouge-L (expects 0 matches)."""
        from data_pipeline.audit import audit
        from data_pipeline.config import DataConfig
        from rtlgen.config import load_config

        if not (dir / "round1.jsonl").exists():
            raise UserError(f"{dir} holds no round1.jsonl (run `rtlgen data build` first)")
        cfg = load_config(DataConfig, config)
        res = audit(dir, cfg.decontam.benchmarks, cfg.decontam.rouge_threshold, progress=not quiet)
        typer.echo(f"{res['texts_checked']} texts checked against {res['benchmark_texts']} benchmark texts: "
                   f"{res['matches']} with Rouge-L >= {res['threshold']}")
        if res["matches"]:
            raise typer.Exit(1)

    app.add_typer(data, name="data")
