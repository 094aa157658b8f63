"""RTLLM v1.1 (29 flat design folders) and v2.0 (nested `Category/Subcategory/design/`).

Each design folder holds `design_description.txt`, `testbench.v`, the reference `verified_<name>.v`
and sometimes data files that the testbench reads by relative path, so those are copied into the
run directory. Upstream runs VCS with `-timescale=1ns/1ns`; on Icarus the same effect comes from a
timescale file compiled first. A design passes when the output contains `Your Design Passed`.
The module name the testbench instantiates wins over the folder name and the description.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from eval.benchmarks.base import Benchmark, Outcome, Task, tail
from eval.benchmarks.verilogeval import read_text
from eval.errors import UserError
from eval.extract import module_blocks, strip_comments
from eval.failures import classify_log
from eval.sandbox import Limits
from eval.simulators import iverilog_compile, vvp_run

SPECIAL = {"design_description.txt", "testbench.v", "makefile", "Makefile"}
_KEYWORDS = {"module", "input", "output", "inout", "wire", "reg", "logic", "integer", "always", "assign",
             "initial", "if", "else", "for", "begin", "end", "case", "parameter", "localparam", "genvar",
             "task", "function", "repeat", "while", "forever", "real", "time", "event", "defparam", "wait",
             "fork", "join", "disable", "return", "automatic", "string", "bit", "int", "byte", "default"}


def instantiated_modules(tb: str) -> list[str]:
    """Module types instantiated in a testbench, in order of appearance, excluding its own modules."""
    text = strip_comments(tb)
    own = {n for n, _ in module_blocks(text)}
    names: list[str] = []
    pattern = r"^\s*([A-Za-z_]\w*)(?:\s*#\s*\((?:[^()]|\([^()]*\))*\))?\s+([A-Za-z_]\w*)\s*\("
    for m in re.finditer(pattern, text, re.M):
        t = m.group(1)
        if t not in _KEYWORDS and t not in own and t not in names:
            names.append(t)
    return names


class RTLLM(Benchmark):
    name = "rtllm"
    repo = "https://github.com/hkust-zhiyao/RTLLM"
    timeout_s = 8.0
    pass_markers = ("Design Passed",)

    def design_dirs(self) -> list[Path]:
        if not self.path.is_dir():
            raise UserError(f"{self.name}: {self.path} is not a directory")
        dirs = sorted({p.parent for p in self.path.rglob("testbench.v")
                       if ".git" not in p.parts and not any(part.startswith("_") for part in p.relative_to(self.path).parts)})
        if not dirs:
            raise UserError(f"{self.name}: no design folders with testbench.v under {self.path}")
        return dirs

    def content_files(self) -> list[Path]:
        return sorted(f for d in self.design_dirs() for f in d.iterdir() if f.is_file())

    def load(self) -> dict[str, Task]:
        tasks: dict[str, Task] = {}
        for d in self.design_dirs():
            tb = read_text(d / "testbench.v")
            verified = sorted(d.glob("verified_*.v"))
            ref = read_text(verified[0]) if verified else ""
            desc_path = d / "design_description.txt"
            desc = read_text(desc_path) if desc_path.exists() else ""
            ref_names = [n for n, _ in module_blocks(strip_comments(ref))]
            inst = instantiated_modules(tb)
            top = next((n for n in inst if n in ref_names), inst[0] if inst else d.name)
            rel = d.relative_to(self.path).as_posix()
            task_id = d.name  # the design folder name; duplicates are refused below
            if task_id in tasks:
                raise UserError(f"{self.name}: two designs named {task_id!r}")
            data = [f.name for f in d.iterdir() if f.is_file() and f.name not in SPECIAL
                    and not f.name.startswith("verified_")]
            tasks[task_id] = Task(
                task_id=task_id, kind="spec-to-rtl", prompt=desc, top=top,
                reference=ref, meta={"dir": str(d), "data_files": sorted(data), "design": d.name,
                                     "path": rel, "test": tb},
            )
        return tasks

    def run_candidate(self, task: Task, candidate: str, run_dir: Path, context: dict) -> Outcome:
        d = Path(task.meta["dir"])
        for name in task.meta["data_files"]:
            shutil.copy(d / name, run_dir / name)
        (run_dir / "timescale.v").write_text("`timescale 1ns/1ns\n")
        design_file = f"{task.meta['design']}.v"  # upstream saves the candidate as <design>.v
        (run_dir / design_file).write_text(candidate)
        (run_dir / "testbench.v").write_text(task.meta["test"])
        comp = iverilog_compile(run_dir, ["timescale.v", design_file, "testbench.v"], out="sim.vvp",
                                top=None, flags=["-g2012"])
        log = comp.stdout + comp.stderr
        compiled = comp.returncode == 0 and (run_dir / "sim.vvp").exists()
        if not compiled:
            code = classify_log(log, candidate)
            return Outcome(False, False, code if code not in ("r", "R") else "C", tail(log))
        sim = vvp_run(run_dir, "sim.vvp", limits=Limits(wall_s=self.timeout_s))
        log += sim.stdout + sim.stderr
        if sim.timed_out:
            return Outcome(True, False, "T", tail(log + "TIMEOUT\n"))
        if "Your Design Passed" in sim.stdout and not sim.truncated:
            return Outcome(True, True, None, tail(log))
        if sim.truncated or sim.signal is not None or sim.returncode != 0:
            return Outcome(True, False, "F", tail(log))
        code = classify_log(log, candidate)
        return Outcome(True, False, code, tail(log))


class RTLLMv11(RTLLM):
    name = "rtllm-v1.1"
    description = "RTLLM v1.1 (29 designs)"
    branch = "v1.1"


class RTLLMv2(RTLLM):
    name = "rtllm-v2"
    description = "RTLLM v2.0 (50 designs, nested Category/Subcategory/design)"
    branch = "main"
