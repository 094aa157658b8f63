"""`rtlgen eval`: score samples, references or a model on a benchmark."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from eval.errors import UserError

console = Console(soft_wrap=True)
warn_console = Console(stderr=True, soft_wrap=True)


def _default_out(bench: str, label: str) -> Path:
    safe = bench.replace(":", "_").replace("/", "_")
    return Path("runs") / f"{safe}-{label}-{time.strftime('%Y%m%d-%H%M%S')}"


def eval_command(
    bench: str = typer.Option(..., "--bench", "-b", help="benchmark name, or local:<dir>"),
    path: Optional[Path] = typer.Option(None, "--path", help="local copy of the benchmark (else $RTLGEN_BENCH_DIR/<folder>)"),
    samples: Optional[Path] = typer.Option(None, "--samples", "-s", help="JSONL of {task_id, completion}"),
    reference: bool = typer.Option(False, "--reference", help="score each task's reference solution (the ceiling)"),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="generate samples with this model first"),
    adapter: list[str] = typer.Option([], "--adapter", help="peft LoRA adapter dir (repeatable)"),
    backend: str = typer.Option("hf", "--backend", help="generation backend: hf, openai, vllm"),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="OpenAI-compatible endpoint URL"),
    n: int = typer.Option(1, "-n", help="samples per task"),
    temperature: float = typer.Option(0.0, "--temperature", "-t", help="0 = greedy"),
    top_p: float = typer.Option(0.95, "--top-p"),
    max_new_tokens: int = typer.Option(1024, "--max-new-tokens"),
    shots: int = typer.Option(0, "--shots", help="in-context examples (0-3)"),
    rag: Optional[Path] = typer.Option(None, "--rag", help="RAG index directory"),
    scaffold: bool = typer.Option(False, "--scaffold", help="write spec-to-rtl headers from the specs' port lists "
                                  "and ask for bodies (rtlgen generate's default; off = upstream's protocol)"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size"),
    tasks_filter: Optional[str] = typer.Option(None, "--tasks", help="comma-separated task ids to keep"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="run directory (default runs/<bench>-<label>-<time>)"),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="parallel simulations (default: all cores)"),
    no_cache: bool = typer.Option(False, "--no-cache", help="simulate even if a result is cached"),
    label: Optional[str] = typer.Option(None, "--label", help="name of this run in reports"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    isolation: Optional[str] = typer.Option(None, "--isolation", help="bwrap (default) or rlimits (faster, "
                                            "no file-system namespace; static check, rlimits and group kill remain)"),
) -> None:
    """Score a samples file, the references, or a model's generations on BENCH."""
    from eval.benchmarks import get_benchmark
    from eval.provenance import provenance
    from eval.runner import Evaluator, load_samples
    from eval.scoring import summarize
    from eval.store import write_run

    if isolation:
        import os

        os.environ["RTLGEN_SANDBOX"] = isolation
        from eval.sandbox import bwrap_wanted

        bwrap_wanted()  # validates the value
    if (samples is not None) + reference + (model is not None) != 1:
        raise UserError("give exactly one of --samples FILE, --reference or --model M")
    b = get_benchmark(bench, path)
    ev = Evaluator(b, workers=workers, cache=not no_cache, progress=not quiet)
    task_ids = list(ev.tasks)
    if tasks_filter:
        wanted = [t.strip() for t in tasks_filter.split(",") if t.strip()]
        missing = [t for t in wanted if t not in ev.tasks]
        if missing:
            raise UserError(f"unknown task id(s) for {b.name}: {', '.join(missing[:5])}")
        task_ids = wanted
    label = label or ("reference" if reference else (Path(model).name if model else Path(samples).stem))
    out = out or _default_out(bench, label)
    flags: dict = {"bench": b.name, "workers": ev.workers, "cache": not no_cache, "timeout_s": b.timeout_s}
    extra: dict = {}
    warnings: list[str] = []
    start = time.monotonic()
    if reference:
        refs = ev.run_references()
        results = [{"task_id": t, "completion": ev.tasks[t].reference, **refs[t]} for t in task_ids]
        flags["mode"] = "reference"
    else:
        if model:
            from rtlgen.eval_sampling import generate_benchmark_samples

            out.mkdir(parents=True, exist_ok=True)
            samples = out / "generations.jsonl"
            gen_flags = {"model": model, "adapters": list(adapter), "backend": backend, "endpoint": endpoint, "n": n,
                         "temperature": temperature, "top_p": top_p, "max_new_tokens": max_new_tokens,
                         "shots": shots, "rag": str(rag) if rag else None, "batch_size": batch_size,
                         "scaffold": scaffold}
            flags.update(gen_flags)
            stats = generate_benchmark_samples([ev.tasks[t] for t in task_ids], samples, **gen_flags)
            extra["generation"] = stats
            if rag:
                from rag_index.retriever import load_retriever

                extra["rag_manifest"] = load_retriever(rag).manifest
        sf = load_samples(samples)
        warnings += sf.warnings
        flags["samples"] = str(samples)
        wanted = set(task_ids)
        results, w = ev.evaluate([s for s in sf.samples if s["task_id"] in wanted or s["task_id"] not in ev.tasks])
        warnings += w
    for w in warnings:
        warn_console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    ref_passed = {t: bool(ev.reference[t]["passed"]) for t in task_ids} if ev.reference else None
    stats = summarize(task_ids, results, reference_passed=ref_passed)
    stats["wall_seconds"] = round(time.monotonic() - start, 3)
    stats["simulated"] = ev.simulated
    stats["cache_hits"] = ev.cache.hits
    summary = {"run": label, "benchmarks": {b.name: stats},
               "provenance": provenance(flags, ev.bench_id, extra | {"warnings": warnings[:50]})}
    write_run(out, results, summary)
    pk = ", ".join(f"{k} {100 * v:.1f}%" for k, v in stats["pass@k"].items()) or "pass@k n/a (too few samples per task)"
    console.print(f"[bold]{b.name}[/bold]: {stats['n_passed']}/{stats['n_samples']} samples passed, "
                  f"syntax {100 * stats['syntax_rate']:.1f}%, {pk}; failures {stats['failures'] or '{}'}")
    console.print(f"wrote {out}/samples.jsonl and {out}/summary.json ({stats['wall_seconds']} s, "
                  f"{ev.simulated} simulated, {ev.cache.hits} cached)")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
