"""VerilogEval v1 (JSONL, `top_module`) and v2 (per-problem files, `TopModule`/`RefModule`).

Rules follow upstream exactly: v1 compiles test + prompt + completion as one file and fails a
sample on any stderr output; v2 compiles sample, test and reference with
`iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb`, runs with a 30 s limit, and passes on the
testbench's `Mismatches: 0` line when the analyzer finds no compile-time class and no TIMEOUT.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

from eval.benchmarks.base import Benchmark, Outcome, Task, tail
from eval.benchmarks.mismatch_tb import judge, patch_testbench
from eval.errors import UserError
from eval.extract import defines_module, extract_modules, code_region
from eval.failures import PASS
from eval.simulators import iverilog_compile, vvp_run

_HEADER = re.compile(r"\bmodule\s+TopModule\b.*?\);", re.S)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"missing benchmark file: {path}") from None
    except UnicodeDecodeError:
        raise UserError(f"benchmark file is not UTF-8: {path}") from None


class _MismatchBenchmark(Benchmark):
    """Shared: completion assembly and the reference sample counts that guard against early $finish."""

    pass_markers = ("Mismatches:",)

    def __init__(self, path: Path):
        super().__init__(path)
        self._expected: dict[str, int] = {}
        self._lock = threading.Lock()

    def candidate_source(self, task: Task, completion: str) -> str | None:
        if task.interface and not defines_module(completion, task.top):
            body = code_region(completion)
            if not re.search(r"\bendmodule\b", body):
                body += "\nendmodule\n"
            completion = task.interface + "\n" + body
        return extract_modules(completion, task.top)

    def expected_samples(self, task: Task) -> int | None:
        """Vectors the testbench compares for the reference (computed once per task)."""
        with self._lock:
            if task.task_id in self._expected:
                return self._expected[task.task_id]
        out = self.evaluate(task, task.reference, reference=True)
        with self._lock:
            self._expected[task.task_id] = out.samples
        return out.samples

    def set_expected_samples(self, task_id: str, samples: int | None) -> None:
        with self._lock:
            self._expected[task_id] = samples

    def run_context(self, task: Task, reference: bool) -> dict:
        return {"expected": None if reference else self.expected_samples(task)}

    def _compile_and_run(self, run_dir: Path, sources: list[str], binary: str, candidate: str, nonce: str,
                         expected: int | None, any_stderr_fails: bool = False) -> Outcome:
        """Compile with upstream's flags, delete the sources (the nonce must not be readable by the
        design), simulate under the time limit and judge the testbench's own verdict."""
        comp = iverilog_compile(run_dir, sources, out=binary)
        log, stderr = comp.stdout + comp.stderr, comp.stderr
        compiled = comp.returncode == 0 and (run_dir / binary).exists()
        crashed = False
        if compiled:
            for src in sources:
                (run_dir / src).unlink()
            sim = vvp_run(run_dir, binary, limits=self.sim_limits())
            log += sim.stdout + sim.stderr
            stderr += sim.stderr
            if sim.timed_out:
                log += "TIMEOUT\n"
            crashed = not sim.timed_out and (sim.truncated or sim.signal is not None or sim.returncode != 0)
        code, verdict = judge(log, candidate, nonce, expected)
        passed = code == PASS and not crashed
        if crashed and code in (PASS, "r", "R"):
            code = "F"
        if passed and any_stderr_fails and stderr.strip():  # upstream v1: any stderr output fails the sample
            passed, code = False, "C"
        return Outcome(syntax_ok=compiled, passed=passed, failure=None if passed else code, log_tail=tail(log),
                       samples=verdict[1] if verdict else None, mismatches=verdict[0] if verdict else None)


