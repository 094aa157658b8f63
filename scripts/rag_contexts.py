#!/usr/bin/env python3
"""Retrieve the RAG context of every benchmark task here, for a generation run on a machine without
the index (the GPU box has no FAISS index and no embedder).

Per task this calls `Retriever.context_for_spec(task.prompt)` on `load_retriever(INDEX)`: the same
function, index and settings `rtlgen eval --rag INDEX` uses (rtlgen/eval_sampling.py), so a
generation run fed this file sees byte-identical prompts. Rows are
`{"benchmark", "task_id", "prompt_sha", "context"}`; `<out>.manifest.json` holds the index manifest,
the retrieval settings and token statistics. Read it back with `rag_index.contexts.load_contexts`.

Without --k-*/--*-budget flags the retriever's defaults apply (what `rtlgen eval --rag` does);
`--token-budget T` is a total for both parts: knowledge gets min(its default, T/3), examples the rest.

It then audits what would enter the prompts (`--no-audit` skips it): every example code block,
example description and design note of every context is checked with the data pipeline's
Decontaminator (Rouge-L >= 0.5 or 10-gram containment against every benchmark's prompts and
references), and the exact Rouge-L of each context (whole, and per code block) with its own task's
reference is reported. The index build already decontaminated; this checks the end product.

    .venv/bin/python scripts/rag_contexts.py --index data/rag-real --bench-root /work/bench \
        --out data/rag-contexts/contexts.jsonl
    # compact variant budgeted in the generator's own tokens:
    .venv/bin/python scripts/rag_contexts.py --index data/rag-real --out data/rag-contexts/contexts-600.jsonl \
        --token-budget 600 --tokenizer ~/.cache/rtlgen/models/SmolLM2-135M-Instruct.Q4_1-747cb1f0195582d0
The contexts hold third-party code from the corpus: keep them under data/ (gitignored), commit only
the manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, SCORED  # noqa: E402
from rag_index.retriever import context_blocks  # noqa: E402

FOLDERS = {n: DEFAULT_DIRS[n] for n in SCORED}  # name -> folder under --bench-root
def audit(rows: list[dict], tasks: dict, bench_paths: dict, progress) -> dict:
    """Decontaminator verdicts on every retrieved piece, and Rouge-L of each context vs its own reference."""
    from eval.contamination import Decontaminator, load_benchmark_texts, word_tokens
    from eval.contamination import rouge_l as rouge

    dec = Decontaminator(load_benchmark_texts(bench_paths))
    flagged, pieces = [], 0
    worst_whole = {"rouge_l": 0.0}
    worst_block = {"rouge_l": 0.0}
    per_bench: dict[str, dict] = {}

    for r in rows:
        task = tasks[(r["benchmark"], r["task_id"])]
        ref = word_tokens(task.reference or "")
        whole = rouge(word_tokens(r["context"]), ref)
        pb = per_bench.setdefault(r["benchmark"], {"tasks": 0, "max_rouge_l_whole": 0.0, "max_rouge_l_code_block": 0.0})
        pb["tasks"] += 1
        pb["max_rouge_l_whole"] = max(pb["max_rouge_l_whole"], round(whole, 4))
        if whole > worst_whole["rouge_l"]:
            worst_whole = {"rouge_l": round(whole, 4), "benchmark": r["benchmark"], "task_id": r["task_id"]}
        for kind, text in context_blocks(r["context"]):
            pieces += 1
            hit = dec.check(text)
            if hit:
                flagged.append({"benchmark": r["benchmark"], "task_id": r["task_id"], "piece": kind, **hit})
            if kind == "code":
                f = rouge(word_tokens(text), ref)
                pb["max_rouge_l_code_block"] = max(pb["max_rouge_l_code_block"], round(f, 4))
                if f > worst_block["rouge_l"]:
                    worst_block = {"rouge_l": round(f, 4), "benchmark": r["benchmark"], "task_id": r["task_id"]}
        progress()
    return {"decontaminator": "eval.contamination (Rouge-L >= 0.5 or 10-gram containment >= 0.5, all "
                              "prompts and references of the benchmarks below)",
            "benchmarks": list(bench_paths), "pieces_checked": pieces, "flagged": len(flagged),
            "flagged_examples": flagged[:20], "max_rouge_l_own_reference_whole_context": worst_whole,
            "max_rouge_l_own_reference_code_block": worst_block, "per_benchmark": per_bench}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, help="RAG index folder (rtlgen rag build --out ...)")
    ap.add_argument("--bench-root", default="/work/bench", help="folder holding verilog-eval-v1, verilog-eval-v2, rtllm-v1.1")
    ap.add_argument("--benches", default=",".join(FOLDERS))
    ap.add_argument("--out", required=True, help="contexts JSONL to write")
    ap.add_argument("--k-examples", type=int, default=None, help="example_top_k (default: the retriever's)")
    ap.add_argument("--k-knowledge", type=int, default=None, help="knowledge_top_k (default: the retriever's)")
    ap.add_argument("--example-budget", type=int, default=None, help="example_token_budget")
    ap.add_argument("--knowledge-budget", type=int, default=None, help="knowledge_token_budget")
    ap.add_argument("--token-budget", type=int, default=None, help="total for both parts (knowledge min(default, T/3))")
    ap.add_argument("--tokenizer", default=None,
                    help="HF tokenizer (id or folder) of the generator: budgets count its tokens instead of the "
                         "retriever's estimate, which undercounts SmolLM2's by ~10-40%% on READMEs and tables")
    ap.add_argument("--audit", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("overrides", nargs="*", help="further RetrieveConfig key=value overrides (mode=bm25 ...)")
    args = ap.parse_args()

    from rich.progress import Progress

    from eval.benchmarks import get_benchmark
    from eval.errors import UserError
    from rag_index.contexts import context_rows, write_contexts
    from rag_index.retriever import RetrieveConfig, load_retriever

    try:
        ov = list(args.overrides)
        if args.token_budget is not None:
            kb = min(RetrieveConfig.knowledge_token_budget, args.token_budget // 3)
            ov += [f"knowledge_token_budget={kb}", f"example_token_budget={args.token_budget - kb}"]
        for flag, key in (("k_examples", "example_top_k"), ("k_knowledge", "knowledge_top_k"),
                          ("example_budget", "example_token_budget"), ("knowledge_budget", "knowledge_token_budget")):
            if getattr(args, flag) is not None:
                ov.append(f"{key}={getattr(args, flag)}")
        names = [b for b in args.benches.split(",") if b]
        for b in names:
            if b not in FOLDERS and not b.startswith("local:"):
                raise UserError(f"--benches: unknown benchmark {b!r} (known: {', '.join(FOLDERS)}, local:<dir>)")
        root = Path(args.bench_root).expanduser()
        paths = {b: (root / FOLDERS[b] if b in FOLDERS else None) for b in names}
        loaded = {b: get_benchmark(b, p).load() for b, p in paths.items()}
        t0 = time.perf_counter()
        counter = None
        if args.tokenizer:
            from transformers import AutoTokenizer

            try:
                tok = AutoTokenizer.from_pretrained(args.tokenizer)
            except Exception as exc:
                raise UserError(f"cannot load tokenizer {args.tokenizer!r}: {str(exc).splitlines()[0][:200]}") from None

            def counter(text: str) -> int:
                return len(tok(text, add_special_tokens=False).input_ids)
        retriever = load_retriever(args.index, overrides=ov, token_counter=counter)
        load_s = time.perf_counter() - t0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    rows: list[dict] = []
    total = sum(len(t) for t in loaded.values())
    t0 = time.perf_counter()
    with Progress() as prog:
        bar = prog.add_task("retrieving", total=total)
        for b, tasks in loaded.items():
            rows += context_rows(retriever, b, list(tasks.values()), progress=lambda: prog.advance(bar))
    retr_s = time.perf_counter() - t0
    toks = sorted(retriever.count_tokens(r["context"]) for r in rows)
    stats = {"tasks": len(rows), "empty_contexts": sum(1 for r in rows if not r["context"]),
             "token_counter": args.tokenizer or "rag_index.retriever.approx_tokens",
             "tokens": {"mean": round(sum(toks) / len(toks), 1), "p50": toks[len(toks) // 2],
                               "max": toks[-1]} if toks else {},
             "index_load_s": round(load_s, 2), "retrieval_s": round(retr_s, 2),
             "ms_per_task": round(1000 * retr_s / max(len(rows), 1), 1)}
    manifest = {"command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "index": str(args.index),
                "benchmarks": {b: len(t) for b, t in loaded.items()}, "stats": stats,
                "rag_manifest": retriever.manifest}
    if args.audit:
        tasks = {(b, tid): t for b, ts in loaded.items() for tid, t in ts.items()}
        with Progress() as prog:
            bar = prog.add_task("auditing", total=len(rows))
            # every benchmark found under --bench-root, not only the ones retrieved for
            against = {b: root / f for b, f in FOLDERS.items() if (root / f).exists()} | paths
            manifest["audit"] = audit(rows, tasks, against, lambda: prog.advance(bar))
    write_contexts(args.out, rows, manifest)
    print(json.dumps({"out": args.out, **stats, **({"audit": {k: v for k, v in manifest["audit"].items()
                                                               if k not in ("per_benchmark", "flagged_examples")}}
                                                    if args.audit else {})}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
