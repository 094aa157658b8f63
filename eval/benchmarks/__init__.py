"""The benchmark registry: one name per benchmark, `local:<dir>` for suites in the v2 layout."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from eval.benchmarks.base import Benchmark, Outcome, Task
from eval.benchmarks.rtllm import RTLLMv11, RTLLMv2
from eval.benchmarks.verilogeval import (LocalSuite, VerilogEvalV1Human, VerilogEvalV1Machine,
                                         VerilogEvalV2Complete, VerilogEvalV2Spec)
from eval.errors import UserError

REGISTRY: dict[str, type[Benchmark]] = {cls.name: cls for cls in (
    VerilogEvalV1Human, VerilogEvalV1Machine, VerilogEvalV2Spec, VerilogEvalV2Complete, RTLLMv11, RTLLMv2)}

# Folder names tried under RTLGEN_BENCH_DIR when --path is not given.
DEFAULT_DIRS = {
    "verilogeval-v1-human": "verilog-eval-v1", "verilogeval-v1-machine": "verilog-eval-v1",
    "verilogeval-v2-spec": "verilog-eval-v2", "verilogeval-v2-complete": "verilog-eval-v2",
    "rtllm-v1.1": "rtllm-v1.1", "rtllm-v2": "rtllm-v2",
}
# RTLLM v2 is the unseen test set: nothing this project builds (training data, indexes, tuning) may
# read it, so development-time tools default to the others.
HELD_OUT = ("rtllm-v2",)
# the benchmarks every training and retrieval run is scored on, in report order
SCORED = ("verilogeval-v2-spec", "verilogeval-v2-complete", "verilogeval-v1-human", "verilogeval-v1-machine",
          "rtllm-v1.1")


def names() -> list[str]:
    return sorted(REGISTRY) + ["local:<dir>"]


def get_benchmark(name: str, path: str | Path | None = None) -> Benchmark:
    """Instantiate a benchmark by name; the data comes from `path` or `$RTLGEN_BENCH_DIR/<folder>`."""
    if name.startswith("local:"):
        local = Path(name[len("local:"):]).expanduser()
        if not local.is_dir():
            raise UserError(f"local suite {local} is not a directory")
        bench = LocalSuite(local)
        bench.name = f"local:{local.name}"
        return bench
    if name not in REGISTRY:
        near = difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.4)
        hint = f" (did you mean {', '.join(near)}?)" if near else f" (known: {', '.join(names())})"
        raise UserError(f"unknown benchmark {name!r}{hint}")
    if path is None:
        base = os.environ.get("RTLGEN_BENCH_DIR")
        if not base:
            raise UserError(f"{name}: give --path DIR or set RTLGEN_BENCH_DIR "
                            f"(fetch it with `rtlgen bench fetch {name} DIR`)")
        path = Path(base) / DEFAULT_DIRS[name]
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{name}: path {path} does not exist (fetch it with `rtlgen bench fetch {name} {path}`)")
    return REGISTRY[name](path)


__all__ = ["Benchmark", "Outcome", "Task", "REGISTRY", "get_benchmark", "names"]
