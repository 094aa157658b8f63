#!/usr/bin/env python
"""Retrieval quality of the example retriever: recall@1/5/10 and MRR@10 on held-out
(description -> own module) pairs, for BM25, dense, hybrid (RRF) and hybrid + chunk reranking.

Held-out protocol: the index holds every module of the corpus, but the modules whose pairs are
evaluated are indexed by their code only, without their description; the query is that
description, and the hit is the module's own row. (Querying a description that is itself in the
index would measure string matching, not retrieval.) Other modules keep their descriptions, as in
a production index, so they compete as distractors.

Corpora: `--modules data/<name>/modules.jsonl` (the data pipeline's output; `description` must be
set), and/or `--bench NAME=PATH` to use a benchmark's (prompt, reference) pairs, which are real
human-written specs with their verified designs. A benchmark used here only builds a throwaway
in-memory index for measurement; it never enters a saved index (the build decontaminates
against exactly these references).

    .venv/bin/python scripts/eval_retrieval.py --bench verilogeval-v2-spec=/work/bench/verilog-eval-v2 \
        --bench rtllm-v1.1=/work/bench/rtllm-v1.1 --out results/rag/retrieval.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", action="append", default=[], help="modules.jsonl with descriptions")
    ap.add_argument("--bench", action="append", default=[], help="NAME=PATH of a benchmark used as pairs")
    ap.add_argument("--held-out", type=int, default=0, help="pairs to evaluate (0: all)")
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--modes", nargs="+", default=["bm25", "dense", "hybrid", "hybrid+chunks"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/rag/retrieval.json")
    args = ap.parse_args()

    from eval.benchmarks import get_benchmark
    from rag_index.decontam import DecontamConfig
    from rag_index.embed import Embedder
    from rag_index.index import BuildConfig, RagIndex
    from rag_index.retriever import Retriever
    from rag_index.store import Snippet, load_modules

    pairs: list[Snippet] = []
    corpora = []
    for m in args.modules:
        rows = [s for s in load_modules(Path(m)) if s.text.strip()]
        pairs.extend(rows)
        corpora.append({"modules": m, "pairs": len(rows)})
    for spec in args.bench:
        name, _, path = spec.partition("=")
        tasks = get_benchmark(name, path or None).load()
        for t in tasks.values():
            pairs.append(Snippet(id=f"{name}/{t.task_id}", kind="example", text=t.prompt.strip(),
                                 code=t.reference, name=t.task_id, source=name, license="benchmark"))
        corpora.append({"bench": name, "pairs": len(tasks)})
    if not pairs:
        sys.exit("give --modules or --bench")
    rng = random.Random(args.seed)
    held = list(range(len(pairs)))
    rng.shuffle(held)
    held = set(held[:args.held_out] if args.held_out else held)

    docs = []
    for i, s in enumerate(pairs):
        docs.append(Snippet(id=s.id, kind="example", text="" if i in held else s.text, code=s.code, name="",
                            source=s.source, license=s.license))
    cfg = BuildConfig(builtin_knowledge=False, max_code_chars=10**9, decontam=DecontamConfig(benchmarks=[]))
    emb = Embedder(args.embedder)
    idx = RagIndex(emb, cfg)
    t0 = time.perf_counter()
    stats = idx.add(docs, progress=True)
    build_s = time.perf_counter() - t0
    row_of = {s.id: n for n, s in enumerate(idx.parts["example"].snippets)}
    r = Retriever(idx)
    queries = [(pairs[i].text, pairs[i].id) for i in sorted(held) if pairs[i].id in row_of]
    results = {}
    for mode in args.modes:
        base, _, rerank = mode.partition("+")
        ranks = []
        t0 = time.perf_counter()
        for q, target in queries:
            qv = emb.encode_query(q) if base != "bm25" or rerank else None
            hits = r.search(q, "example", 10, mode=base, rerank=rerank or "none", qvec=qv)
            ids = [h.snippet.id for h in hits]
            ranks.append(ids.index(target) + 1 if target in ids else None)
        n = len(ranks)
        results[mode] = {
            "recall@1": round(sum(1 for x in ranks if x and x <= 1) / n, 4),
            "recall@5": round(sum(1 for x in ranks if x and x <= 5) / n, 4),
            "recall@10": round(sum(1 for x in ranks if x and x <= 10) / n, 4),
            "mrr@10": round(sum(1 / x for x in ranks if x) / n, 4),
            "seconds_per_query": round((time.perf_counter() - t0) / n, 4),
        }
        print(mode, results[mode], flush=True)
    report = {"command": " ".join(sys.argv), "corpora": corpora, "index_size": len(row_of),
              "held_out_pairs": len(queries), "dropped_duplicates": stats["duplicate"],
              "embedder": emb.info()["name"], "build_s": round(build_s, 2), "results": results}
    report_path = Path(args.out)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
