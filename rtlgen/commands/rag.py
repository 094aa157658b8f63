"""`rtlgen rag build|add|query|info`: the retrieval index from the command line.

Settings follow the project convention: a dataclass (`rag_index.index.BuildConfig` for build/add,
`rag_index.retriever.RetrieveConfig` for query) filled from an optional YAML file and `key=value`
overrides (`ann.index_type=hnsw`, `decontam.threshold=0.4`, `example_top_k=3`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from eval.errors import UserError

rag_app = typer.Typer(help="Retrieval index of design examples and knowledge: build, add, query.",
                      no_args_is_help=True)
console = Console()


def _summary(manifest: dict, path: Path, seconds: float | None = None) -> None:
    c, d = manifest["counts"], manifest["dropped"]
    idx = manifest["indexes"]
    took = f" in {seconds:.1f}s" if seconds is not None else ""
    console.print(f"[green]index {path}[/green]{took}: {c['example']} examples ({idx['example']['type']}), "
                  f"{c['knowledge']} knowledge passages ({idx['knowledge']['type']}); dropped "
                  f"{d['contaminated']} contaminated, {d['duplicate']} duplicate, {d['too_long']} too long; "
                  f"embedder {manifest['embedder']['name']} (dim {manifest['dim']}), corpus {manifest['corpus_hash']}")
    dec = manifest.get("decontamination", {})
    if dec.get("benchmarks_missing"):
        console.print(f"[yellow]warning:[/yellow] decontamination could not check {', '.join(dec['benchmarks_missing'])} "
                      f"(not found under decontam.bench_dir / $RTLGEN_BENCH_DIR)")


@rag_app.command("build")
def build(out: Path = typer.Option(..., "--out", "-o", help="index folder to create (replaced if it is an index)"),
          data: Optional[List[Path]] = typer.Option(None, "--data", "-d",
                                                     help="data_pipeline output folder or JSONL file (repeatable)"),
          config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML with BuildConfig fields"),
          embedder: Optional[str] = typer.Option(None, "--embedder", help="sentence-transformers id or path"),
          overrides: Optional[List[str]] = typer.Argument(None, help="key=value overrides")) -> None:
    """Build an index from pipeline outputs plus the built-in design notes."""
    from rag_index.index import BuildConfig, build_index
    from rtlgen.config import load_config

    ov = list(overrides or []) + ([f"embedder={embedder}"] if embedder else [])
    cfg = load_config(BuildConfig, config, ov)
    t0 = time.perf_counter()
    idx = build_index(list(data or []), cfg)
    manifest = idx.save(out)
    _summary(manifest, out, time.perf_counter() - t0)


@rag_app.command("add")
def add(index: Path = typer.Argument(..., help="existing index folder"),
        data: List[Path] = typer.Option(..., "--data", "-d", help="data_pipeline output folder or JSONL file"),
        embedder: Optional[str] = typer.Option(None, "--embedder", help="must be the index's embedder")) -> None:
    """Add snippets to an index without rebuilding it (same decontamination and dedup as build)."""
    from rag_index.index import load_index
    from rag_index.store import load_data_dir

    batches = [(str(p), load_data_dir(p)) for p in data]
    t0 = time.perf_counter()
    idx = load_index(index, embedder_spec=embedder)
    for label, items in batches:
        stats = idx.add(items, source_label=label)
        console.print(f"{label}: added {stats['added']}, contaminated {stats['contaminated']}, "
                      f"duplicate {stats['duplicate']}, too long {stats['too_long']}")
    manifest = idx.save(index)
    _summary(manifest, index, time.perf_counter() - t0)


@rag_app.command("query")
def query(index: Path = typer.Argument(..., help="index folder"),
          text: str = typer.Argument(..., help="query text, or @FILE to read it from a file"),
          k: int = typer.Option(5, "-k", help="how many hits"),
          kind: str = typer.Option("example", "--kind", help="example | knowledge | error"),
          mode: Optional[str] = typer.Option(None, "--mode", help="hybrid | dense | bm25"),
          context: bool = typer.Option(False, "--context",
                                       help="print the prompt text the generator gets instead of a table"),
          as_json: bool = typer.Option(False, "--json", help="hits as JSON lines"),
          embedder: Optional[str] = typer.Option(None, "--embedder", help="must be the index's embedder"),
          overrides: Optional[List[str]] = typer.Argument(None, help="RetrieveConfig key=value overrides")) -> None:
    """Show what the retrievers return for a spec (kind example/knowledge) or a compiler error (kind error)."""
    from rag_index.retriever import clean_error, load_retriever

    if text.startswith("@"):
        p = Path(text[1:]).expanduser()
        if not p.is_file():
            raise UserError(f"query file {p} not found")
        text = p.read_text(encoding="utf-8", errors="replace")
    if kind not in ("example", "knowledge", "error"):
        raise UserError(f"--kind must be example, knowledge or error, not {kind!r}")
    # examples have their own fusion setting (example_mode); knowledge and error lookups use mode
    ov = list(overrides or []) + ([f"{'example_mode' if kind == 'example' else 'mode'}={mode}"] if mode else [])
    r = load_retriever(index, embedder=embedder, overrides=ov)
    if context:
        console.print(r.context_for_error(text) if kind == "error" else r.context_for_spec(text),
                      markup=False, highlight=False, soft_wrap=True)
        return
    q = clean_error(text) if kind == "error" else text
    t0 = time.perf_counter()
    hits = r.search(q, "knowledge" if kind == "error" else kind, k)
    ms = (time.perf_counter() - t0) * 1000
    if as_json:
        for h in hits:
            print(json.dumps({"id": h.snippet.id, "name": h.snippet.name, "score": h.score, "cosine": h.cosine,
                              "dense_rank": h.dense_rank, "bm25_rank": h.bm25_rank, "source": h.snippet.source,
                              "license": h.snippet.license}))
        return
    table = Table("#", "name", "score", "cos", "dense", "bm25", "source", "license", title=f"{len(hits)} hits, {ms:.1f} ms")
    for n, h in enumerate(hits, 1):
        table.add_row(str(n), (h.snippet.name or h.snippet.id).split(" — ")[-1][:60], f"{h.score:.4f}",
                      "" if h.cosine is None else f"{h.cosine:.3f}",
                      "" if h.dense_rank is None else str(h.dense_rank + 1),
                      "" if h.bm25_rank is None else str(h.bm25_rank + 1), h.snippet.source, h.snippet.license)
    console.print(table)


@rag_app.command("info")
def info(index: Path = typer.Argument(..., help="index folder")) -> None:
    """Print an index's manifest (no model is loaded)."""
    from rag_index.index import read_manifest

    m = read_manifest(index)
    m["embedder"] = {k: v for k, v in m["embedder"].items() if k != "probe"}
    print(json.dumps(m, indent=1))


