"""Functional-consensus selection with real Icarus runs through the sandbox: behaviourally equal
candidates written differently cluster together, an active-low reset is driven low, a hanging or
flooding candidate is dropped alone, and `rtlgen generate` picks the majority behaviour when its
scripted model answers one wrong design and two right ones. Also the offline measuring script on a
small fixture run in the VerilogEval v2 layout."""

import gzip
import json
import sys
from pathlib import Path

import pytest

from eval.errors import UserError
from gen_helpers import chat_server
from eval.signals import reset_active_low
from rtlgen.consensus import Port, functional_consensus, interface_ports, make_testbench, parse_ports
from rtlgen.generate import GenerateConfig, generate_rtl

REPO = Path(__file__).resolve().parents[1]
QUIET = dict(log=lambda *a: None, progress=False)

AND_A = "module TopModule(input a, input b, output y);\n  assign y = a & b;\nendmodule\n"
AND_B = ("module TopModule(input a, input b, output reg y);\n  always @(*) begin\n    if (a == 1'b0) y = 1'b0;\n"
         "    else y = b;\n  end\nendmodule\n")
OR_C = "module TopModule(input a, input b, output y);\n  assign y = a | b;\nendmodule\n"

COUNTER = """module TopModule(input clk, input rst_n, input en, output reg [3:0] q);
  always @(posedge clk or negedge rst_n)
    if (!rst_n) q <= 4'd0;
    else if (en) q <= q + 4'd1;
endmodule
"""
COUNTER_TOO = """module TopModule(input clk, input rst_n, input en, output [3:0] q);
  reg [3:0] count;
  assign q = count;
  always @(negedge rst_n or posedge clk) begin
    if (rst_n == 1'b0) count <= 0;
    else count <= en ? count + 1 : count;
  end
endmodule
"""
COUNTER_ACTIVE_HIGH = COUNTER.replace("if (!rst_n)", "if (rst_n)").replace("negedge rst_n", "posedge rst_n")
COUNTER_NO_RESET = """module TopModule(input clk, input rst_n, input en, output reg [3:0] q);
  always @(posedge clk) if (en) q <= q + 4'd1;
endmodule
"""


def test_equal_behaviour_clusters_first():
    cons = functional_consensus([OR_C, AND_A, AND_B], "TopModule", workers=2)
    assert cons.clusters == [[1, 2], [0]]
    assert cons.ranking == [1, 2, 0]
    assert cons.interface_from == "majority" and cons.bench.clock is None
    # lint-clean breaks ties within a cluster size, before the index
    assert functional_consensus([OR_C, AND_A, AND_B], "TopModule",
                                lint_clean=[False, False, True]).ranking[0] == 2


def test_sequential_active_low_reset():
    ports = parse_ports(COUNTER, "TopModule")
    assert Port("q", "output", 4) in ports and reset_active_low("rst_n") and not reset_active_low("areset")
    bench = make_testbench(ports, "TopModule", cycles=20)
    assert bench.clock == "clk" and bench.reset == "rst_n" and bench.reset_active_low
    first_sample = bench.source.index("#4 sample;")
    assert "s_rst_n = 1'b0;" in bench.source[:first_sample]  # reset held low before any sample
    cands = [COUNTER_NO_RESET, COUNTER, COUNTER_ACTIVE_HIGH, COUNTER_TOO]
    cons = functional_consensus(cands, "TopModule", workers=2)
    assert cons.clusters[0] == [1, 3] and len(cons.clusters) == 3
    assert cons.ranking[:2] == [1, 3]
    # the same stimulus for every call: deterministic bench text for the same seed, new one for another
    assert make_testbench(ports, "TopModule", seed=0).source == make_testbench(ports, "TopModule", seed=0).source
    assert make_testbench(ports, "TopModule", seed=1).source != make_testbench(ports, "TopModule", seed=0).source


def test_hanging_and_flooding_candidates_are_dropped_alone():
    hang = ("module TopModule(input a, input b, output reg y);\n"
            "  always @(a) begin y = b; while (a) y = ~y; end\nendmodule\n")
    flood = ("module TopModule(input a, input b, output y);\n  assign y = a & b;\n"
             "  always @(a) while (a) $display(\"flood flood flood flood\");\nendmodule\n")
    cons = functional_consensus([hang, AND_A, flood, None, AND_B], "TopModule", workers=2, wall_s=3)
    status = {i: b.status for i, b in cons.behaviours.items()}
    assert status == {0: "timeout", 1: "ok", 2: "flood", 3: "no-code", 4: "ok"}
    assert cons.clusters == [[1, 4]] and cons.ranking == [1, 4]


def test_ports_must_match_the_interface():
    wider = AND_A.replace("input a,", "input [1:0] a,")
    renamed = AND_A.replace("output y", "output z").replace("assign y", "assign z")
    cons = functional_consensus([wider, AND_A, renamed, AND_B], "TopModule",
                                interface="module TopModule(input a, input b, output y);")
    assert cons.interface_from == "spec" and cons.clusters == [[1, 3]]
    assert cons.behaviours[0].status == cons.behaviours[2].status == "ports"
    assert interface_ports("module TopModule(input [7:0] x, output y);", "TopModule") == \
        (Port("x", "input", 8), Port("y", "output", 1))
    # nothing readable: no clusters, no exception
    empty = functional_consensus([None, "not verilog"], "TopModule")
    assert empty.clusters == [] and empty.ranking == []


def _three_answers(body):
    """n choices per request: one wrong design first, then two right ones written differently."""
    texts = ["[BEGIN]\n" + OR_C + "[DONE]", "[BEGIN]\n" + AND_A + "[DONE]", "[BEGIN]\n" + AND_B + "[DONE]"]
    return [texts[i % 3] for i in range(body.get("n", 1))]


