"""Hierarchical generation end to end against a real local OpenAI-style HTTP server whose answers
are scripted per block: the offload-controller plan runs bottom-up with the real per-block cocotb
benches (oc_runner) deciding acceptance, a syntax error and a behavioural bug are repaired from the
tool output, a block the model re-writes inside the top is dropped, and the assembled design runs
the full bench. A second design exercises a model-written plan (first invalid, then repaired), a
shell-command block test and the `rtlgen generate --hierarchical` CLI. Plan validation errors are
checked one by one."""

import json
import re
import sys
from pathlib import Path

import pytest

from eval.errors import UserError
from gen_helpers import chat_server
from rtlgen.cli import main
from rtlgen.generate import GenerateConfig
from rtlgen.hierarchical import assemble, load_plan, plan_from_dict, run_plan, write_results

REPO = Path(__file__).resolve().parents[1]
OC = REPO / "testbenches" / "offload_controller"
RTL = {p.stem: p.read_text() for p in (OC / "rtl").glob("*.sv")}

# first answers: tag store with a syntax error, DMA block lint-clean but wrong (idle ignores the
# outstanding loads), the top with a bogus copy of oc_dma_req that must not replace the real one
FIRST = {
    "oc_victim_select": RTL["oc_victim_select"],
    "oc_tag_store": RTL["oc_tag_store"].replace("endmodule", "    assign lk_pf = ;\nendmodule"),
    "oc_dma_req": RTL["oc_dma_req"].replace("assign idle     = !dma_req_valid && (outstanding == '0);",
                                            "assign idle     = !dma_req_valid;"),
    "oc_csr": RTL["oc_csr"],
    "offload_controller": RTL["offload_controller"] +
    "\nmodule oc_dma_req(input logic clk);\n  assign nonsense = 1;\nendmodule\n",
}
assert FIRST["oc_dma_req"] != RTL["oc_dma_req"] and FIRST["oc_tag_store"] != RTL["oc_tag_store"]


class _Scripted:
    """Per block (read from the prompt): FIRST on a first request, the reference RTL on a repair.
    Plan requests (the decompose prompt) get `plans` in turn."""

    log: list = []
    plans: list = []
    answers: dict = {}
    repairs: dict = {}
    prompts: dict = {}

    @staticmethod
    def answer(body):
        msgs = body["messages"]
        first_user = next(m["content"] for m in msgs if m["role"] == "user")
        if "hardware architect" in msgs[0]["content"]:
            _Scripted.log.append(("plan", len(msgs) > 2))
            return "[BEGIN]\n" + _Scripted.plans.pop(0) + "\n[DONE]"
        name = re.search(r"Write the module `(\w+)`", first_user).group(1)
        repair = len(msgs) > 2
        _Scripted.log.append((name, repair))
        _Scripted.prompts.setdefault(name, first_user)
        if repair:
            _Scripted.repairs[name] = msgs[-1]["content"]
        code = _Scripted.answers[name][1 if repair else 0]
        return "Here it is:\n[BEGIN]\n" + code + "\n[DONE]"


@pytest.fixture()
def server():
    _Scripted.log, _Scripted.plans, _Scripted.answers, _Scripted.repairs, _Scripted.prompts = [], [], {}, {}, {}
    with chat_server(_Scripted.answer, tokens_per_choice=50) as url:
        yield url


