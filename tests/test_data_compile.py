"""The compile filter's reach, end to end through `build` with real Icarus and real Verilator:
a module compiles with a sibling that is itself held out (GPL folder), SystemVerilog that Icarus 11
cannot parse is kept by the Verilator fallback (and never becomes a problem), a module broken for
both tools is dropped with its Icarus reason, and a per-source `exclude` keeps third-party files
out before anything reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_helpers import FIX, git_repo

MIT = (FIX / "repo_mit" / "LICENSE").read_text()

FILES = {
    "LICENSE": MIT,
    "rtl/uses_helper.v": """// A parity register built on a vendored helper.
module uses_helper(input wire clk, input wire [7:0] d, output reg p);
  wire x;
  helper_xor8 u_h(.a(d), .y(x));
  always @(posedge clk) p <= x;
endmodule
""",
    "vendor/COPYING": "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n",
    "vendor/helper_xor8.v": """module helper_xor8(input wire [7:0] a, output wire y);
  assign y = ^a;
endmodule
""",
    "rtl/sv_struct.sv": """// Valid SystemVerilog that Icarus 11 rejects (assignment pattern with member names).
module sv_struct #(parameter int N = 4) (input logic clk, input logic [N-1:0] d, output logic [N-1:0] q);
  typedef struct packed { logic v; logic [N-1:0] x; } ent_t;
  ent_t r;
  always_ff @(posedge clk) r <= '{v: 1'b1, x: d};
  assign q = r.v ? r.x : '0;
endmodule
""",
    "rtl/sv_broken.sv": """module sv_broken #(parameter int N = 4) (input logic clk, input logic [N-1:0] d, output logic [N-1:0] q);
  typedef struct packed { logic v; logic [N-1:0] x; } ent_t;
  ent_t r;
  always_ff @(posedge clk) r <= '{v: 1'b1, x: d};
  assign q = r.v ? r.x : not_declared_anywhere;
