"""Run the offload-controller cocotb benches (full design or one sub-block) on Icarus.

cocotb's runner sets no wall-clock limit and a candidate design may loop forever, so the runner
itself runs in a child process through `eval.sandbox.run` (rlimits, process-group kill, bwrap
where available). The parent reads cocotb's JUnit XML for per-test outcomes. This is the entry
point pytest, `rtlgen` hierarchical generation and the report use:

    run_bench(["rtl/*.sv"...], top="offload_controller", params={...}, tests=["random_traffic"])

Also callable as a script: `python oc_runner.py '<json request>'` (that is what the child runs).
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RTL_DIR = HERE / "rtl"
REFERENCE_SOURCES = [RTL_DIR / f for f in
                     ("oc_tag_store.sv", "oc_victim_select.sv", "oc_dma_req.sv", "oc_csr.sv",
                      "offload_controller.sv")]
# test module per top-level: the full bench and the per-block unit benches
TEST_MODULES = {"offload_controller": "cocotb_offload", "oc_tag_store": "cocotb_blocks",
                "oc_victim_select": "cocotb_blocks", "oc_dma_req": "cocotb_blocks",
                "oc_csr": "cocotb_blocks"}


@dataclass
class BenchResult:
    ok: bool                       # every selected test ran and passed
    tests: dict[str, bool] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    timed_out: bool = False
    log_tail: str = ""

    @property
    def n_passed(self) -> int:
        return sum(self.tests.values())


def _parse_results(xml_path: Path) -> tuple[dict[str, bool], dict[str, str]]:
    tests, failures = {}, {}
    root = ET.parse(xml_path).getroot()
    for tc in root.iter("testcase"):
        name = tc.get("name", "?")
        if tc.find("skipped") is not None:      # tests of the other blocks in the same module
            continue
        bad = tc.find("failure") if tc.find("failure") is not None else tc.find("error")
        tests[name] = bad is None
        if bad is not None:
            failures[name] = (bad.get("message") or bad.text or "failed")[:2000]
    return tests, failures


def run_bench(sources, *, top: str = "offload_controller", params: dict | None = None,
              tests: list[str] | None = None, seed: int = 1, scale: float = 1.0,
              timeout_s: float = 120.0, work_dir: Path | None = None) -> BenchResult:
    """Build `sources` with Icarus and run the bench for `top` in a sandboxed child process."""
    from eval.sandbox import Limits, RunDir, run

    srcs = [str(Path(s).resolve()) for s in sources]
    for s in srcs:
        if not Path(s).is_file():
            from eval.errors import UserError
            raise UserError(f"source not found: {s}")
    if top not in TEST_MODULES:
        from eval.errors import UserError
        raise UserError(f"no bench for top {top!r}; known: {', '.join(TEST_MODULES)}")

    def go(rd: Path) -> BenchResult:
        # sources are copied into the run directory: the sandbox only exposes it writable, and a
        # generated design must not be read from anywhere else
        local = []
        for i, s in enumerate(srcs):
            dst = rd / f"src{i}_{Path(s).name}"
            dst.write_text(Path(s).read_text(encoding="utf-8", errors="replace"))
            local.append(str(dst))
        request = {"sources": local, "top": top, "params": params or {}, "tests": tests,
                   "seed": seed, "scale": scale, "build_dir": str(rd / "build")}
        env = {"PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)]),
               "PYTHONDONTWRITEBYTECODE": "1"}
        res = run([sys.executable, str(HERE / "oc_runner.py"), json.dumps(request)], rd,
                  Limits(wall_s=timeout_s, mem_bytes=8 << 30), env=env)
        xml = rd / "build" / "results.xml"
        out = BenchResult(ok=False, seconds=res.seconds, timed_out=res.timed_out,
                          log_tail=res.output[-4000:])
        if xml.exists():
            out.tests, out.failures = _parse_results(xml)
        wanted = tests or []
        out.ok = (not res.timed_out and bool(out.tests) and all(out.tests.values())
                  and all(t in out.tests for t in wanted))
        return out

    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        return go(work_dir.resolve())
    with RunDir() as rd:
        return go(rd)


def verilog_params(top: str, model_params: dict) -> dict:
    """Verilog parameters of `top` for a configuration given as oc_model.Params fields."""
    sys.path.insert(0, str(HERE))
    from oc_model import Params

    p = Params(**model_params)
    if top == "offload_controller":
        return p.verilog()
    if top == "oc_tag_store":
        return {"S": p.S, "EW": p.EW, "LW": p.LW, "FW": p.FW}
    if top == "oc_victim_select":
        return {"S": p.S, "LW": p.LW, "FW": p.FW}
    if top == "oc_dma_req":
        return {"EW": p.EW, "SW": p.SW, "OW": 8}
    if top == "oc_csr":
        return {"E": p.E, "S": p.S, "K": p.K, "GW": p.GW}
    raise ValueError(top)


def _child(request: dict) -> int:
    """Runs inside the sandbox: build and test with cocotb's runner."""
    from cocotb_tools.runner import get_runner

    runner = get_runner("icarus")
    params = request["params"]
    vparams = verilog_params(request["top"], params)
    build_dir = Path(request["build_dir"])
    runner.build(sources=request["sources"], hdl_toplevel=request["top"], build_dir=build_dir,
                 parameters=vparams, build_args=["-g2012"], timescale=("1ns", "1ps"), always=True)
    runner.test(test_module=TEST_MODULES[request["top"]], hdl_toplevel=request["top"],
                testcase=request["tests"] or None, build_dir=build_dir, test_dir=build_dir,
                results_xml=str(build_dir / "results.xml"),
                extra_env={"OC_PARAMS": json.dumps(params), "OC_SEED": str(request["seed"]),
                           "OC_SCALE": str(request["scale"]),
                           "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    return 0


if __name__ == "__main__":
    sys.exit(_child(json.loads(sys.argv[1])))