def test_offload_controller_plan_bottom_up_with_repairs(server, tmp_path):
    _Scripted.answers = {k: (FIRST[k], RTL[k]) for k in FIRST}
    plan = load_plan(OC / "plan.yaml")
    for b in plan.blocks:  # shorter benches: the test is about the flow, not the design
        b.test["args"]["scale"] = 0.1
    cfg = GenerateConfig(backend="openai", endpoint=server, model="m", n=2, repair_rounds=2)
    res = run_plan(plan, cfg, log=lambda *a: None, progress=False)
    rep = res.report
    # bottom-up: every leaf before the top, which comes last; repairs only where the first answer failed
    firsts = [n for n, r in _Scripted.log if not r]
    assert firsts == ["oc_victim_select", "oc_tag_store", "oc_dma_req", "oc_csr", "offload_controller"]
    assert sorted(n for n, r in _Scripted.log if r) == ["oc_dma_req", "oc_tag_store"]
    blocks = {b["name"]: b for b in rep["blocks"]}
    assert all(b["accepted"] and b["tests_passed"] for b in blocks.values())
    assert blocks["oc_victim_select"]["repair_rounds_used"] == 0 and blocks["oc_victim_select"]["candidates_tried"] == 2
    # the syntax error went back to the model as Icarus output and was repaired in round 1
    ts = blocks["oc_tag_store"]
    assert ts["repair_rounds_used"] == 1 and ts["best_round"] == 1 and ts["candidates_tried"] == 3
    assert not ts["candidates"][0]["check"]["compiles"] and "iverilog" in _Scripted.repairs["oc_tag_store"]
    # the DMA block compiled lint-clean, yet its own unit bench refused it; the bench's message drove the repair
    dma = blocks["oc_dma_req"]
    c0 = dma["candidates"][0]["check"]
    assert c0["compiles"] and c0["lint_clean"] and c0["tests_passed"] is False and not c0["good"]
    assert "idle" in _Scripted.repairs["oc_dma_req"] and dma["best_round"] == 1
    assert dma["test_results"] == {"dma_req_order_and_idle": True}
    # the top saw the leaves' interfaces (not the leaves' specs) and its stray copy of oc_dma_req was dropped
    top_prompt = _Scripted.prompts["offload_controller"]
    assert all(f"The sub-module `{n}` already exists" in top_prompt for n in list(FIRST)[:4])
    assert "Control/status registers" in top_prompt and "st_age" in top_prompt
    assert blocks["offload_controller"]["tests_passed"] and "nonsense" not in res.block_codes["offload_controller"]
    # the assembled file holds each module once and passes the full bench
    assert res.assembled.count("module oc_dma_req") == 1 and "assign idle     = !dma_req_valid &&" in res.assembled
    a = rep["assembled"]
    assert a["compiles"] and a["tests_passed"] and len(a["test_results"]) == 7 and all(a["test_results"].values())
    s = rep["summary"]
    assert s["blocks_accepted"] == 5 and s["assembled_passes"] and s["repair_rounds_used"] == 2
    out, jrep, md = write_results(res, tmp_path / "oc.sv")
    assert json.loads(jrep.read_text())["summary"]["blocks"] == 5
    assert "5 of 5 blocks accepted" in md.read_text() and (tmp_path / "oc_blocks" / "oc_csr.sv").exists()


ADD_TB = r"""
module tb;
  reg [3:0] a, b; wire [4:0] s; integer i, errors = 0;
  TopModule dut(.a(a), .b(b), .s(s));
  initial begin
    for (i = 0; i < 256; i = i + 1) begin
      {a, b} = i; #1;
      if (s !== a + b) errors = errors + 1;
    end
    $display("Mismatches: %0d in 256 samples", errors);
    if (errors) $fatal(1, "FAIL");
    $finish;
  end
endmodule
"""
FA = "module full_add(input a, input b, input cin, output s, output cout);\n" \
     "  assign {cout, s} = a + b + cin;\nendmodule\n"
