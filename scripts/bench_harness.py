#!/usr/bin/env python
"""Harness speed on VerilogEval v2 spec-to-rtl, all measured in one run on this machine.

1. floor: each problem's compile+simulate time run alone with upstream's exact commands;
   floor = max(longest problem, sum / workers).
2. upstream flow: upstream's command lines (`iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb`,
   `timeout 30 ./sim`) as one Makefile target per problem under `make -jWORKERS`, unsandboxed.
3. rtlgen: `Evaluator.run_references()` with the sandbox and no result cache, twice: a first run
   with no timing history, then one that schedules by the durations the first recorded; and once
   more with `RTLGEN_SANDBOX=rlimits` (no bubblewrap namespaces) to show what the namespaces cost.
4. a 20-samples-per-task sweep with realistic duplicates, without dedup/cache, with dedup
   (cold cache), and again with a warm cache.

Usage: scripts/bench_harness.py --path /work/bench/verilog-eval-v2 --out results/harness
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.benchmarks import get_benchmark  # noqa: E402
from eval.cache import ResultCache  # noqa: E402
from eval.provenance import provenance  # noqa: E402
from eval.runner import Evaluator  # noqa: E402

FLAGS = "-Wall -Winfloop -Wno-timescale -g2012 -s tb"


def stage_upstream(root: Path, tasks: dict, work: Path) -> None:
    for pid, task in tasks.items():
        (work / f"{pid}_sample.sv").write_text(task.reference)
        for suffix in ("test.sv", "ref.sv"):
            shutil.copy(root / f"{pid}_{suffix}", work / f"{pid}_{suffix}")


def per_problem_times(tasks: dict, work: Path) -> dict[str, float]:
    times = {}
    for pid in tasks:
        t0 = time.perf_counter()
        subprocess.run(f"iverilog {FLAGS} -o {pid} {pid}_sample.sv {pid}_test.sv {pid}_ref.sv && timeout 30 ./{pid}",
                       shell=True, cwd=work, capture_output=True)
        times[pid] = time.perf_counter() - t0
    return times


def upstream_make(tasks: dict, work: Path, jobs: int) -> float:
    lines = ["SHELL := /bin/bash", "all: " + " ".join(f"{p}.log" for p in tasks), ""]
    for p in tasks:
        lines += [f"{p}.log:",
                  f"\t-iverilog {FLAGS} -o {p} {p}_sample.sv {p}_test.sv {p}_ref.sv &> $@",
                  f"\t-timeout 30 ./{p} &>> $@; if [[ $${{PIPESTATUS[0]}} == 124 ]]; then echo TIMEOUT &>> $@; fi", ""]
    (work / "Makefile").write_text("\n".join(lines))
    for f in work.glob("*.log"):
        f.unlink()
    t0 = time.perf_counter()
    subprocess.run(["make", f"-j{jobs}", "-s"], cwd=work, capture_output=True)
    return time.perf_counter() - t0


def mutate(src: str, rng: random.Random) -> str:
    """A plausible wrong answer: flip one operator or invert one assignment."""
    for a, b in rng.sample([("&", "|"), ("|", "&"), ("+", "-"), ("<=", ">="), ("==", "!="), ("1'b1", "1'b0")], 6):
        body = src.split(");", 1)
        if len(body) == 2 and a in body[1]:
            return body[0] + ");" + body[1].replace(a, b, 1)
    return src.replace("endmodule", "  // no-op\nendmodule")


def realistic_samples(tasks: dict, n: int, seed: int = 0) -> list[dict]:
    """n samples per task: a few distinct answers repeated, as a small model's n=20 draws are."""
    rng = random.Random(seed)
    out = []
    for pid, task in tasks.items():
        pool = [task.reference, task.reference.replace("\n", "\n  "), mutate(task.reference, rng), mutate(task.reference, rng),
                "module TopModule(); endmodule // gave up"]
        weights = [8, 3, 4, 3, 2]
        for i in range(n):
            cand = rng.choices(pool, weights)[0]
            if rng.random() < 0.3:
                cand = f"// sample {i}\n" + cand  # comment-only differences normalise away
            out.append({"task_id": pid, "completion": cand})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", required=True, help="VerilogEval v2 checkout")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--samples-per-task", type=int, default=20)
    ap.add_argument("--out", default="results/harness")
    args = ap.parse_args()
    bench = get_benchmark("verilogeval-v2-spec", args.path)
    tasks = bench.load()
    root = bench.root()
    res: dict = {"machine": {"cpus": os.cpu_count()}, "workers": args.workers, "n_tasks": len(tasks)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stage_upstream(root, tasks, work)
        times = per_problem_times(tasks, work)
        longest = max(times, key=times.get)
        res["floor"] = {"sum_s": round(sum(times.values()), 3), "longest": longest,
                        "longest_s": round(times[longest], 3),
                        "floor_s": round(max(times[longest], sum(times.values()) / args.workers), 3),
                        "per_problem_s": {k: round(v, 3) for k, v in times.items()}}
        res["upstream_make_s"] = round(upstream_make(tasks, work, args.workers), 3)
    with tempfile.TemporaryDirectory() as cdir:
        # Results are never cached here: every problem is simulated in both sweeps. The first sweep
        # has no history and orders problems by a static guess; the second uses the durations the
        # first one recorded (what every later run of `rtlgen eval` does).
        for key, mode in (("rtlgen_first_run", "bwrap"), ("rtlgen_with_history", "bwrap"),
                          ("rtlgen_rlimits_only", "rlimits")):
            os.environ["RTLGEN_SANDBOX"] = mode
            t0 = time.perf_counter()
            ev = Evaluator(bench, workers=args.workers, cache=ResultCache(Path(cdir), enabled=False), progress=False)
            refs = ev.run_references()
            res[f"{key}_s"] = round(time.perf_counter() - t0, 3)
            res[f"{key}_passed"] = sum(r["passed"] for r in refs.values())
            res[f"{key}_vs_floor"] = round(res[f"{key}_s"] / res["floor"]["floor_s"] - 1, 4)
        os.environ["RTLGEN_SANDBOX"] = "bwrap"
    res["upstream_vs_floor"] = round(res["upstream_make_s"] / res["floor"]["floor_s"] - 1, 4)

    samples = realistic_samples(tasks, args.samples_per_task)
    distinct = len({(s["task_id"], ResultCache().key("", s["task_id"], s["completion"], "")) for s in samples})
    sweep: dict = {"samples": len(samples), "distinct_after_normalisation": distinct}
    for label, dedup, cached in (("no_dedup_no_cache", False, None), ("dedup_cold_cache", True, "cold"),
                                 ("warm_cache", True, "warm")):
        if cached == "cold":
            cdir = tempfile.mkdtemp()
        cache = ResultCache(Path(cdir), enabled=cached is not None) if cached else ResultCache(enabled=False)
        ev = Evaluator(bench, workers=args.workers, cache=cache, progress=False, dedup=dedup)
        t0 = time.perf_counter()
        results, _ = ev.evaluate(samples)
        sweep[label] = {"seconds": round(time.perf_counter() - t0, 3), "simulated": ev.simulated,
                        "passed": sum(r["passed"] for r in results)}
    shutil.rmtree(cdir, ignore_errors=True)
    res["sweep_20"] = sweep
    res["provenance"] = provenance({"script": "scripts/bench_harness.py", **vars(args)}, bench.content_hash())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_harness.json").write_text(json.dumps(res, indent=2) + "\n")
    f = res["floor"]
    print(f"floor {f['floor_s']} s (longest {f['longest']} {f['longest_s']} s, sum {f['sum_s']} s / {args.workers})")
    print(f"upstream make -j{args.workers}: {res['upstream_make_s']} s ({100 * res['upstream_vs_floor']:+.1f}% vs floor)")
    for key, what in (("rtlgen_first_run", "bwrap, first run, no history"),
                      ("rtlgen_with_history", "bwrap, with timing history"),
                      ("rtlgen_rlimits_only", "rlimits only, with timing history")):
        print(f"rtlgen sandboxed sweep ({what}): {res[key + '_s']} s ({100 * res[key + '_vs_floor']:+.1f}% vs floor), "
              f"{res[key + '_passed']}/{len(tasks)} pass")
    for k in ("no_dedup_no_cache", "dedup_cold_cache", "warm_cache"):
        print(f"20/task sweep {k}: {sweep[k]['seconds']} s, {sweep[k]['simulated']} simulated, {sweep[k]['passed']} passed")


if __name__ == "__main__":
    main()
