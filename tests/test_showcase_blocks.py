"""Showcase sub-blocks: each reference block passes its golden-model unit bench, and a broken
victim selector is caught (the benches hierarchical generation will rely on can fail)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "testbenches" / "offload_controller"
sys.path.insert(0, str(BENCH))

from oc_runner import RTL_DIR, run_bench  # noqa: E402

pytestmark = pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")


@pytest.mark.parametrize("top", ["oc_tag_store", "oc_victim_select", "oc_dma_req", "oc_csr"])
def test_reference_block_passes_unit_bench(tmp_path, top):
    res = run_bench([RTL_DIR / f"{top}.sv"], top=top, params={"E": 16, "S": 8}, scale=0.3,
                    timeout_s=60, work_dir=tmp_path)
    assert res.ok and len(res.tests) == 1, (res.failures, res.log_tail[-1500:])


def test_unit_bench_catches_wrong_tie_break(tmp_path):
    src = (RTL_DIR / "oc_victim_select.sv").read_text()
    bad = src.replace("nkey[(2*n+1)*KW +: KW] < nkey[(2*n)*KW +: KW]",
                      "nkey[(2*n+1)*KW +: KW] <= nkey[(2*n)*KW +: KW]")
    assert bad != src
    (tmp_path / "oc_victim_select.sv").write_text(bad)
    res = run_bench([tmp_path / "oc_victim_select.sv"], top="oc_victim_select", params={},
                    scale=0.3, timeout_s=60, work_dir=tmp_path / "run")
    assert res.tests == {"victim_select_matches_model": False}
    assert "model" in res.failures["victim_select_matches_model"]


def test_unknown_top_is_a_user_error():
    from eval.errors import UserError

    with pytest.raises(UserError):
        run_bench([RTL_DIR / "oc_csr.sv"], top="nope")
