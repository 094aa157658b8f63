"""Preference pairs from testbench outcomes: the evidence half of DPO.

Each candidate gets a score from its simulation result, so that "better" means something a
simulator showed, not a judgement of a model:

    passes the testbench                         2.0
    compiles, testbench ran: fraction of vectors  0.0 … <1.0  (1 - mismatches / samples)
    compiles, but no verdict (timeout, crash)     0.0
    does not compile / no module                 -1.0

A pair is (chosen, rejected) from the same problem with chosen's score strictly higher and rejected
failing; equal scores are ties and dropped. Pairs per problem are capped (largest score gaps first,
each sample used once before any is reused) so that easy problems with many candidates do not flood
the dataset. Every pair keeps its evidence: sample indices, pass/fail, failure class, scores.

Only synthesised problems may feed DPO: training on a benchmark's tasks would leak the test set into
the model, so the benchmark suites are refused by name, by location and by their task-id style.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from eval.errors import UserError

PASS_SCORE = 2.0
_NONCE = re.compile(r"^rtlgen-tb-verdict-[0-9a-f]{16}$")
_VERDICT = re.compile(r"^Mismatches: (\d+) in (\d+) samples\s*$")
_BENCH_IDS = re.compile(r"^(Prob\d{3}_|verilogeval|rtllm)", re.I)
_BENCH_DIRS = ("dataset_spec-to-rtl", "dataset_code-complete-iccad2023", "verilog-eval", "rtllm")


def refuse_benchmarks(problems: str) -> Path:
    """The problems directory, or a UserError when it is (or looks like) a benchmark suite."""
    from eval.benchmarks import REGISTRY

    name = problems[len("local:"):] if problems.startswith("local:") else problems
    if name in REGISTRY or name.lower().startswith(("verilogeval", "rtllm")):
        raise UserError(f"DPO refuses benchmark suite {name!r}: only synthesised problems may feed training "
                        f"(build them with the data pipeline)")
    p = Path(name).expanduser()
    if not p.is_dir():
        raise UserError(f"problems directory not found: {p}")
    resolved = p.resolve()
    bench_root = os.environ.get("RTLGEN_BENCH_DIR")
    if bench_root and resolved.is_relative_to(Path(bench_root).resolve()):
        raise UserError(f"DPO refuses {p}: it lies inside RTLGEN_BENCH_DIR ({bench_root}), the benchmarks' home")
    if any(part.lower().startswith(_BENCH_DIRS) for part in resolved.parts):
        raise UserError(f"DPO refuses {p}: its path names a benchmark suite; only synthesised problems may feed training")
    listing = p / "problems.txt"
    if listing.exists():
        ids = listing.read_text(encoding="utf-8", errors="replace").split()
        bad = [i for i in ids if _BENCH_IDS.match(i)]
        if bad:
            raise UserError(f"DPO refuses {p}: task ids like {bad[0]!r} are benchmark tasks, not synthesised problems")
    return p


def vectors(result: dict) -> tuple[int, int] | None:
    """(mismatches, samples) the testbench itself reported: the line right before its verdict nonce."""
    if isinstance(result.get("mismatches"), int) and isinstance(result.get("vectors"), int):
        return result["mismatches"], result["vectors"]
    lines = (result.get("log_tail") or "").splitlines()
    for i in range(len(lines) - 1, 0, -1):
        if _NONCE.match(lines[i].strip()):
            m = _VERDICT.match(lines[i - 1].strip())
            return (int(m.group(1)), int(m.group(2))) if m else None
    return None


def score(result: dict) -> float:
    if result.get("passed"):
        return PASS_SCORE
    if not result.get("syntax_ok"):
        return -1.0
    v = vectors(result)
    if v is None or v[1] <= 0:
        return 0.0
    return max(0.0, 1.0 - v[0] / v[1])


def build_pairs(prompts: dict[str, str], results: list[dict], *, max_pairs_per_problem: int = 4,
                require_passing_chosen: bool = False) -> list[dict]:
    """Pairs with evidence from scored samples (each result: task_id, completion, sample_idx, passed, …)."""
    by_task: dict[str, list[dict]] = {}
    for i, r in enumerate(results):
        if r["task_id"] not in prompts:
            continue
        r = dict(r)
        r.setdefault("sample_idx", i)
        r["_score"] = score(r)
        by_task.setdefault(r["task_id"], []).append(r)
    pairs: list[dict] = []
    for task_id in sorted(by_task):
        seen: set[str] = set()
        cands = []
        for r in by_task[task_id]:
            key = r["completion"].strip()
            if key in seen:  # the same text twice is no preference
                continue
            seen.add(key)
            cands.append(r)
        options = []
        for c in cands:
            if require_passing_chosen and not c.get("passed"):
                continue
            for rj in cands:
                if rj.get("passed") or c["_score"] <= rj["_score"]:
                    continue
                options.append((c["_score"] - rj["_score"], c, rj))
        options.sort(key=lambda o: (-o[0], o[1]["sample_idx"], o[2]["sample_idx"]))
        picked: list[tuple] = []
        used: set = set()
        for fresh_only in (True, False):
            for opt in options:
                if len(picked) >= max_pairs_per_problem:
                    break
                ids = (opt[1]["sample_idx"], opt[2]["sample_idx"])
                if opt in picked or (fresh_only and (ids[0] in used or ids[1] in used)):
                    continue
                picked.append(opt)
                used.update(ids)
        for gap, c, rj in picked:
            pairs.append({
                "task_id": task_id, "prompt": prompts[task_id],
                "chosen": c["completion"], "rejected": rj["completion"],
                "chosen_sample_idx": c["sample_idx"], "rejected_sample_idx": rj["sample_idx"],
                "chosen_passed": bool(c.get("passed")), "rejected_passed": bool(rj.get("passed")),
                "chosen_failure": c.get("failure"), "rejected_failure": rj.get("failure"),
                "chosen_score": round(c["_score"], 4), "rejected_score": round(rj["_score"], 4),
            })
    return pairs


def score_samples(problems: Path, samples: list[dict], workers: int = 0, progress: bool = True) -> tuple[list[dict], dict]:
    """Simulate every sample against its problem's testbench (real iverilog, sandboxed)."""
    from eval.benchmarks import get_benchmark
    from eval.runner import evaluate_samples

    bench = get_benchmark("local:" + str(problems))
    start = time.monotonic()
    results = evaluate_samples(bench, samples, workers=workers or None, cache=False, progress=progress)
    seconds = time.monotonic() - start
    stats = {"candidates": len(results), "sim_seconds": round(seconds, 2),
             "candidates_per_s": round(len(results) / seconds, 2) if seconds > 0 else None,
             "passed": sum(bool(r["passed"]) for r in results),
             "syntax_ok": sum(bool(r["syntax_ok"]) for r in results)}
    return results, stats


