#!/usr/bin/env python3
"""How often the interface scaffold reads a benchmark spec's ports exactly right.

For every task of a spec-to-rtl benchmark: does `rtlgen.spec_ports` find a port list, and does the
header it writes match the reference design's ports (names, directions, widths as pyslang
elaborates them)? A scaffold that is wrong would cost a task the model might have solved, so this
is the number to read before trusting it. Only the spec text feeds the scaffold; the reference is
read here to score it.

    python scripts/scaffold_audit.py --bench-root /work/bench -o results/scaffold/audit.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, get_benchmark  # noqa: E402
from eval.provenance import git_commit  # noqa: E402
from eval.signals import elaborated_ports  # noqa: E402
from rtlgen.spec_ports import scaffold_header  # noqa: E402


def audit(name: str, root: Path) -> dict:
    tasks = get_benchmark(name, root / DEFAULT_DIRS[name]).load()
    rows = []
    for t in tasks.values():
        head = scaffold_header(t.prompt, t.top)
        named = re.search(r"\bmodule\s+(RefModule|verified_\w+)", t.reference)  # VerilogEval / RTLLM references
        ref_top = named.group(1) if named else t.top
        want = elaborated_ports(t.reference, ref_top)
        got = elaborated_ports(head + "\nendmodule\n", t.top) if head else None
        verdict = "none" if head is None else ("exact" if got is not None and want is not None and
                                             sorted(got) == sorted(want) else "wrong")
        rows.append({"task_id": t.task_id, "verdict": verdict,
                     **({"got": got, "want": want} if verdict == "wrong" else {})})
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("exact", "wrong", "none")}
    return {"tasks": len(rows), **counts, "wrong_tasks": [r for r in rows if r["verdict"] == "wrong"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-root", required=True)
    ap.add_argument("--benches", default="verilogeval-v2-spec,rtllm-v1.1")
    ap.add_argument("-o", "--out", default=None)
    args = ap.parse_args()
    report = {"commit": git_commit(), "benchmarks": {b: audit(b, Path(args.bench_root)) for b in args.benches.split(",")}}
    for b, r in report["benchmarks"].items():
        print(f"{b}: {r['tasks']} tasks, header exact {r['exact']}, wrong {r['wrong']}, not scaffolded {r['none']}")
        for w in r["wrong_tasks"]:
            print(f"  wrong {w['task_id']}: got {w['got']} want {w['want']}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
