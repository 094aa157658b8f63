"""Evaluate samples against a benchmark: parallel, cached, deduplicated, longest tasks first.

Simulation is subprocess-bound, so a thread pool drives it; the sandbox gives each run its own
process group. Distinct (task, normalised candidate) pairs run once per simulator version thanks
to the result cache. Tasks are scheduled longest-first (timings remembered from earlier runs,
test size as the first guess) so a slow problem does not start last and stretch the wall clock.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from eval.benchmarks.base import Benchmark, Task
from eval.cache import ResultCache
from eval.errors import UserError
from eval.simulators import tool_version

console = Console(stderr=True)


@dataclass
class SampleFile:
    samples: list[dict]
    warnings: list[str] = field(default_factory=list)


def load_samples(path: str | Path) -> SampleFile:
    """Read a samples JSONL; bad lines are reported with their number and skipped, not fatal."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"samples file not found: {p}")
    if p.is_dir():
        raise UserError(f"samples path is a directory, expected a JSONL file: {p}")
    out = SampleFile([])
    for lineno, raw in enumerate(p.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.warnings.append(f"{p}:{lineno}: not UTF-8, skipped")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            out.warnings.append(f"{p}:{lineno}: malformed JSON ({exc.msg}), skipped")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("task_id"), str) or not isinstance(rec.get("completion"), str):
            out.warnings.append(f"{p}:{lineno}: needs string fields task_id and completion, skipped")
            continue
        out.samples.append(rec)
    return out


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=console, disable=not enabled, transient=False)


class Evaluator:
    """Holds a benchmark, its tasks, the cache and the reference outcomes for one evaluation."""

    def __init__(self, bench: Benchmark, *, workers: int | None = None, cache: bool | ResultCache = True,
                 progress: bool = True, work_root: Path | None = None, dedup: bool = True):
        self.bench = bench
        self.dedup = dedup  # off only to measure what deduplication saves
        self.tasks: dict[str, Task] = bench.load()
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.cache = cache if isinstance(cache, ResultCache) else ResultCache(enabled=bool(cache))
        self.progress = progress
        self.work_root = work_root
        self.bench_id = f"{bench.name}@{bench.content_hash()}"
        self.sim_version = tool_version("iverilog")
        self.reference: dict[str, dict] = {}
        self.simulated = 0

    # -- scheduling ---------------------------------------------------------------------------

    def _guess_cost(self, task: Task, timings: dict[str, float]) -> float:
        """Seconds from an earlier run, else a static guess: stimulus cycles times design size."""
        if task.task_id in timings:
            return timings[task.task_id]
        cycles = sum(int(x) for x in re.findall(r"repeat\s*\(\s*(\d+)\s*\)", task.meta.get("test", "")))
        return 1e-9 * (cycles + 1) * len(task.reference)

    def _run(self, jobs: list[tuple[str, str, bool]], label: str) -> list[dict]:
        """jobs: (task_id, completion, is_reference) -> outcome dicts, in job order."""
        keys = [self.cache.key(self.bench_id, t, c, self.sim_version, "ref" if ref else "")
                + ("" if self.dedup else f"#{i}") for i, (t, c, ref) in enumerate(jobs)]
        results: dict[str, dict] = {}
        todo: dict[str, tuple[str, str, bool]] = {}
        for key, job in zip(keys, jobs):
            if key in results or key in todo:
                continue
            hit = self.cache.get(key)
            if hit is not None:
                results[key] = hit
            else:
                todo[key] = job
        timings = self.cache.timings(self.bench.name)
        cost = {t: self._guess_cost(self.tasks[t], timings) for t in {job[0] for job in todo.values()}}
        order = sorted(todo, key=lambda k: -cost[todo[k][0]])
        new_timings: dict[str, float] = {}
        with _progress(self.progress and bool(order)) as prog:
            bar = prog.add_task(f"{label} ({len(jobs) - len(todo)} cached)", total=len(order))
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                futures = {}
                for key in order:
                    task_id, completion, ref = todo[key]
                    futures[pool.submit(self.bench.evaluate, self.tasks[task_id], completion,
                                        self.work_root, reference=ref)] = key
                for fut in as_completed(futures):
                    key = futures[fut]
                    outcome = fut.result()
                    value = outcome.to_dict()
                    results[key] = value
                    self.cache.put(key, value)
                    new_timings[todo[key][0]] = max(new_timings.get(todo[key][0], 0.0), outcome.seconds)
                    prog.advance(bar)
        self.simulated += len(order)
        if new_timings:
            self.cache.save_timings(self.bench.name, new_timings)
        return [dict(results[k]) for k in keys]

    # -- public -------------------------------------------------------------------------------

    def run_references(self) -> dict[str, dict]:
        """Each task's reference as the candidate: the ceiling, and the vector counts that later
        runs must match (a design that ends the simulation early compares fewer vectors)."""
        if not self.reference:
            ids = list(self.tasks)
            outs = self._run([(t, self.tasks[t].reference, True) for t in ids], f"{self.bench.name} references")
            self.reference = dict(zip(ids, outs))
            setter = getattr(self.bench, "set_expected_samples", None)
            if setter:
                for t, out in self.reference.items():
                    setter(t, out.get("vectors"))
        return self.reference

    def evaluate(self, samples: list[dict]) -> tuple[list[dict], list[str]]:
        """Results in input order, plus warnings (unknown task ids are skipped)."""
        warnings = []
        known = [s for s in samples if s["task_id"] in self.tasks]
        unknown = sorted({s["task_id"] for s in samples if s["task_id"] not in self.tasks})
        if unknown:
            shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
            warnings.append(f"{len(unknown)} unknown task id(s) for {self.bench.name} skipped: {shown}")
        if samples and not known:
            raise UserError(f"no sample matches a task of {self.bench.name} (first unknown id: {unknown[0]!r})")
        self.run_references()
        outs = self._run([(s["task_id"], s["completion"], False) for s in known], f"{self.bench.name} samples")
        return [{**s, **o} for s, o in zip(known, outs)], warnings


def evaluate_samples(bench: Benchmark, samples: list[dict], *, workers: int | None = None, cache: bool = True,
                     progress: bool = True) -> list[dict]:
    """Convenience wrapper: results (sample + passed, syntax_ok, failure, log_tail, seconds) in input order."""
    results, warnings = Evaluator(bench, workers=workers, cache=cache, progress=progress).evaluate(samples)
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    return results
