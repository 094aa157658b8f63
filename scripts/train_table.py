#!/usr/bin/env python3
"""The ablation table of results/train/README.md, computed from scored runs (no hand-copied numbers).

Each variant is a folder of `<benchmark>-{greedy,sampled}/summary.json` as `scripts/score_base_eval.py`
writes them. Prints Markdown (per benchmark and the mean over benchmarks) and writes JSON.

    python scripts/train_table.py base=results/base r1r2dpo=results/train/runs/r1r2dpo --out results/train/table.json

`LABEL=DIR1+DIR2` composes a variant from several runs: each benchmark comes from the first folder
that holds it (e.g. re-generated spec-to-rtl benchmarks over an earlier run's code-complete ones).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BENCHES = ["verilogeval-v2-spec", "verilogeval-v2-complete", "verilogeval-v1-human", "verilogeval-v1-machine",
           "rtllm-v1.1"]
COLS = [("greedy", "syntax_rate", "greedy syntax"), ("greedy", "pass@1", "greedy pass@1"),
        ("sampled", "syntax_rate", "sampled syntax"), ("sampled", "pass@1", "pass@1"),
        ("sampled", "pass@5", "pass@5"), ("sampled", "pass@10", "pass@10")]


def load(folders: list[Path], benches: list[str]) -> dict:
    out: dict = {}
    for b in benches:
        for proto in ("greedy", "sampled"):
            f = next((d / f"{b}-{proto}" / "summary.json" for d in folders
                      if (d / f"{b}-{proto}" / "summary.json").exists()), None)
            if f is None:
                continue
            s = json.loads(f.read_text())["benchmarks"][b]
            out.setdefault(b, {})[proto] = {"syntax_rate": s["syntax_rate"], **s.get("pass@k", {}), "from": str(f.parent)}
    return out


def value(d: dict, b: str, proto: str, key: str) -> float | None:
    v = d.get(b, {}).get(proto, {}).get(key)
    return None if v is None else 100.0 * v


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variants", nargs="+", metavar="LABEL=DIR")
    ap.add_argument("--out", help="write the numbers as JSON here")
    ap.add_argument("--benches", default=",".join(BENCHES),
                    help="comma list the table and its mean cover (e.g. the four benchmarks issue 6 names)")
    a = ap.parse_args()
    benches = [b.strip() for b in a.benches.split(",") if b.strip()]
    if not benches or set(benches) - set(BENCHES):
        sys.exit(f"error: --benches takes names from {', '.join(BENCHES)}")
    data = {}
    for item in a.variants:
        label, _, spec = item.partition("=")
        folders = [Path(f) for f in spec.split("+") if f]
        if not folders or not all(f.is_dir() for f in folders):
            sys.exit(f"error: {item}: expected LABEL=DIR[+DIR…] with existing folders")
        data[label] = load(folders, benches)
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    head = "| variant | " + " | ".join(c[2] for c in COLS) + " |\n|" + " --- |" * (len(COLS) + 1)
    what = "the five benchmarks" if len(benches) == len(BENCHES) else ", ".join(benches)
    print(f"Mean over {what} (%)\n\n" + head)
    means = {}
    for label, d in data.items():
        row = []
        for proto, key, _ in COLS:
            vals = [value(d, b, proto, key) for b in benches]
            vals = [v for v in vals if v is not None]
            row.append(sum(vals) / len(vals) if len(vals) == len(benches) else None)
        means[label] = dict(zip([c[2] for c in COLS], row))
        print(f"| {label} | " + " | ".join(fmt(v) for v in row) + " |")
    for b in benches:
        print(f"\n{b} (%)\n\n" + head)
        for label, d in data.items():
            print(f"| {label} | " + " | ".join(fmt(value(d, b, p, k)) for p, k, _ in COLS) + " |")
    if a.out:
        Path(a.out).write_text(json.dumps({"variants": data, "means": means}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
