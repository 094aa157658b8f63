#!/usr/bin/env python
"""Audit the retrieved contexts inside a round-2 training file, block by block.

Every training text passes decontamination as a whole (the data pipeline's rule). A retrieval
context, though, is several example modules pasted into the prompt; each of them should pass the
same rule on its own, or a training prompt can carry a near copy of a benchmark reference inside a
longer, innocent-looking text. This reports how many rows carry a context, how many distinct example
blocks they hold, and how many of those the rule (`eval/contamination.py`) flags.

  python scripts/audit_train_contexts.py data/bundle5/default/round2.jsonl --bench-root /work/bench --out audit.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("round2", help="round-2 JSONL whose rows may carry a `context`")
    ap.add_argument("--bench-root", required=True, help="folder holding the benchmark checkouts")
    ap.add_argument("--out", help="JSON report")
    a = ap.parse_args(argv)

    from eval.contamination import DEFAULT_BENCHMARKS, Decontaminator, load_benchmark_texts
    from eval.errors import UserError
    from rag_index.retriever import context_blocks

    t0 = time.time()
    try:
        bench = load_benchmark_texts({name: str(Path(a.bench_root) / folder) for name, folder in DEFAULT_BENCHMARKS.items()})
    except UserError as exc:
        sys.exit(f"error: {exc}")
    dc = Decontaminator(bench)
    rows = with_ctx = whole_flagged = 0
    blocks: dict[str, int] = {}
    for line in Path(a.round2).open(encoding="utf-8"):
        if not line.strip():
            continue
        rows += 1
        r = json.loads(line)
        ctx = r.get("context")
        if not ctx:
            continue
        with_ctx += 1
        if dc.check(r["prompt"] + "\n" + ctx):
            whole_flagged += 1
        for b in (text for kind, text in context_blocks(ctx) if kind == "code"):
            blocks[b] = blocks.get(b, 0) + 1
    flagged = {b: n for b, n in blocks.items() if dc.check(b)}
    report = {"file": a.round2, "rows": rows, "rows_with_context": with_ctx, "whole_prompt_flagged": whole_flagged,
              "context_blocks": sum(blocks.values()), "distinct_blocks": len(blocks),
              "distinct_blocks_flagged": len(flagged), "blocks_flagged": sum(flagged.values()),
              "seconds": round(time.time() - t0, 1)}
    print(json.dumps(report))
    if a.out:
        Path(a.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