@pytest.fixture()
def three_answers():
    with chat_server(_three_answers) as url:
        yield url


def test_generate_picks_the_majority_behaviour(three_answers):
    spec = (REPO / "examples" / "and_gate" / "spec.txt").read_text()
    base = dict(backend="openai", endpoint=three_answers, model="m", n=3, repair_rounds=0)
    first = generate_rtl(spec, GenerateConfig(select="first", **base), **QUIET)
    assert [c["check"]["lint_clean"] for c in first["candidates"]] == [True, True, True]
    assert first["best"] == 0 and first["selection"] == {"method": "first", "consensus": None}
    rep = generate_rtl(spec, GenerateConfig(**base), **QUIET)  # consensus is the default
    assert rep["best"] == 1 and "a & b" in rep["_best_code"]
    sel = rep["selection"]["consensus"]
    assert sel["cluster_sizes"] == [2, 1] and sel["clusters"] == [[1, 2], [0]] and sel["picked_cluster_size"] == 2
    with pytest.raises(UserError, match="select must be"):
        generate_rtl(spec, GenerateConfig(select="vote", **base), **QUIET)


def test_select_eval_script_on_a_fixture_run(tmp_path):
    """A two-task suite in the v2 layout and a scored 'run': the script's numbers follow the verdicts."""
    sys.path.insert(0, str(REPO / "scripts"))
    import select_eval

    suite = tmp_path / "verilog-eval-v2" / "dataset_spec-to-rtl"
    suite.mkdir(parents=True)
    (suite / "problems.txt").write_text("Prob001_and\n")
    (suite / "Prob001_and_prompt.txt").write_text("AND of a and b.\n")
    (suite / "Prob001_and_ref.sv").write_text(AND_A.replace("TopModule", "RefModule"))
    (suite / "Prob001_and_test.sv").write_text("module tb; endmodule\n")  # not run: verdicts come from the run
    run = tmp_path / "run" / "verilogeval-v2-spec-sampled"
    run.mkdir(parents=True)
    rows = [(OR_C, False, True), (AND_A, True, True), (AND_B, True, True), ("no code", False, False)]
    with gzip.open(run / "samples.jsonl.gz", "wt") as fh:
        for i, (code, ok, syn) in enumerate(rows):
            fh.write(json.dumps({"task_id": "Prob001_and", "completion": code, "sample_idx": i, "passed": ok,
                                 "syntax_ok": syn}) + "\n")
    out = tmp_path / "sel" / "r"
    rc = select_eval.main(["--run", str(run.parent), "-o", str(out), "--bench", "verilogeval-v2-spec",
                           "--bench-root", str(tmp_path),
                           "--cycles", "20"])
    assert rc == 0
    res = json.loads(out.with_suffix(".json").read_text())["benchmarks"]["verilogeval-v2-spec"]
    assert res["pass@1"] == 0.5 and res["compile_clean_pick"] == pytest.approx(2 / 3, abs=1e-4)
    assert res["consensus_pick"] == res["consensus_nd_pick"] == 1.0 and res["pass@n"] == 1.0
    assert res["per_task"][0]["cluster_sizes"] == [2, 1]
    assert "consensus pick" in out.with_suffix(".md").read_text()
    # rtlgen generate's -n: picks from the disjoint groups [OR, AND_A] (a tie: half a pass) and
    # [AND_B, no code] (the one compiling answer passes), averaged
    assert select_eval.main(["--run", str(run.parent), "-o", str(out), "--bench", "verilogeval-v2-spec",
                             "--bench-root", str(tmp_path), "--cycles", "20", "--candidates", "2"]) == 0
    res = json.loads(out.with_suffix(".json").read_text())["benchmarks"]["verilogeval-v2-spec"]
    assert res["per_task"][0]["groups"] == 2 and res["samples_per_task"] == [2]
    assert res["consensus_nd_pick"] == res["compile_clean_pick"] == 0.75 and res["pass@1"] == 0.5
    assert "disjoint groups of 2" in out.with_suffix(".md").read_text()
    assert select_eval.main(["--run", str(tmp_path / "nope"), "-o", str(out), "--bench", "verilogeval-v2-spec",
                             "--bench-root", str(tmp_path)]) == 2


def test_degenerate_behaviours_come_last():
    """Three answers that ignore their inputs (different code, same constant 0) against two that
    compute the AND: the size-only vote takes the constant, the default ranks it after."""
    zeros = ["module TopModule(input a, input b, output y);\n  assign y = 1'b0;\nendmodule\n",
             "module TopModule(input a, input b, output y);\n  assign y = a & ~a;\nendmodule\n",
             "module TopModule(input a, input b, output reg y);\n  always @(*) y = a & 1'b0;\nendmodule\n"]
    undriven = "module TopModule(input a, input b, output y);\n  wire t;\n  assign y = t;\nendmodule\n"
    cands = zeros + [undriven, undriven.replace("wire t;", "wire t, u;"), AND_A, AND_B]
    plain = functional_consensus(cands, "TopModule", demote_degenerate=False)
    assert plain.clusters[0] == [0, 1, 2] and plain.ranking[0] == 0
    cons = functional_consensus(cands, "TopModule")
    assert cons.clusters == [[5, 6], [0, 1, 2], [3, 4]]
    assert [cons.behaviours[c[0]].degenerate for c in cons.clusters] == [None, "constant", "undefined"]
    # no data inputs: a constant output is the design, not a degenerate answer
    const = functional_consensus(["module TopModule(output one);\n  assign one = 1'b1;\nendmodule\n"] * 2,
                                 "TopModule")
    assert const.behaviours[0].degenerate is None and const.clusters == [[0, 1]]
