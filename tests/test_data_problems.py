"""Problem synthesis regressions from the real build (issue #4): the prompt header in our own words,
references that used to fail their own test (undriven/Z output bits, `#1` delays that Icarus ran in
1 s units, `endmodule : name` labels), blackbox cells kept out, and dedup recall by exact Jaccard."""

from __future__ import annotations

import random

from data_pipeline import problems as P
from data_pipeline.config import ProblemConfig
from data_pipeline.dedup import dedup, jaccard
from data_pipeline.describe import analyze, port_lines
from eval.contamination import BenchText, Decontaminator, word_tokens

V2_HEAD = ("I would like you to implement a module named TopModule with the following\ninterface. All input and "
           "output ports are one bit unless otherwise\nspecified.\n\n")


def _validate(code: str, name: str, cycles: int = 40):
    info = analyze(code)
    why = P.eligible(info, [], code, ProblemConfig())
    assert why is None, why
    ports = info["ports"]
    job = {"id": "Prob1_x", "ref": P.rename(P.strip_delays(code), name, "RefModule"),
           "test": P.testbench(ports, cycles, 1), "prompt": P.prompt_text(ports, "desc"), "ports": ports}
    return P.validate(job), job


def test_prompt_header_is_ours_and_short_prompts_survive_decontamination():
    v2 = V2_HEAD + " - input  in\n - output out\n\nThe module should assign the output port to the same value as the input port."
    dc = Decontaminator([BenchText("verilogeval-v2-spec/Prob003_wire/prompt", word_tokens(v2))])
    ports = [{"name": "clk", "dir": "input", "width": 1}, {"name": "d", "dir": "input", "width": 1},
             {"name": "q", "dir": "output", "width": 1}]
    desc = "Module `dly` is a sequential circuit. It registers d on the rising clock edge."
    ours = P.prompt_text(ports, desc)
    assert "I would like you to implement" not in ours and "unless otherwise" not in ours
    assert " - input  clk" in ours and " - output q" in ours  # v2's interface list stays
    assert dc.check(ours) is None
    # the old header alone pushed the same short prompt over the Rouge-L bar
    assert dc.check(V2_HEAD + "\n".join(port_lines(ports)) + "\n\n" + desc + "\n")["metric"] == "rouge-l"


def test_reference_with_undriven_output_bits_passes_its_own_test():
    # crc[15:12] never driven (Z): VerilogEval's `ref === (ref ^ dut ^ ref)` failed the reference itself
    code = ("module crc(input clk, input reset, input [7:0] d, output [15:0] crc_out, output err);\n"
            "  reg [15:0] r; wire [15:0] nxt;\n"
            "  assign crc_out = r;\n"
            "  assign nxt[11:0] = {d, d[3:0]} ^ r[11:0];\n"
            "  always @(posedge clk) if (reset) r <= 16'hffff; else r <= nxt;\nendmodule\n")
    res, job = _validate(code, "crc")
    assert res["ok"], res
    assert "stuck0" in res["killed"]


def test_reference_with_intra_assignment_delays_passes_without_them():
    code = ("module dff #(parameter Tp = 1) (input clk, input rst_n, input [7:0] d, output reg [7:0] q);\n"
            "  always @(posedge clk or negedge rst_n) if (!rst_n) q <= #Tp 8'd0; else q <= #1 d + 8'd1;\nendmodule\n")
    res, job = _validate(code, "dff")
    assert res["ok"], res
    assert "#1" not in job["ref"] and "#Tp" not in job["ref"] and "q <= d + 8'd1" in job["ref"]
    assert P.strip_delays("assign #2 y = a; x = #(D) b; if (a <= b) c <= d;") == "assign y = a; x = b; if (a <= b) c <= d;"


def test_endmodule_label_follows_the_rename():
    code = "module inv(input a, output y);\n  assign y = ~a;\nendmodule : inv\n"
    ref = P.rename(code, "inv", "RefModule")
    assert "module RefModule" in ref and ref.rstrip().endswith("endmodule : RefModule")
    res, _ = _validate(code, "inv")
    assert res["ok"], res


def test_blackbox_cells_and_leftover_delays_are_not_problems():
    cfg = ProblemConfig()
    bb = "(* blackbox *)\nmodule OBUF(output O, input I);\n  parameter IOSTANDARD = \"LVCMOS33\";\nendmodule\n"
    assert P.eligible(analyze(bb), [], bb, cfg) == "no logic (blackbox or empty body)"
    gates = "module sr(input s, input r, output q, output qb);\n  nand (q, s, qb);\n  nand (qb, r, q);\nendmodule\n"
    assert P.eligible(analyze(gates), [], gates, cfg) is None
    slow = "module s(input a, output reg y);\n  always @(a) begin #3 y = a; end\nendmodule\n"
    assert P.eligible(analyze(slow), [], slow, cfg) == "uses delays"


def test_dedup_merges_by_exact_jaccard():
    """Mutants of a real-sized module: above Jaccard 0.9 all merge, below 0.6 none do."""
    rng = random.Random(3)
    base = "module alu(input [7:0] a, input [7:0] b, input [2:0] op, output reg [7:0] y);\n  always @* case (op)\n" + "".join(
        f"    3'd{i % 8}: y = a {'+-&|^'[i % 5]} (b >> {i % 3}) ^ 8'h{i * 37 % 256:02x};\n" for i in range(60)) + \
        "  endcase\nendmodule\n"
    hi = lo = 0
    for trial in range(40):
        toks = base.split(" ")
        for _ in range(rng.choice([1, 2, 3, 60, 80])):
            toks.insert(rng.randrange(len(toks)), f"zz{rng.getrandbits(32):x}")
        mut = " ".join(toks)
        j = jaccard(base, mut)
        kept, dropped = dedup([{"id": "a", "code": base}, {"id": "b", "code": mut}])
        if j >= 0.9:
            hi += 1
            assert dropped.get("b", ("",))[0] == "near duplicate", j
        elif j < 0.6:
            lo += 1
            assert "b" not in dropped, j
    assert hi >= 10 and lo >= 5


def test_header_comments_and_escaped_names_survive_the_rename():
    """`module x // note` + a comment block before `#(`: the harness's extractor missed the module (N)."""
    code = ("module fifo // verilog_lint: waive\n//------\n// Params\n//------\n#(parameter W = 4)\n"
            "(input clk, input rst, input [W-1:0] d, output reg [W-1:0] q);\n"
            "  always @(posedge clk) if (rst) q <= 0; else q <= d ^ q;\nendmodule\n")
    ref = P.rename(code, "fifo", "RefModule")
    assert ref.startswith("module RefModule #(parameter W = 4)")
    res, _ = _validate(code, "fifo")
    assert res["ok"], res
    assert P.rename("module \\1dff (q, d);\nendmodule\n", "1dff", "RefModule").startswith("module RefModule (q, d);")