@rag_app.command("tune-embedder")
def tune_embedder(out: Optional[Path] = typer.Option(None, "--out", "-o", help="model folder to write (or out= in the config)"),
                  data: Optional[Path] = typer.Option(None, "--data", "-d", help="data_pipeline modules.jsonl or its folder"),
                  config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML with TuneConfig fields"),
                  overrides: Optional[List[str]] = typer.Argument(None, help="key=value overrides")) -> None:
    """Fine-tune the embedder on (description, code) pairs (in-batch + BM25 hard negatives), held out by
    source repository, and report recall@1/5/10 and MRR of dense and hybrid retrieval before and after.
    The folder it writes is an `--embedder` for `rtlgen rag build`."""
    import shlex
    import sys

    from rag_index.embedder_tune import TuneConfig, run
    from rtlgen.config import load_config

    ov = list(overrides or []) + ([f"out={out}"] if out else []) + ([f"data={data}"] if data else [])
    cfg = load_config(TuneConfig, config, ov)
    report = run(cfg, command="rtlgen " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    console.print(f"[green]tuned embedder {cfg.out}[/green]: {report['train']['train_pairs']} pairs, "
                  f"{report['train']['steps']} steps, {report['train']['seconds']:.0f}s")
    m = report.get("measurement")
    if m:
        table = Table("mode", "embedder", "recall@1", "recall@5", "recall@10", "MRR@10",
                      title=f"held-out test queries: {m['base']['test_pairs']}")
        for label in ("base", "tuned"):
            for key, v in m[label]["test"].items():
                if key == "bm25" and label == "tuned":
                    continue
                table.add_row(key, "-" if key == "bm25" else label, *(f"{v[x]:.3f}" for x in
                                                                       ("recall@1", "recall@5", "recall@10", "mrr@10")))
        console.print(table)
        if cfg.report:
            console.print(f"wrote {cfg.report} and {Path(cfg.report).with_suffix('.md')}")


def register(app: typer.Typer) -> None:
    app.add_typer(rag_app, name="rag")
