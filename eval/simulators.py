"""Adapters for the HDL tools: Icarus (compile + vvp), Verilator (lint) and Yosys (synthesis check).

Each adapter only builds argument lists and runs them through the sandbox; judging the output is
the benchmark's job, because every benchmark has its own pass rule.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from eval.errors import UserError
from eval.sandbox import Limits, RunResult, run

IVERILOG_FLAGS = ["-Wall", "-Winfloop", "-Wno-timescale", "-g2012"]


def require(tool: str) -> str:
    exe = shutil.which(tool)
    if not exe:
        raise UserError(f"{tool} not found on PATH: install it (Debian: apt-get install -y iverilog yosys verilator)")
    return exe


@lru_cache(maxsize=None)
def tool_version(tool: str) -> str:
    """First line of the tool's version banner, or 'missing'."""
    args = {"iverilog": ["iverilog", "-V"], "verilator": ["verilator", "--version"],
            "yosys": ["yosys", "-V"], "bwrap": ["bwrap", "--version"]}.get(tool, [tool, "--version"])
    if not shutil.which(args[0]):
        return "missing"
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (p.stdout or p.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def tool_versions() -> dict[str, str]:
    return {t: tool_version(t) for t in ("iverilog", "verilator", "yosys", "bwrap")}


def iverilog_compile(run_dir: Path, sources: list[str], out: str = "sim.vvp", *, top: str | None = "tb",
                     flags: list[str] | None = None, limits: Limits | None = None) -> RunResult:
    require("iverilog")
    argv = ["iverilog", *(IVERILOG_FLAGS if flags is None else flags)]
    if top:
        argv += ["-s", top]
    argv += ["-o", out, *sources]
    return run(argv, run_dir, limits or Limits(wall_s=60))


def vvp_run(run_dir: Path, vvp_file: str = "sim.vvp", *, limits: Limits | None = None) -> RunResult:
    return run(["vvp", "-n", vvp_file], run_dir, limits or Limits(wall_s=30))


def verilator_lint(run_dir: Path, sources: list[str], *, top: str | None = None,
                   limits: Limits | None = None) -> RunResult:
    require("verilator")
    argv = ["verilator", "--lint-only", "-Wall", "-Wno-DECLFILENAME", "-Wno-UNUSEDSIGNAL",
            "-Wno-UNUSEDPARAM", "-Wno-EOFNEWLINE"]
    if top:
        argv += ["--top-module", top]
    return run(argv + sources, run_dir, limits or Limits(wall_s=60))


def yosys_check(run_dir: Path, sources: list[str], *, top: str | None = None,
                limits: Limits | None = None) -> RunResult:
    """Generic synthesis: tells whether a design is synthesizable at all."""
    require("yosys")
    reads = "; ".join(f"read_verilog -sv {s}" for s in sources)
    script = f"{reads}; synth {'-top ' + top if top else '-auto-top'}; stat"
    return run(["yosys", "-q", "-p", script], run_dir, limits or Limits(wall_s=120))


_WARN = re.compile(r"^%Warning-([A-Z0-9_]+):", re.M)
_ERR = re.compile(r"^%Error", re.M)


def lint_summary(result: RunResult) -> dict:
    """Counts of Verilator warnings by code, and whether it reported errors."""
    codes: dict[str, int] = {}
    for m in _WARN.finditer(result.output):
        codes[m.group(1)] = codes.get(m.group(1), 0) + 1
    return {"errors": bool(_ERR.search(result.output)) or result.timed_out,
            "warnings": sum(codes.values()), "codes": codes}