FA_BAD = FA.replace("a + b + cin", "a + b")
TOP = """module TopModule(input [3:0] a, input [3:0] b, output [4:0] s);
  wire [4:0] c;
  assign c[0] = 1'b0;
  genvar i;
  generate for (i = 0; i < 4; i = i + 1) begin : g
    full_add fa(.a(a[i]), .b(b[i]), .cin(c[i]), .s(s[i]), .cout(c[i+1]));
  end endgenerate
  assign s[4] = c[4];
endmodule
"""
PLAN_CYCLE = """top: TopModule
blocks:
  - name: full_add
    spec: one-bit full adder
    ports: [input a, input b, input cin, output s, output cout]
    depends: [TopModule]
  - name: TopModule
    spec: ripple adder
    depends: [full_add]
"""
PLAN_MODEL = """top: TopModule
blocks:
  - name: full_add
    spec: A one-bit full adder; {cout, s} = a + b + cin.
    ports: [input a, input b, input cin, output s, output cout]
  - name: TopModule
    spec: A 4-bit ripple-carry adder built from full_add.
    ports: [input a 4, input b 4, output s 5]
    depends: [full_add]
"""
PLAN_OK = """top: TopModule
blocks:
  - name: full_add
    spec: A one-bit full adder; {cout, s} = a + b + cin.
    ports: [input a, input b, input cin, output s, output cout]
    test:
      command: >-
        printf 'module t; reg a,b,c; wire s,o; integer i, e=0; full_add d(a,b,c,s,o);
        initial begin for (i=0;i<8;i=i+1) begin {a,b,c}=i; #1; if ({o,s}!==a+b+c) e=e+1; end
        if (e) $fatal(1); end endmodule' > t.v && iverilog -g2012 -o t.vvp {sources} t.v && vvp -n t.vvp
  - name: TopModule
    spec: A 4-bit ripple-carry adder built from full_add.
    ports: [input a 4, input b 4, output s 5]
    depends: [full_add]
"""


def test_model_plan_command_test_and_cli(server, tmp_path, capsys):
    spec = tmp_path / "adder.txt"
    spec.write_text("A 4-bit adder: module TopModule with inputs a[3:0], b[3:0] and output s[4:0] = a + b.\n")
    (tmp_path / "tb.v").write_text(ADD_TB)
    _Scripted.plans = [PLAN_CYCLE, PLAN_OK, PLAN_MODEL]
    _Scripted.answers = {"full_add": (FA.replace("cin;", "cin"), FA), "TopModule": (TOP, TOP)}
    out = tmp_path / "out" / "adder.v"
    rc = main(["generate", str(spec), "--hierarchical", "--backend", "openai", "--endpoint", server, "--model", "m",
               "-n", "1", "--repair", "2", "--tb", str(tmp_path / "tb.v"), "-o", str(out), "-q"])
    assert rc == 0, capsys.readouterr().err
    # the cyclic plan was sent back, then the one with a (model-chosen) test command
    assert _Scripted.log[:3] == [("plan", False), ("plan", True), ("plan", True)]
    rep = json.loads(out.with_suffix(".report.json").read_text())
    assert rep["plan"]["source"] == "model" and rep["plan"]["order"] == ["full_add", "TopModule"]
    errs = [a.get("error", "") for a in rep["plan_attempts"]]
    assert "cycle" in errs[0] and "may not contain 'test'" in errs[1] and rep["plan_attempts"][2]["ok"]
    fa, top = rep["blocks"]
    # no test for the leaf: compile errors drove its repair, then lint-clean was enough
    assert not fa["candidates"][0]["check"]["compiles"] and fa["accepted"] and fa["repair_rounds_used"] == 1
    assert top["has_test"] and top["tests_passed"]  # --tb became the top's test
    assert rep["assembled"]["tests_passed"] and "a + b + cin" in out.read_text()
    assert (tmp_path / "out" / "adder_blocks" / "full_add.sv").exists()


def _plan(blocks, **kw):
    return {"blocks": blocks, **kw}


