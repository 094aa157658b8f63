"""Showcase: the offload-controller golden model, reference RTL and cocotb bench.

The bench runs on the real reference RTL under Icarus (through cocotb's runner in a sandboxed
child), and once on a mutated copy to prove the bench can fail.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "testbenches" / "offload_controller"
sys.path.insert(0, str(BENCH))

from oc_model import (A_BYTES_LO, A_CTRL, A_HITS, A_THRESH, OffloadModel, Params,  # noqa: E402
                      POLICY_HOBBIT, POLICY_LFU, POLICY_LRU)
from oc_runner import REFERENCE_SOURCES, run_bench  # noqa: E402

needs_sim = pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")


def test_model_lru_ranks_stay_a_permutation():
    p = Params(E=16, S=4, K=2, D=1)
    m = OffloadModel(p)
    rng = random.Random(0)
    for _ in range(300):
        m.request(rng.sample(range(16), 2), [200, 200], rng.randrange(4))
        m.release()
        ages = sorted(s.age for s in m.tags.slots if s.valid)
        assert ages == list(range(len(ages)))


def test_model_policies_pick_different_victims():
    """Same history, three policies: LRU evicts the oldest, LFU the least used, HOBBIT weighs
    the layer distance too."""
    p = Params(E=16, S=4, K=1, D=1, LW=2)
    victims = {}
    for pol in (POLICY_LRU, POLICY_LFU, POLICY_HOBBIT):
        m = OffloadModel(p)
        m.csr_write(A_CTRL, pol)
        for e, layer in [(0, 1), (0, 1), (0, 1), (1, 2), (2, 3), (3, 0)]:
            m.request([e], [255], layer)
            m.release()
        m.request([9], [255], 0)
        victims[pol] = m.dma[-1].slot
    assert victims[POLICY_LRU] == 0           # expert 0 is the least recent
    assert victims[POLICY_LFU] != 0           # but the most frequent
    assert victims[POLICY_HOBBIT] in (1, 2, 3)


def test_model_threshold_is_strict_and_bytes_add_up():
    p = Params(E=16, S=4, K=2, D=1)
    m = OffloadModel(p)
    m.csr_write(A_THRESH, 100)
    m.request([1, 2], [99, 100], 0)
    assert [d.lowp for d in m.dma] == [True, False]
    assert m.csr_read(A_BYTES_LO) == p.LOW_BYTES + p.FULL_BYTES
    assert m.csr_read(A_HITS) == 0


def test_model_stalls_until_release():
    p = Params(E=16, S=4, K=2, D=3)
    m = OffloadModel(p)
    m.request([0, 1], [9, 9], 0)
    m.request([2, 3], [9, 9], 0)
    m.request([4, 5], [9, 9], 0)      # every slot pinned: waits
    assert m.stalled and len(m.responses) == 2
    m.release()
    assert not m.stalled and len(m.responses) == 3


@needs_sim
def test_reference_rtl_passes_full_bench(tmp_path):
    res = run_bench(REFERENCE_SOURCES, params={}, seed=3, scale=0.5, timeout_s=120, work_dir=tmp_path)
    assert res.ok, (res.failures, res.log_tail[-2000:])
    assert set(res.tests) >= {"csr_access", "random_traffic", "trace_driven", "all_slots_busy",
                              "dma_backpressure", "threshold_edges", "reset_mid_stream"}


@needs_sim
def test_bench_catches_a_threshold_bug(tmp_path):
    srcs = []
    for s in REFERENCE_SOURCES:
        text = s.read_text()
        if s.name == "offload_controller.sv":
            assert "(cur_gate < threshold)" in text
            text = text.replace("(cur_gate < threshold)", "(cur_gate <= threshold)")
        (tmp_path / s.name).write_text(text)
        srcs.append(tmp_path / s.name)
    res = run_bench(srcs, params={}, tests=["threshold_edges"], timeout_s=60,
                    work_dir=tmp_path / "run")
    assert res.tests.get("threshold_edges") is False
    assert "model expects" in res.failures["threshold_edges"] or "CSR" in res.failures["threshold_edges"]


@pytest.mark.skipif(not shutil.which("verilator"), reason="verilator not installed")
@pytest.mark.parametrize("params", [{}, {"E": 64, "S": 16, "K": 4, "P": 4, "D": 2, "LW": 3}])
def test_reference_rtl_lint_clean(tmp_path, params):
    from eval.sandbox import Limits, run

    argv = ["verilator", "--lint-only", "-Wall", "--top-module", "offload_controller",
            *[f"-G{k}={v}" for k, v in params.items()], *map(str, REFERENCE_SOURCES)]
    res = run(argv, tmp_path, Limits(wall_s=60))
    assert res.returncode == 0 and "%Warning" not in res.output, res.output[-2000:]
