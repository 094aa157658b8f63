"""What every benchmark provides: its tasks, and how one candidate is built, run and judged."""

from __future__ import annotations

import hashlib
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from eval.extract import extract_modules
from eval.sandbox import Limits, RunDir, forbidden_system_tasks


@dataclass
class Task:
    task_id: str
    kind: str  # "spec-to-rtl" or "code-complete"
    prompt: str  # what a model sees: the spec, or the description plus the interface to complete
    top: str  # the module name the candidate must define
    reference: str  # the reference solution, as a candidate completion
    interface: str | None = None  # module header given in code-complete tasks
    meta: dict = field(default_factory=dict)


@dataclass
class Outcome:
    syntax_ok: bool
    passed: bool
    failure: str | None  # a class code from eval.failures; None when passed
    log_tail: str
    seconds: float = 0.0
    samples: int | None = None  # test vectors the testbench compared, where it says
    mismatches: int | None = None  # of those, how many differed from the reference

    def to_dict(self) -> dict:
        d = {"passed": self.passed, "syntax_ok": self.syntax_ok, "failure": self.failure,
             "log_tail": self.log_tail, "seconds": round(self.seconds, 3)}
        if self.samples is not None:
            d["vectors"], d["mismatches"] = self.samples, self.mismatches
        return d


def tail(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def fixed_failure(code: str, log: str, syntax_ok: bool = False) -> Outcome:
    return Outcome(syntax_ok=syntax_ok, passed=False, failure=code, log_tail=tail(log))


class Benchmark(ABC):
    """A benchmark knows its on-disk layout and upstream's exact compile/run/pass rules."""

    name: str = ""
    description: str = ""
    repo: str = ""  # git URL for `rtlgen bench fetch`
    branch: str | None = None
    timeout_s: float = 30.0
    pass_markers: tuple[str, ...] = ()  # strings only the testbench may print

    def __init__(self, path: Path):
        self.path = Path(path)

    @abstractmethod
    def load(self) -> dict[str, Task]:
        """Tasks by id, in upstream's order."""

    @abstractmethod
    def run_candidate(self, task: Task, candidate: str, run_dir: Path, context: dict) -> Outcome:
        """Compile and simulate `candidate` (a complete source) inside `run_dir`."""

    def run_context(self, task: Task, reference: bool) -> dict:
        """Facts a run needs beyond the task (e.g. the reference's sample count)."""
        return {}

    def content_files(self) -> list[Path]:
        """Files whose content defines the benchmark, for the provenance hash."""
        return sorted(p for p in self.path.rglob("*") if p.is_file() and ".git" not in p.parts)

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for p in self.content_files():
            h.update(str(p.relative_to(self.path)).encode())
            h.update(p.read_bytes())
        return h.hexdigest()[:16]

    # -- the part shared by all benchmarks ------------------------------------------------------

    def candidate_source(self, task: Task, completion: str) -> str | None:
        """The Verilog that goes to the simulator, or None when there is no module."""
        return extract_modules(completion, task.top)

    def precheck(self, source: str) -> Outcome | None:
        findings = forbidden_system_tasks(source)
        for marker in self.pass_markers:
            if re.search(r'"[^"\n]*' + re.escape(marker), source):
                findings.append(f"prints the testbench's pass marker {marker!r}")
        if findings:
            return fixed_failure("X", "rejected before simulation: " + "; ".join(map(str, findings)))
        return None

    def evaluate(self, task: Task, completion: str, work_root: Path | None = None, *,
                 reference: bool = False) -> Outcome:
        """Judge one completion; `reference=True` marks the run of the task's own reference."""
        start = time.monotonic()
        context = self.run_context(task, reference)
        source = self.candidate_source(task, completion)
        if source is None:
            out = fixed_failure("N", "no module found in the completion")
        else:
            out = self.precheck(source)
            if out is None:
                with RunDir(work_root) as run_dir:
                    out = self.run_candidate(task, source, run_dir, context)
        out.seconds = time.monotonic() - start
        return out

    def sim_limits(self) -> Limits:
        return Limits(wall_s=self.timeout_s)