@pytest.mark.parametrize("data,msg", [
    (_plan([{"name": "a", "spec": "x", "depends": ["b"]}, {"name": "b", "spec": "y", "depends": ["a"]}]), "cycle"),
    (_plan([{"name": "a", "spec": "x", "depends": ["zz"]}]), "unknown block 'zz'"),
    (_plan([{"name": "a", "spec": "x"}, {"name": "a", "spec": "y"}]), "used twice"),
    (_plan([{"name": "9a", "spec": "x"}]), "bad module name"),
    (_plan([{"name": "a", "spec": "x", "ports": ["sideways q"]}]), "direction"),
    (_plan([{"name": "a", "spec": "x", "ports": ["input q", "output q"]}]), "listed twice"),
    (_plan([{"name": "a", "spec": "x", "ports": ["input q 4;drop"]}]), "simple expression"),
    (_plan([{"name": "a", "spec": "x", "test": {"python": "nodots"}}]), "module:function"),
    (_plan([{"name": "a", "spec": "x", "test": {"python": "m:f", "command": "true"}}]), "exactly one"),
    (_plan([{"name": "a", "spec_file": "missing.md"}]), "not found"),
    (_plan([{"name": "a", "spec": "x"}], top="b"), "not one of the blocks"),
    (_plan([{"name": "a", "spec": "x", "colour": "red"}]), "unknown key"),
    ({"blocks": []}, "non-empty"),
])
def test_plan_validation(tmp_path, data, msg):
    with pytest.raises(UserError, match=re.escape(msg)):
        plan_from_dict(data, tmp_path)


def test_plan_order_and_assembly(tmp_path):
    plan = plan_from_dict(_plan([{"name": "top", "spec": "t", "depends": ["mid", "leaf"]},
                                 {"name": "mid", "spec": "m", "depends": ["leaf"]},
                                 {"name": "leaf", "spec": "l"}, {"name": "unused", "spec": "u"}], top="top"),
                          tmp_path)
    assert [b.name for b in plan.blocks] == ["leaf", "mid", "top", "unused"]
    text = assemble(plan, {b.name: f"module {b.name}; endmodule" for b in plan.blocks})
    assert text.index("module leaf") < text.index("module mid") < text.index("module top")
    assert "module unused" not in text


def test_cli_bad_plan(tmp_path, capsys):
    spec = tmp_path / "s.txt"
    spec.write_text("an adder")
    bad = tmp_path / "p.yaml"
    bad.write_text("blocks: [ {name: a, spec: x, depends: [a]} ]")
    assert main(["generate", str(spec), "--hierarchical", "--plan", str(bad), "-o", str(tmp_path / "o.v")]) == 2
    assert main(["generate", str(spec), "--plan", str(bad), "-o", str(tmp_path / "o.v")]) == 2
    err = capsys.readouterr().err
    assert "depends on itself" in err and "--plan needs --hierarchical" in err
    assert not (tmp_path / "o.v").exists()


def test_showcase_script_writes_reports(server, tmp_path):
    """scripts/showcase_generate.py on a small plan (the offload plan itself runs in the first test)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import showcase_generate

    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_OK.replace("top: TopModule\n", "top: TopModule\nspec: A 4-bit adder.\n"))
    _Scripted.answers = {"full_add": (FA_BAD, FA), "TopModule": (TOP.replace("c[i+1]", "c[i]"), TOP)}
    out = tmp_path / "gen"
    (out / "blocks").mkdir(parents=True)
    (out / "blocks" / "stale.sv").write_text("// an older run")
    rc = showcase_generate.main(["--endpoint", server, "--model", "m", "-n", "1", "--repair", "1",
                                 "--plan", str(plan), "--out", str(out), "--quiet"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["run"]["bench_scale"] == 0.3 and rep["backend"]["backend"] == "openai"
    # the plan's shell-command test found the dropped carry and drove the repair
    fa, top = rep["blocks"]
    assert fa["candidates"][0]["check"]["tests_passed"] is False and fa["tests_passed"] and fa["repair_rounds_used"] == 1
    # the top had no test: the first (multi-driven, lint-dirty) answer was repaired to a lint-clean one
    assert not top["has_test"] and top["repair_rounds_used"] == 1 and top["lint_clean"]
    assert sorted(p.name for p in (out / "blocks").iterdir()) == ["TopModule.sv", "full_add.sv"]
    assert "2 of 2 blocks accepted" in (out / "report.md").read_text() and (out / "TopModule.sv").exists()
