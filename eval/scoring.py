"""pass@k (the unbiased estimator of Chen et al. 2021) and the per-benchmark summary."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from eval.failures import CLASSES

KS = (1, 5, 10)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) passes."""
    if n < k:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def summarize(task_ids: list[str], results: list[dict], *, ks=KS,
              reference_passed: dict[str, bool] | None = None) -> dict:
    """Counts, syntax rate, pass@k (only k that every task reaches), ceiling and failure histogram."""
    per_task: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        per_task[r["task_id"]].append(r)
    n_samples = len(results)
    n_passed = sum(1 for r in results if r["passed"])
    syntax_ok = sum(1 for r in results if r["syntax_ok"])
    counts = [len(per_task.get(t, [])) for t in task_ids]
    min_n = min(counts) if counts else 0
    pass_k = {}
    for k in ks:
        if task_ids and min_n >= k:
            vals = [pass_at_k(len(per_task[t]), sum(r["passed"] for r in per_task[t]), k) for t in task_ids]
            pass_k[f"pass@{k}"] = round(float(np.mean(vals)), 6)
    failures = Counter(r["failure"] for r in results if not r["passed"])
    tasks_solved = sum(1 for t in task_ids if any(r["passed"] for r in per_task.get(t, [])))
    summary = {
        "n_tasks": len(task_ids),
        "n_samples": n_samples,
        "n_passed": n_passed,
        "tasks_with_samples": sum(1 for c in counts if c),
        "tasks_solved": tasks_solved,
        "samples_per_task": {"min": min_n, "max": max(counts) if counts else 0},
        "syntax_rate": round(syntax_ok / n_samples, 6) if n_samples else 0.0,
        "pass@k": pass_k,
        "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
        "failure_names": {code: CLASSES.get(code, "?") for code in failures},
        "per_task": {t: {"n": len(per_task.get(t, [])), "c": sum(r["passed"] for r in per_task.get(t, []))}
                     for t in task_ids},
    }
    if reference_passed is not None:
        summary["ceiling"] = {"passed": sum(reference_passed.values()), "of": len(reference_passed),
                              "failing": sorted(t for t, ok in reference_passed.items() if not ok)}
    return summary
