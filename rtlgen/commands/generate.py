"""`rtlgen generate SPEC`: natural-language spec in, checked Verilog out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from eval.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        spec: Path = typer.Argument(..., help="text file with the design description"),
        output: Optional[Path] = typer.Option(None, "-o", "--output", help="where the Verilog goes (default: <spec>.v)"),
        model: Optional[str] = typer.Option(None, "--model", "-m", help="alias, HF id, local dir or .gguf (default rtlgen-smollm2-135m: our fine-tuned adapters on SmolLM2-135M)"),
        adapter: list[str] = typer.Option([], "--adapter", help="peft LoRA adapter dir (repeatable; merged in order)"),
        n: Optional[int] = typer.Option(None, "-n", help="candidates to sample (default 4; 1 = greedy)"),
        tb: Optional[str] = typer.Option(None, "--tb", help="testbench: Verilog (.v/.sv) or cocotb test (.py)"),
        tb_top: Optional[str] = typer.Option(None, "--tb-top", help="top module of a Verilog testbench"),
        repair: Optional[int] = typer.Option(None, "--repair", help="repair rounds fed with tool errors (default 2)"),
        top: Optional[str] = typer.Option(None, "--top", help="module name (default: from the spec, else TopModule)"),
        backend: Optional[str] = typer.Option(None, "--backend", help="hf, openai or vllm"),
        endpoint: Optional[str] = typer.Option(None, "--endpoint", help="OpenAI-compatible URL (with --backend openai)"),
        shots: Optional[int] = typer.Option(None, "--shots", help="in-context examples 0-3 (default 1)"),
        temperature: Optional[float] = typer.Option(None, "--temperature"),
        max_new_tokens: Optional[int] = typer.Option(None, "--max-new-tokens"),
        rag: Optional[str] = typer.Option(None, "--rag", help="retrieval index built by `rtlgen rag build`"),
        select: Optional[str] = typer.Option(None, "--select", help="tie-break among equally good candidates: "
                                             "consensus (default: the behaviour most candidates share) or first"),
        scaffold: Optional[bool] = typer.Option(None, "--scaffold/--no-scaffold", help="write the module header from "
                                                "the spec's port list and ask for the body (default on)"),
        device: Optional[str] = typer.Option(None, "--device", help="auto, cpu, cuda, cuda:1…"),
        dtype: Optional[str] = typer.Option(None, "--dtype", help="auto, bf16, fp16, fp32"),
        config: Optional[Path] = typer.Option(None, "--config", help="YAML with GenerateConfig keys"),
        set_: list[str] = typer.Option([], "--set", help="key=value override of any config key"),
        force: bool = typer.Option(False, "--force", help="overwrite an existing default output file"),
        hierarchical: bool = typer.Option(False, "--hierarchical", help="decompose into sub-modules, generate and "
                                          "test each bottom-up, assemble, check the whole (rtlgen.hierarchical)"),
        plan: Optional[Path] = typer.Option(None, "--plan", help="YAML/JSON decomposition for --hierarchical "
                                            "(default: the model writes one)"),
        quiet: bool = typer.Option(False, "--quiet", "-q"),
    ) -> None:
        """Generate N candidates, check them (Icarus, Verilator, your testbench), repair, keep the best."""
        from rich.console import Console

        from rtlgen.config import load_config
        from rtlgen.generate import GenerateConfig, generate_rtl, read_spec, write_outputs

        console = Console(stderr=True)
        log = (lambda *a: None) if quiet else (lambda msg: console.print(msg, highlight=False))
        flags = {"model": model, "n": n, "tb": tb, "tb_top": tb_top, "repair_rounds": repair, "top": top,
                 "backend": backend, "endpoint": endpoint, "shots": shots, "temperature": temperature,
                 "max_new_tokens": max_new_tokens, "rag": rag, "device": device, "dtype": dtype, "select": select,
                 "scaffold": scaffold}
        overrides = [f"{k}={json.dumps(v)}" for k, v in flags.items() if v is not None]
        if adapter:
            overrides.append(f"adapters={json.dumps(list(adapter))}")
        cfg = load_config(GenerateConfig, config, overrides + list(set_))
        text = read_spec(spec)
        if output is None:
            output = spec.with_suffix(".v") if spec.suffix != ".v" else spec.with_name(spec.stem + ".gen.v")
            if output.exists() and not force:
                raise UserError(f"{output} exists; pass -o FILE or --force to overwrite it")
        if plan is not None and not hierarchical:
            raise UserError("--plan needs --hierarchical")
        if hierarchical:
            from rtlgen.hierarchical import generate_hierarchical

            report, out, rep = generate_hierarchical(text, spec, cfg, plan_path=plan, output=output, log=log,
                                                     progress=not quiet)
            s, a = report["summary"], report["assembled"]
            console.print(f"[bold]{s['blocks_accepted']}/{s['blocks']} blocks accepted[/bold], assembled design: "
                          f"{a['status']} → {out}  (report: {rep})", highlight=False)
            if not a["compiles"]:
                raise SystemExit(1)
            return
        report = generate_rtl(text, cfg, log=log, progress=not quiet)
        out, rep = write_outputs(report, output)
        best = report["candidates"][report["best"]]
        console.print(f"[bold]{report['best_status']}[/bold]: candidate {best['index']} of "
                      f"{len(report['candidates'])} → {out}  (report: {rep})", highlight=False)
        g = report["generation"]
        if g["tokens_per_s"]:
            console.print(f"generated {g['tokens']} tokens in {g['seconds']:.1f}s ({g['tokens_per_s']:.1f} tok/s)",
                          highlight=False)
        if not best["check"]["compiles"]:
            raise SystemExit(1)  # typer.Exit would be swallowed in non-standalone mode
