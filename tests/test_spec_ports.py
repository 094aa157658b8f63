"""The interface scaffold: port lists read from specs, headers written from them, and the prompt and
answer path that uses them (a real local chat endpoint and real Icarus)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_helpers import chat_server  # noqa: E402

from rtlgen.generate import GenerateConfig, generate_rtl  # noqa: E402
from rtlgen.prompts import build_prompt, extract_answer, extract_code, render  # noqa: E402
from rtlgen.spec_ports import Port, declare_procedural_outputs, header, scaffold_header, spec_ports  # noqa: E402

V2_SPEC = """I would like you to implement a module named TopModule with the following
interface. All input and output ports are one bit unless otherwise
specified.

 - input  clk,
 - input  load,
 - input  data ( 10 bits)
 - output tc
 - output q (8 bits)

The module should count down from data and raise tc at zero.
"""

SECTION_SPEC = """Please act as a professional verilog designer.

Implement a shifter.

Module name:
    shifter

Input ports:
    clk: Clock signal used for synchronous operation.
\tdin[7:0]: 8-bit input data.
    mode: a 2-bit control signal selecting the shift.
    en: Enable signal.

Output ports:
    q: Output signal holding the shifted value.
    valid: Output flag.

Implementation:
The register is declared as reg [15:0] q and cleared on reset.

