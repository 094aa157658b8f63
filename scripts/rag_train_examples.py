#!/usr/bin/env python3
"""Index rows of the benchmarks' grain from round-2 pairs (see rag_index/training.py for why).

Each procedural or real-problem pair becomes one `modules.jsonl` row (description + one whole
module); identical modules are kept once. Feed the output to `rtlgen rag build --data`:

    .venv/bin/python scripts/rag_train_examples.py data/procedural/round2.jsonl data/procedural-v2/round2.jsonl \
        --out data/rag-train/examples.jsonl
    .venv/bin/rtlgen rag build --out data/rag-train/index --data data/real --data data/rag-train/examples.jsonl

The inputs already passed their pipeline's decontamination, and `rag build` decontaminates again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def spread_over_families(rows: list[dict], n: int, seed: int) -> list[dict]:
    """n rows taken round-robin over families (each family's rows shuffled with `seed`)."""
    import random
    from collections import defaultdict

    rng = random.Random(seed)
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r.get("family", "")].append(r)
    queues = [by[f] for f in sorted(by)]
    for q in queues:
        rng.shuffle(q)
    out: list[dict] = []
    while len(out) < n:
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("round2", nargs="+", help="round-2 JSONL files of our own pairs (procedural)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max", type=int, default=0,
                    help="keep at most this many, spread evenly over families (seeded): embedding 30k snippets "
                         "takes ~40 min on a 2-core CPU, and a few hundred per family already cover each one")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    from eval.errors import UserError
    from rag_index.store import read_jsonl
    from rag_index.training import examples_from_pairs

    try:
        rows = []
        for f in map(Path, a.round2):
            if not f.is_file():
                raise UserError(f"round-2 file not found: {f}")
            rows += [r for _, r in read_jsonl(f)]
    except UserError as exc:
        sys.exit(f"error: {exc}")
    ex = examples_from_pairs(rows, source="procedural")
    if a.max and len(ex) > a.max:
        ex = spread_over_families(ex, a.max, a.seed)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        for r in ex:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(json.dumps({"pairs": len(rows), "examples": len(ex), "out": a.out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
