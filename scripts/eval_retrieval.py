#!/usr/bin/env python
"""Retrieval quality of the example retriever: recall@1/5/10 and MRR@10 on held-out
(description -> own module) pairs, for BM25, dense and hybrid, with the hybrid fusion tuned on a dev
split and reported on a disjoint test split.

Held-out protocol, fusion tuning and the production-path check: `rag_index.retrieval_eval`
(shared with the embedder fine-tune's before/after measurement, `rtlgen rag tune-embedder`).

Corpora: `--modules data/<name>/modules.jsonl` (the data pipeline's output; `description` must be
set), and/or `--bench NAME=PATH` to use a benchmark's (prompt, reference) pairs (a throwaway
in-memory index; benchmark text never enters a saved index).

    .venv/bin/python scripts/eval_retrieval.py --modules data/real/modules.jsonl --dev 300 --test 300 \
        --out results/rag/retrieval_hybrid.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", action="append", default=[], help="modules.jsonl with descriptions")
    ap.add_argument("--bench", action="append", default=[], help="NAME=PATH of a benchmark used as pairs")
    ap.add_argument("--dev", type=int, default=300, help="dev pairs (fusion tuning)")
    ap.add_argument("--test", type=int, default=300, help="test pairs (reported), disjoint from dev")
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--candidates", type=int, default=50, help="per side, before fusion (RetrieveConfig.candidates)")
    ap.add_argument("--rrf-k", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/rag/retrieval_hybrid.json")
    args = ap.parse_args()

    from eval.benchmarks import get_benchmark
    from rag_index.embed import Embedder
    from rag_index.retrieval_eval import held_out_quality
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
    order = list(range(len(pairs)))
    rng.shuffle(order)
    dev_ids, test_ids = order[:args.dev], order[args.dev:args.dev + args.test]
    if len(test_ids) < args.test:
        sys.exit(f"only {len(pairs)} pairs: --dev {args.dev} + --test {args.test} do not fit")
    emb = Embedder(args.embedder)
    measured = held_out_quality(pairs, dev_ids, test_ids, emb, candidates=args.candidates, rrf_k=args.rrf_k)
    results = measured["test"]
    for k, v in results.items():
        print(f"test  {k:<40} {v}")
    report = {"command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "corpora": corpora, **measured}
    best_key = f"{measured['tuned']['fusion']} w={measured['tuned']['dense_weight']}"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"tuned on dev: {best_key}; wrote {out}")


if __name__ == "__main__":
    main()