endmodule
""",
    "rtl/uses_hdr.v": """`include "common/defs.svh"
// Width comes from a header of another repository (as pulp-platform's common_cells headers do).
module uses_hdr(input wire clk, input wire [`HW-1:0] d, output reg [`HW-1:0] q);
  always @(posedge clk) q <= d ^ {`HW{1'b1}};
endmodule
""",
    "third_party/iwls/counter_ip.v": """module counter_ip(input wire clk, input wire rst, output reg [7:0] n);
  always @(posedge clk) if (rst) n <= 8'd0; else n <= n + 8'd3;
endmodule
""",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from data_pipeline.config import DataConfig, SourceSpec
    from data_pipeline.pipeline import build

    tmp = tmp_path_factory.mktemp("cc")
    src = tmp / "src"
    for rel, text in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    repo = git_repo(src, tmp / "repo")
    hdr = tmp / "hdr"
    (hdr / "include" / "common").mkdir(parents=True)
    (hdr / "include" / "common" / "defs.svh").write_text("`define HW 6\n")
    (hdr / "LICENSE").write_text(MIT)
    cfg = DataConfig(name="cc", workers=1, sources=[SourceSpec(kind="git", name="fx/cc", path=str(repo),
                                                               exclude=["third_party/iwls"]),
                                                    SourceSpec(kind="local", name="fx/hdr", path=str(hdr))])
    cfg.decontam.benchmarks = {f"local:{FIX / 'bench'}": None}
    cfg.filter.min_tokens = 10
    report = build(cfg, tmp / "out", progress=False)
    mods = {m["name"]: m for m in map(json.loads, (tmp / "out" / "modules.jsonl").read_text().splitlines())}
    return cfg, tmp, report, mods


def test_sibling_held_out_by_license_still_serves_as_compile_context(built):
    _, _, report, mods = built
    assert "uses_helper" in mods and mods["uses_helper"]["compiler"] == "iverilog"
    assert "helper_xor8" not in mods  # GPL: compile context only, never output
    assert report["drops"]["license"] == {"license GPL-3.0 not allowed": 1}


def test_include_found_in_another_source(built):
    _, _, _, mods = built
    assert "uses_hdr" in mods and mods["uses_hdr"]["compiler"] == "iverilog"


def test_verilator_fallback_keeps_valid_sv_and_drops_broken(built):
    _, _, report, mods = built
    assert mods["sv_struct"]["compiler"] == "verilator"
    assert "sv_broken" not in mods
    assert report["drops"]["compile"] == {"compile: syntax error": 1}
    stages = dict((f["stage"], f["count"]) for f in report["funnel"])
    assert stages["compiles (iverilog -g2012; else verilator --lint-only)"] == 3
    # Icarus cannot run it, so it cannot be a problem's reference
    assert any("Verilator fallback" in r for r in report["drops"].get("problems", {}))


def test_exclude_glob_keeps_third_party_out(built):
    _, _, report, mods = built
    assert "counter_ip" not in mods
    assert report["drops"]["files"] == {"excluded by config": 1}


def test_fallback_off_drops_what_icarus_cannot_parse(built, tmp_path):
    import copy

    from data_pipeline.pipeline import build

    cfg, tmp, _, _ = built
    cfg2 = copy.deepcopy(cfg)
    cfg2.filter.fallback = ""
    cfg2.cache_dir = str(tmp / "out" / ".cache")  # Icarus results are reused from the first build
    report = build(cfg2, tmp_path / "out", progress=False)
    names = {json.loads(l)["name"] for l in (tmp_path / "out" / "modules.jsonl").read_text().splitlines()}
    assert names == {"uses_helper", "uses_hdr"} and report["drops"]["compile"] == {"compile: syntax error": 2}


def test_verilator_gets_packages_in_dependency_order():
    """Context arrives sorted by name; Verilator must see `a_pkg` before `b_pkg` that uses it, and
    a package of the repo that cannot parse (UVM) must not fail a module that never names it."""
    from data_pipeline.filters import order_context, verilator_group

    b_pkg = "package b_pkg;\n  typedef a_pkg::word_t pair_t [2];\n  localparam int W = a_pkg::W;\nendpackage\n"
    a_pkg = "package a_pkg;\n  localparam int W = 8;\n  typedef logic [W-1:0] word_t;\nendpackage\n"
    assert order_context([b_pkg, a_pkg]) == [a_pkg, b_pkg]
    top = {"id": "t", "name": "uses_pkgs", "preamble": "", "instances": [], "target": True,
           "code": "module uses_pkgs import b_pkg::*; (input logic [W-1:0] d, output logic [W-1:0] q);\n"
                   "  assign q = ~d;\nendmodule\n"}
    bad = {**top, "id": "u", "name": "uses_missing",
           "code": top["code"].replace("uses_pkgs", "uses_missing").replace("b_pkg", "c_pkg")}
    junk = 'package junk_pkg;\n  import uvm_pkg::*;\n  `include "src/missing_typedefs.svh"\nendpackage\n'
    res = verilator_group({"modules": [top, bad], "context": [b_pkg, junk, a_pkg], "includes": {}})
    assert res["ok"] == ["t"] and "c_pkg" in res["fail"]["u"]


def test_interface_with_testbench_clocking_block_still_serves_as_context():
    """Verilator 5.006 rejects `inout` clocking items; the lint context drops clocking blocks."""
    from data_pipeline.filters import verilator_group

    intf = ("interface bus_if (input logic clk);\n  logic [7:0] data; logic valid;\n"
            "  modport rx (input data, valid);\n  clocking cb @(posedge clk);\n    inout data, valid;\n"
            "  endclocking\nendinterface\n")
    top = {"id": "t", "name": "t", "preamble": "", "instances": [], "target": True,
           "code": "module t (input logic clk, bus_if.rx r, output logic [7:0] q);\n"
                   "  always_ff @(posedge clk) if (r.valid) q <= r.data;\nendmodule\n"}
    assert verilator_group({"modules": [top], "context": [intf], "includes": {}}) == {"ok": ["t"], "fail": {}}


def test_a_name_defined_twice_binds_to_the_nearest_definition(tmp_path):
    """Tiny Tapeout collections hold many projects, each with its own `tone`: project b's top must
    compile with b's `tone` (other ports), not with the first one in path order."""
    from data_pipeline.config import DataConfig, SourceSpec
    from data_pipeline.pipeline import build

    files = {
        "LICENSE": MIT,
        "proj_a/src/tone.v": "module tone(input wire clk, output reg q);\n  always @(posedge clk) q <= ~q;\nendmodule\n",
        "proj_a/src/top_a.v": ("// project a\nmodule top_a(input wire clk, output wire y);\n"
                               "  tone u_t(.clk(clk), .q(y));\nendmodule\n"),
        "proj_b/src/tone.v": ("module tone(input wire clk, input wire [7:0] period, output reg out);\n"
                              "  reg [7:0] n;\n  always @(posedge clk) begin n <= n + 8'd1; "
                              "if (n == period) out <= ~out; end\nendmodule\n"),
        "proj_b/src/top_b.v": ("// project b\nmodule top_b(input wire clk, input wire [7:0] p, output wire y);\n"
                               "  tone u_t(.clk(clk), .period(p), .out(y));\nendmodule\n"),
    }
    src = tmp_path / "src"
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    repo = git_repo(src, tmp_path / "repo")
    cfg = DataConfig(name="tt", workers=1, sources=[SourceSpec(kind="git", name="fx/tt", path=str(repo))])
    cfg.decontam.benchmarks = {f"local:{FIX / 'bench'}": None}
    cfg.filter.min_tokens = 5
    cfg.problems.enabled = False
    report = build(cfg, tmp_path / "out", progress=False)
    names = sorted(json.loads(l)["name"] for l in (tmp_path / "out" / "modules.jsonl").read_text().splitlines())
    assert {"top_a", "top_b"} <= set(names), (names, report["drops"])
    assert "compile" not in report["drops"] or not report["drops"]["compile"]