def load_prompts(problems: Path) -> dict[str, str]:
    from eval.benchmarks import get_benchmark

    return {tid: t.prompt for tid, t in get_benchmark("local:" + str(problems)).load().items()}


def read_samples(path: str | Path) -> list[dict]:
    from eval.runner import load_samples

    loaded = load_samples(path)
    if loaded.warnings:
        from rich.console import Console

        for w in loaded.warnings[:5]:
            Console(stderr=True).print(f"[yellow]warning:[/yellow] {w}")
    for i, s in enumerate(loaded.samples):
        s.setdefault("sample_idx", i)
    return loaded.samples


def write_pairs(pairs: list[dict], results: list[dict], stats: dict, out_dir: str | Path) -> Path:
    """pairs.jsonl (the DPO dataset with its evidence), scored.jsonl (every candidate's outcome), stats."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "pairs.jsonl").open("w") as fh:
        for p in pairs:
            fh.write(json.dumps(p) + "\n")
    with (out / "scored.jsonl").open("w") as fh:
        for r in results:
            fh.write(json.dumps({k: r.get(k) for k in ("task_id", "sample_idx", "passed", "syntax_ok", "failure",
                                                        "seconds")} | {"score": score(r), "completion": r["completion"]})
                     + "\n")
    (out / "pairs_stats.json").write_text(json.dumps(stats | {"pairs": len(pairs)}, indent=2))
    return out / "pairs.jsonl"


def make_pairs(problems: str, samples_file: str | Path, out_dir: str | Path, *, max_pairs_per_problem: int = 4,
               require_passing_chosen: bool = False, workers: int = 0, progress: bool = True) -> tuple[Path, dict]:
    """samples JSONL + synthesised problems → scored candidates → pairs.jsonl. Returns (path, stats)."""
    pdir = refuse_benchmarks(problems)
    prompts = load_prompts(pdir)
    samples = read_samples(samples_file)
    if not samples:
        raise UserError(f"no usable samples in {samples_file}")
    results, stats = score_samples(pdir, samples, workers, progress)
    pairs = build_pairs(prompts, results, max_pairs_per_problem=max_pairs_per_problem,
                        require_passing_chosen=require_passing_chosen)
    stats["problems_with_pairs"] = len({p["task_id"] for p in pairs})
    stats["problems"] = len(prompts)
    return write_pairs(pairs, results, stats, out_dir), stats | {"pairs": len(pairs)}