class VerilogEvalV2(_MismatchBenchmark):
    """Upstream directory layout; also serves `local:<dir>` suites."""

    dataset_dir = ""
    kind = "spec-to-rtl"
    repo = "https://github.com/NVlabs/verilog-eval"
    branch = "main"

    def root(self) -> Path:
        cand = self.path / self.dataset_dir if self.dataset_dir else self.path
        if not (cand / "problems.txt").exists() and (self.path / "problems.txt").exists():
            cand = self.path
        if not (cand / "problems.txt").exists():
            raise UserError(f"{self.name}: no problems.txt under {cand} (expected the VerilogEval v2 layout)")
        return cand

    def content_files(self) -> list[Path]:
        root = self.root()
        return sorted(p for p in root.iterdir() if p.is_file())

    def load(self) -> dict[str, Task]:
        root = self.root()
        tasks: dict[str, Task] = {}
        for pid in read_text(root / "problems.txt").split():
            prompt = read_text(root / f"{pid}_prompt.txt")
            ref = read_text(root / f"{pid}_ref.sv")
            test = read_text(root / f"{pid}_test.sv")
            header = _HEADER.search(prompt)
            kind = "code-complete" if header and self.kind != "spec-to-rtl" else self.kind
            tasks[pid] = Task(
                task_id=pid, kind=kind, prompt=prompt, top="TopModule",
                reference=re.sub(r"\bmodule\s+RefModule\b", "module TopModule", ref, count=1),
                interface=header.group(0) if header and kind == "code-complete" else None,
                meta={"dir": str(root), "test": test},
            )
        return tasks

    def run_candidate(self, task: Task, candidate: str, run_dir: Path, context: dict) -> Outcome:
        root = Path(task.meta["dir"])
        pid = task.task_id
        tb, nonce = patch_testbench(task.meta["test"])
        (run_dir / f"{pid}_sample.sv").write_text(candidate)
        (run_dir / f"{pid}_test.sv").write_text(tb)
        shutil.copy(root / f"{pid}_ref.sv", run_dir / f"{pid}_ref.sv")
        return self._compile_and_run(run_dir, [f"{pid}_sample.sv", f"{pid}_test.sv", f"{pid}_ref.sv"], pid,
                                     candidate, nonce, context["expected"])


class VerilogEvalV2Spec(VerilogEvalV2):
    name = "verilogeval-v2-spec"
    description = "VerilogEval v2, spec-to-rtl (156 problems)"
    dataset_dir = "dataset_spec-to-rtl"
    kind = "spec-to-rtl"


class VerilogEvalV2Complete(VerilogEvalV2):
    name = "verilogeval-v2-complete"
    description = "VerilogEval v2, code completion, ICCAD 2023 prompts (156 problems)"
    dataset_dir = "dataset_code-complete-iccad2023"
    kind = "code-complete"


class LocalSuite(VerilogEvalV2):
    """Any directory in the VerilogEval v2 layout (`local:<dir>`), e.g. synthesised problems."""

    name = "local"
    description = "a suite in the VerilogEval v2 layout"
    repo = ""
    kind = "spec-to-rtl"


class VerilogEvalV1(_MismatchBenchmark):
    name = "verilogeval-v1"
    jsonl = ""
    desc_jsonl = ""
    repo = "https://github.com/NVlabs/verilog-eval"
    branch = "release/1.0.0"

    def _file(self, name: str) -> Path:
        for cand in (self.path / "data" / name, self.path / name):
            if cand.exists():
                return cand
        raise UserError(f"{self.name}: {name} not found under {self.path} (expected the release/1.0.0 layout)")

    def content_files(self) -> list[Path]:
        return [self._file(self.jsonl)]

    def load(self) -> dict[str, Task]:
        descs: dict[str, str] = {}
        desc_path = self.path / "descriptions" / self.desc_jsonl
        if desc_path.exists():
            for line in read_text(desc_path).splitlines():
                if line.strip():
                    rec = json.loads(line)
                    descs[rec["task_id"]] = rec["detail_description"]
        tasks: dict[str, Task] = {}
        path = self._file(self.jsonl)
        for lineno, line in enumerate(read_text(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{lineno}: malformed JSON ({exc.msg})") from None
            header = rec["prompt"]
            desc = descs.get(rec["task_id"], "")
            tasks[rec["task_id"]] = Task(
                task_id=rec["task_id"], kind="code-complete",
                prompt=(desc.strip() + "\n\n" + header) if desc else header,
                top="top_module", reference=header + rec["canonical_solution"], interface=header,
                meta={"test": rec["test"], "description": desc},
            )
        return tasks

    def run_candidate(self, task: Task, candidate: str, run_dir: Path, context: dict) -> Outcome:
        tb, nonce = patch_testbench(task.meta["test"])
        name = task.task_id
        (run_dir / f"{name}.sv").write_text(tb + "\n" + candidate)
        return self._compile_and_run(run_dir, [f"{name}.sv"], "test.vvp", candidate, nonce, context["expected"],
                                     any_stderr_fails=True)


class VerilogEvalV1Human(VerilogEvalV1):
    name = "verilogeval-v1-human"
    description = "VerilogEval v1 Human (156 problems)"
    jsonl = "VerilogEval_Human.jsonl"
    desc_jsonl = "VerilogDescription_Human.jsonl"


class VerilogEvalV1Machine(VerilogEvalV1):
    name = "verilogeval-v1-machine"
    description = "VerilogEval v1 Machine (143 problems)"
    jsonl = "VerilogEval_Machine.jsonl"
    desc_jsonl = "VerilogDescription_Machine.jsonl"