Give me the complete code.
"""


def test_v2_port_list_becomes_a_header():
    ports = spec_ports(V2_SPEC)
    assert ports == [Port("input", "clk"), Port("input", "load"), Port("input", "data", "[9:0]"),
                     Port("output", "tc"), Port("output", "q", "[7:0]")]
    assert header("TopModule", ports) == ("module TopModule (\n  input clk,\n  input load,\n  input [9:0] data,\n"
                                          "  output tc,\n  output [7:0] q\n);")


def test_section_ports_read_brackets_bit_counts_and_prose_declarations():
    ports = spec_ports(SECTION_SPEC)
    assert ports == [Port("input", "clk"), Port("input", "din", "[7:0]"), Port("input", "mode", "[1:0]"),
                     Port("input", "en"), Port("output", "q", "[15:0]"), Port("output", "valid")]


@pytest.mark.parametrize("spec", [
    SECTION_SPEC.replace("Output flag.", "Output data with a width of size bits."),  # unresolved width
    SECTION_SPEC.replace("Implementation:", "Parameter:\n    WIDTH = 8\n\nImplementation:"),
    V2_SPEC.replace(" - output tc", " - output tc, the terminal count"),  # a port line we cannot read
    V2_SPEC.replace(" - output tc\n - output q (8 bits)\n", ""),  # no output
    V2_SPEC + " - input  load\n",  # a port named twice
    "Implement a NOR gate with inputs a and b.",  # no list at all
])
def test_ambiguous_or_missing_port_lists_are_not_scaffolded(spec):
    assert spec_ports(spec) is None
    assert scaffold_header(spec, "TopModule") is None


def test_scaffolded_prompt_is_a_healed_code_completion_and_the_body_joins_the_header(tmp_path):
    plain = build_prompt(V2_SPEC, kind="spec-to-rtl")
    scaffolded = build_prompt(V2_SPEC, kind="spec-to-rtl", scaffold=True)
    assert plain.kind == "spec-to-rtl" and plain.interface is None
    assert scaffolded.kind == "code-complete" and scaffolded.meta == {"scaffold": True}
    assert scaffolded.interface == scaffold_header(V2_SPEC, "TopModule")
    text = render(scaffolded)
    assert text.endswith(scaffolded.interface)  # healed: the model writes the newline before the body
    assert "//  - input  data ( 10 bits)" in text  # the spec stays, as comments
    body = "  reg [9:0] c;\n  always @(posedge clk) c <= load ? data : c - 1;\n  assign tc = c == 0;\n" \
           "  assign q = c[7:0];\nendmodule\n"
    code = extract_code(body, "TopModule", scaffolded.interface)
    assert code.startswith(scaffolded.interface)
    src = tmp_path / "scaffolded.v"
    src.write_text(code)
    res = subprocess.run([shutil.which("iverilog") or "iverilog", "-g2012", "-o", str(tmp_path / "a.out"), str(src)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_spec_to_rtl_with_a_given_interface_is_left_alone():
    p = build_prompt(V2_SPEC, kind="spec-to-rtl", interface="module TopModule(input a, output y);", scaffold=True)
    assert p.kind == "spec-to-rtl" and not p.meta


def test_generate_asks_for_a_body_and_keeps_the_spec_header(tmp_path):
    """`rtlgen generate` (scaffold on by default): the endpoint sees a code-completion request ending in
    the header written from the spec, answers with a body only, and the result compiles and lints."""
    spec = (Path(__file__).resolve().parents[1] / "examples" / "and_gate" / "spec.txt").read_text()
    seen = []

    def answer(body):
        seen.append(body["messages"])
        return "  assign y = a & b;\nendmodule\n"

    with chat_server(answer) as url:
        on = generate_rtl(spec, GenerateConfig(backend="openai", endpoint=url, model="m", n=1, repair_rounds=0),
                          log=lambda *a: None, progress=False)
        assert seen[-1][-1]["content"].rstrip().endswith("output y\n);")
        off = generate_rtl(spec, GenerateConfig(backend="openai", endpoint=url, model="m", n=1, repair_rounds=0,
                                                scaffold=False), log=lambda *a: None, progress=False)
        assert "module TopModule (" not in seen[-1][-1]["content"]
    assert on["kind"] == "code-complete" and on["scaffold_header"].startswith("module TopModule (\n  input a,")
    assert off["kind"] == "spec-to-rtl" and off["scaffold_header"] is None
    best = on["candidates"][on["best"]]
    assert best["check"]["compiles"] and on["_best_code"].startswith("module TopModule (\n  input a,")
    assert not off["candidates"][off["best"]]["check"]["compiles"]  # a bare body is no module


BODY = """  reg [9:0] count;
  always @(posedge clk) begin
    if (count <= 10'd1) q <= count[7:0];  // `count <=` here is a comparison
    count <= load ? data : count - 1;
  end
  always @* tc = count == 0;
endmodule
"""


def _icarus(tmp_path, code):
    src = tmp_path / "m.sv"
    src.write_text(code)
    return subprocess.run([shutil.which("iverilog") or "iverilog", "-g2012", "-o", str(tmp_path / "a.out"), str(src)],
                          capture_output=True, text=True)


def test_scaffold_header_follows_outputs_the_body_drives_procedurally(tmp_path):
    prompt = build_prompt(V2_SPEC, kind="spec-to-rtl", scaffold=True)
    raw = extract_code(BODY, "TopModule", prompt.interface)
    assert "not a valid l-value" in _icarus(tmp_path, raw).stderr  # q and tc are wires in the plain header
    fixed = extract_answer(prompt, BODY)
    assert "  output reg tc,\n  output reg [7:0] q\n);" in fixed and "input clk," in fixed
    assert _icarus(tmp_path, fixed).returncode == 0


def test_reconciliation_leaves_declared_and_continuous_outputs_alone():
    code = ("module TopModule (\n  input a,\n  output y,\n  output z,\n  output w\n);\n"
            "  reg z;\n  assign y = a;\n  always @* z = a;\n  assign w = (y <= a);\nendmodule\n")
    assert declare_procedural_outputs(code, "TopModule") == code


def test_benchmark_given_headers_are_never_rewritten():
    given = "module TopModule (\n  input clk,\n  input load,\n  input [9:0] data,\n  output tc,\n  output [7:0] q\n);"
    prompt = build_prompt("Count down.\n\n" + given, kind="code-complete", interface=given)
    assert extract_answer(prompt, BODY) == extract_code(BODY, "TopModule", given)
    assert "output reg" not in extract_answer(prompt, BODY)
