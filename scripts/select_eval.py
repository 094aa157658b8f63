#!/usr/bin/env python3
"""How much does functional-consensus selection (rtlgen/consensus.py) gain over picking at random?

Works offline on already-scored sampled runs (`<run>/<bench>-sampled/samples.jsonl.gz`, n samples
per task with the benchmark's own verdict `passed`). For each task it re-creates what
`rtlgen generate` would see — the candidates' full sources, built the way the benchmark builds
them (`Benchmark.candidate_source`, which completes code-complete bodies with the task's header) —
and runs the consensus on them with only the interface (never the testbench or the reference).
The benchmark's verdicts then score the pick. Reported per benchmark and as the mean:

- `pass@1`: a random sample (c/n), the sampled pass@1 of the run;
- `compile-clean pick`: a random sample among those that compiled under the benchmark (syntax_ok);
  c/n when none did;
- `consensus pick`: the expected pass of a uniform pick among the candidates of the biggest
  behaviour clusters (all clusters tied for the biggest size count, uniformly; lint is not run
  here, so the generate-time lint-clean tie-break is not modelled); tasks where no candidate ran
  the consensus bench fall back to the compile-clean pick (counted as `fallback_tasks`);
- `pass@n`: the oracle (any sample passes).

    .venv/bin/python scripts/select_eval.py --run results/train/runs/r1r2dpo-run4 -o results/select/run4
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, SCORED  # noqa: E402

BENCHES = {n: DEFAULT_DIRS[n] for n in SCORED}  # name -> folder under --bench-root
METRICS = ("pass@1", "compile_clean_pick", "consensus_pick", "consensus_nd_pick", "pass@n")


def read_samples(path: Path) -> dict[str, list[dict]]:
    from eval.errors import UserError

    if not path.exists():
        raise UserError(f"no samples file {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    by_task: dict[str, list[dict]] = defaultdict(list)
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
            if "passed" not in row:
                raise UserError(f"{path}:{lineno}: unscored sample (no 'passed'); score the run first")
            by_task[row["task_id"]].append(row)
    for rows in by_task.values():
        rows.sort(key=lambda r: r.get("sample_idx", 0))
    return by_task


def task_scores(bench, task, rows: list[dict], *, workers: int, seed: int, cycles: int, candidates: int = 0) -> dict:
    """Scores of one pick from all n samples, or (`candidates` = K < n) the mean over the n // K disjoint
    groups of K samples: what `rtlgen generate` returns when it draws K candidates (its default is 4)."""
    if not candidates or candidates >= len(rows):
        return pick_scores(bench, task, rows, workers=workers, seed=seed, cycles=cycles)
    groups = [rows[i:i + candidates] for i in range(0, len(rows) - candidates + 1, candidates)]
    picks = [pick_scores(bench, task, g, workers=workers, seed=seed, cycles=cycles) for g in groups]
    out = {"task_id": task.task_id, "n": candidates, "groups": len(groups), "c": sum(p["c"] for p in picks),
           "fallback": mean(p["fallback"] for p in picks), "seconds": round(sum(p["seconds"] for p in picks), 3)}
    return out | {m: mean(p[m] for p in picks) for m in METRICS}


def pick_scores(bench, task, rows: list[dict], *, workers: int, seed: int, cycles: int) -> dict:
    from rtlgen.consensus import DEGENERATE_RANK, functional_consensus

    passed = [bool(r["passed"]) for r in rows]
    n, c = len(rows), sum(passed)
    clean = [p for p, r in zip(passed, rows) if r.get("syntax_ok")]
    clean_pick = sum(clean) / len(clean) if clean else c / n
    sources = [bench.candidate_source(task, r["completion"]) for r in rows]
    t0 = time.monotonic()
    cons = functional_consensus(sources, task.top, interface=task.interface, workers=workers, seed=seed,
                                cycles=cycles, demote_degenerate=True)
    secs = time.monotonic() - t0
    fallback = not cons.clusters
    # the plain vote (size only) and the default (degenerate traces last) from the same simulations
    degen = {i: cons.behaviours[c[0]].degenerate for c in cons.clusters for i in c}
    plain = expected_pick(cons.clusters, passed, lambda cl: -len(cl), clean_pick)
    nd = expected_pick(cons.clusters, passed, lambda cl: (DEGENERATE_RANK[degen[cl[0]]], -len(cl)), clean_pick)
    return {"task_id": task.task_id, "n": n, "c": c, "pass@1": c / n, "compile_clean_pick": clean_pick,
            "consensus_pick": plain, "consensus_nd_pick": nd, "pass@n": float(c > 0), "fallback": fallback,
            "degenerate": [degen[cl[0]] for cl in cons.clusters],
            "n_compile_clean": len(clean), "cluster_sizes": [len(cl) for cl in cons.clusters],
            "cluster_pass": [[int(passed[i]) for i in cl] for cl in cons.clusters[:5]],
            "status": cons.summary()["status"], "interface_from": cons.interface_from,
            "clock": cons.bench.clock if cons.bench else None, "reset": cons.bench.reset if cons.bench else None,
            "seconds": round(secs, 3)}


def expected_pick(clusters: list[list[int]], passed: list[bool], key, fallback: float) -> float:
    """Expected pass of a uniform pick among the members of the clusters tied for the best `key`."""
    if not clusters:
        return fallback
    best = min(key(cl) for cl in clusters)
    tied = [cl for cl in clusters if key(cl) == best]
    return statistics.fmean(statistics.fmean(passed[i] for i in cl) for cl in tied)


def mean(xs) -> float:
    xs = list(xs)
    return statistics.fmean(xs) if xs else 0.0


def evaluate_run(run: Path, benches: list[str], bench_root: Path, *, workers: int, seed: int, cycles: int,
                 limit: int | None, progress, candidates: int = 0) -> dict:
    from eval.benchmarks import get_benchmark
    from eval.errors import UserError

    out: dict = {}
    plan = []
    for name in benches:
        d = run / f"{name}-sampled"
        if not d.is_dir():
            raise UserError(f"{run}: no {name}-sampled folder")
        f = d / "samples.jsonl.gz" if (d / "samples.jsonl.gz").exists() else d / "samples.jsonl"
        bench = get_benchmark(name, bench_root / BENCHES[name])
        tasks = bench.load()
        samples = read_samples(f)
        unknown = sorted(set(samples) - set(tasks))
        if unknown:
            raise UserError(f"{f}: task ids not in {name}: {', '.join(unknown[:3])}")
        ids = [t for t in tasks if t in samples][:limit]
        plan.append((name, bench, tasks, samples, ids, f))
    bar = progress.add_task(run.name, total=sum(len(p[4]) for p in plan))
    for name, bench, tasks, samples, ids, f in plan:
        t0 = time.monotonic()
        per_task = []
        for tid in ids:
            progress.update(bar, description=f"{run.name} {name} {tid}"[:60])
            per_task.append(task_scores(bench, tasks[tid], samples[tid], workers=workers, seed=seed, cycles=cycles,
                                        candidates=candidates))
            progress.advance(bar)
        wall = time.monotonic() - t0
        row = {m: round(mean(t[m] for t in per_task), 4) for m in METRICS}
        row |= {"n_tasks": len(per_task), "samples_per_task": sorted({t["n"] for t in per_task}),
                "fallback_tasks": round(sum(t["fallback"] for t in per_task), 2),
                "tasks_consensus_better": sum(t["consensus_pick"] > t["compile_clean_pick"] + 1e-9 for t in per_task),
                "tasks_consensus_worse": sum(t["consensus_pick"] < t["compile_clean_pick"] - 1e-9 for t in per_task),
                "tasks_nd_better": sum(t["consensus_nd_pick"] > t["compile_clean_pick"] + 1e-9 for t in per_task),
                "tasks_nd_worse": sum(t["consensus_nd_pick"] < t["compile_clean_pick"] - 1e-9 for t in per_task),
                "seconds_per_task": round(wall / max(1, len(per_task)), 3),
                "consensus_seconds_per_task": round(mean(t["seconds"] for t in per_task), 3),
                "benchmark_sha": bench.content_hash(), "samples": str(f.relative_to(REPO) if f.is_relative_to(REPO) else f),
                "per_task": per_task}
        out[name] = row
    return out


def markdown(result: dict) -> str:
    p = result["provenance"]
    lines = [f"# Functional-consensus selection on `{result['run']}`", "",
             "Expected pass@1 of one pick from n sampled candidates per task, all methods on the same samples "
             "in the same run. `consensus pick` uses only the interface (no testbench, no reference); "
             "`pass@n` is the oracle." + (f" Here n = {result['candidates']}: each pick sees one of the disjoint "
                                          f"groups of {result['candidates']} samples, and the groups are averaged "
                                          "(`rtlgen generate -n`)." if result.get("candidates") else ""), "",
             f"Command: `{result['command']}`  ", f"Commit: `{p['git_commit']}`  ",
             "Tools: " + ", ".join(f"{k} {v}" for k, v in p["tool_versions"].items()) + "  ",
             f"Isolation: {p['isolation']}  ", f"Stimulus: seed {result['seed']}, {result['cycles']} cycles/vectors", "",
             "| benchmark | tasks | pass@1 (random) | compile-clean pick | consensus pick (size only) "
             "| consensus pick (degenerate last) | pass@n | fallback tasks | better / worse tasks | s/task |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in result["benchmarks"].items():
        lines.append(f"| {name} | {r['n_tasks']} | {100 * r['pass@1']:.1f}% | {100 * r['compile_clean_pick']:.1f}% | "
                     f"{100 * r['consensus_pick']:.1f}% | **{100 * r['consensus_nd_pick']:.1f}%** | "
                     f"{100 * r['pass@n']:.1f}% | {r['fallback_tasks']} | "
                     f"{r['tasks_consensus_better']} / {r['tasks_consensus_worse']}; "
                     f"{r['tasks_nd_better']} / {r['tasks_nd_worse']} | {r['seconds_per_task']:.2f} |")
    m = result["mean"]
    lines.append(f"| **mean** | | {100 * m['pass@1']:.1f}% | {100 * m['compile_clean_pick']:.1f}% | "
                 f"{100 * m['consensus_pick']:.1f}% | **{100 * m['consensus_nd_pick']:.1f}%** | "
                 f"{100 * m['pass@n']:.1f}% | | | {m['seconds_per_task']:.2f} |")
    lines += ["", "`size only`: the biggest behaviour cluster wins. `degenerate last` (the default of "
              "`rtlgen generate`): clusters whose outputs are never driven (all x/z) or never change while the "
              "data inputs do come after all others. Both from the same simulations. "
              "`better / worse tasks`: tasks where the pick's expected pass is above / below the "
              "compile-clean random pick's (size only; degenerate last). `fallback tasks`: no candidate finished "
              "the consensus bench, so the compile-clean pick is used. s/task: wall seconds per task for the "
              f"consensus (parse, compile, simulate; {result['workers']} worker threads).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, type=Path, help="a run folder holding <bench>-sampled/ folders")
    ap.add_argument("-o", "--out", required=True, type=Path, help="output stem: writes <stem>.json and <stem>.md")
    ap.add_argument("--bench", action="append", choices=sorted(BENCHES), help="default: all five")
    ap.add_argument("--bench-root", type=Path, default=Path("/work/bench"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--limit", type=int, default=None, help="first N tasks of each benchmark (smoke runs)")
    ap.add_argument("--candidates", type=int, default=0,
                    help="pick from disjoint groups of K samples and average (rtlgen generate's -n; 0: all n)")
    args = ap.parse_args(argv)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from eval.errors import UserError
    from eval.provenance import provenance

    benches = args.bench or list(BENCHES)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn()) as prog:
            res = evaluate_run(args.run, benches, args.bench_root, workers=args.workers, seed=args.seed,
                               cycles=args.cycles, limit=args.limit, progress=prog, candidates=args.candidates)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mean_row = {m: round(mean(r[m] for r in res.values()), 4) for m in METRICS}
    mean_row["seconds_per_task"] = round(mean(r["seconds_per_task"] for r in res.values()), 3)
    cmd = "python scripts/select_eval.py " + " ".join(sys.argv[1:] if argv is None else argv)
    result = {"run": str(args.run), "command": cmd, "seed": args.seed, "cycles": args.cycles, "workers": args.workers,
              "candidates": args.candidates,
              "mean": mean_row, "benchmarks": res,
              "provenance": provenance({"seed": args.seed, "cycles": args.cycles, "workers": args.workers,
                                        "limit": args.limit, "candidates": args.candidates})}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
