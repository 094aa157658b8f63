#!/usr/bin/env python3
"""Apply the scaffold's header reconciliation to samples generated before it existed.

`rtlgen.prompts.extract_answer` = `extract_code`, then (scaffolded prompts only)
`spec_ports.declare_procedural_outputs`. Samples files store `extract_code`'s result, so running the
second step on them gives exactly the completions a run with `extract_answer` writes from the same
model text; this re-derives them without generating again. Tasks whose prompt was not scaffolded
are copied unchanged.

    python scripts/reconcile_samples.py --tar scaffold-plain_samples.tar.gz --bench-root /work/bench \
        --out scaffold-plain-reconciled_samples.tar.gz
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, get_benchmark  # noqa: E402
from rtlgen.prompts import build_task_prompt  # noqa: E402
from rtlgen.spec_ports import declare_procedural_outputs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tar", required=True)
    ap.add_argument("--bench-root", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    changed = total = 0
    prompts_of: dict[str, dict] = {}  # benchmark -> {task_id: scaffolded prompt}, built once per benchmark
    with tarfile.open(args.tar) as src, tarfile.open(args.out, "w:gz") as dst:
        for member in src.getmembers():
            if not member.isfile():
                dst.addfile(member)
                continue
            data = src.extractfile(member).read()
            parts = Path(member.name).parts  # samples/<bench>/<protocol>.jsonl
            if len(parts) == 3 and parts[2].endswith(".jsonl"):
                if parts[1] not in prompts_of:
                    tasks = get_benchmark(parts[1], Path(args.bench_root) / DEFAULT_DIRS[parts[1]]).load()
                    prompts_of[parts[1]] = {t: build_task_prompt(task, scaffold=True) for t, task in tasks.items()}
                prompts = prompts_of[parts[1]]
                lines = []
                for line in data.decode("utf-8").splitlines():
                    rec = json.loads(line)
                    p = prompts.get(rec["task_id"])
                    if p is not None and p.meta.get("scaffold"):
                        new = declare_procedural_outputs(rec["completion"], p.top)
                        changed += new != rec["completion"]
                        rec["completion"] = new
                    total += 1
                    lines.append(json.dumps(rec))
                data = ("\n".join(lines) + "\n").encode()
            info = tarfile.TarInfo(member.name)
            info.size, info.mtime = len(data), member.mtime
            dst.addfile(info, io.BytesIO(data))
    print(f"{changed} of {total} samples changed -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
