"""Scaffolded training rows (finetune/scaffold.py): round 2 and DPO pose a share of spec-to-RTL problems
the way `rtlgen generate` does, header written from the port list and the body as the answer."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

import train_helpers as h  # noqa: E402
from finetune import dpo, round2  # noqa: E402
from finetune.config import DPOStageConfig, Round2Config  # noqa: E402
from finetune.scaffold import answer_body, faithful_body, picked  # noqa: E402
from rtlgen.config import load_config  # noqa: E402
from rtlgen.prompts import build_prompt, extract_answer  # noqa: E402

SPEC = """Implement a module named TopModule with the following interface.

 - input  clk
 - input  d (8 bits)
 - output q (8 bits)

On every rising edge of clk, q takes the value of d."""

REF = """module TopModule (
  input clk,
  input [7:0] d,
  output reg [7:0] q
);
  always @(posedge clk) q <= d;
endmodule
"""


def test_faithful_body_keeps_fitting_references_and_refuses_misfits():
    assert faithful_body(SPEC, REF, "TopModule").strip() == "always @(posedge clk) q <= d;\nendmodule"
    # a reference whose ports differ from the spec's list would teach a body that does not fit its header
    assert faithful_body(SPEC, REF.replace("[7:0] d", "[3:0] d"), "TopModule") is None
    # a non-ANSI header: the body redeclares the ports, which clash with the header we write
    nonansi = ("module TopModule(clk, d, q);\n  input clk; input [7:0] d; output reg [7:0] q;\n"
               "  always @(posedge clk) q <= d;\nendmodule\n")
    assert faithful_body(SPEC, nonansi, "TopModule") is None
    assert faithful_body("Make an inverter.", REF, "TopModule") is None  # no port list, no scaffold


def test_round2_scaffolded_row_is_posed_as_generate_poses_it_and_compiles(tmp_path):
    from eval.simulators import iverilog_compile

    msgs, answer = round2.inference_format(SPEC, REF, "spec-to-rtl", scaffold=True)
    want = build_prompt(SPEC, kind="spec-to-rtl", top="TopModule", scaffold=True)
    assert want.meta.get("scaffold") and msgs == want.messages
    assert "[BEGIN]" not in answer and not answer.lstrip().startswith("module")
    code = extract_answer(want, answer)  # what generation would make of this answer
    assert "output reg [7:0] q" in code
    src = tmp_path / "a.v"
    src.write_text(code)
    res = iverilog_compile(tmp_path, [str(src)], top="TopModule")
    assert res.returncode == 0, res.stderr
    # unscaffolded, and a misfit reference, keep the whole-module form
    for spec, ref, flag in ((SPEC, REF, False), (SPEC, REF.replace("[7:0] d", "[3:0] d"), True)):
        m, a = round2.inference_format(spec, ref, "spec-to-rtl", scaffold=flag)
        assert a.startswith("[BEGIN]\nmodule TopModule") and m == build_prompt(spec, top="TopModule").messages


def test_round2_scaffold_fraction_picks_a_stable_share(tmp_path):
    rows = [{"prompt": SPEC.replace("q takes", f"q (case {i}) takes"), "completion": REF} for i in range(60)]
    data = tmp_path / "r2.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def scaffolded(fraction: float) -> list[bool]:
        cfg = load_config(Round2Config, None, [f"data={data}", f"scaffold_fraction={fraction}", "chat_template=false"])
        ds = round2.build_dataset(cfg, None)
        return [not c.startswith("[BEGIN]") for c in ds["completion"]]

    half = scaffolded(0.5)
    assert 15 <= sum(half) <= 45 and half == scaffolded(0.5)
    assert half == [picked(r["prompt"], 0.5) for r in rows]
    assert not any(scaffolded(0.0)) and all(scaffolded(1.0))


def test_dpo_scaffolded_problem_pairs_are_bodies_under_the_header():
    chosen = REF
    rejected = REF.replace("q <= d", "q <= ~d")
    row = {"task_id": "t1", "prompt": SPEC, "chosen": chosen, "rejected": rejected}
    msgs, c, r = dpo.posed_pair(row, 1.0)
    assert msgs == build_prompt(SPEC, kind="spec-to-rtl", top="TopModule", scaffold=True).messages
    assert c.strip() == answer_body(chosen, "TopModule").strip() and "~d" in r and "module TopModule" not in c
    msgs, c, r = dpo.posed_pair(row, 0.0)
    assert msgs == build_prompt(SPEC, kind="spec-to-rtl", top="TopModule").messages
    assert c.startswith("[BEGIN]\nmodule TopModule") and r.endswith("[DONE]")


def test_dpo_sampler_poses_picked_problems_with_the_scaffold(tmp_path):
    """Real sampling from a tiny model: picked problems come back joined to the header we wrote."""
    probs = tmp_path / "problems"
    probs.mkdir()
    for f in h.PROBLEMS.glob("synth_and4_*"):
        shutil.copy(f, probs / f.name)
    (probs / "problems.txt").write_text("synth_and4\n")
    (probs / "synth_and4_prompt.txt").write_text(
        "Implement a module named TopModule with the following interface.\n\n - input  a (4 bits)\n"
        " - input  b (4 bits)\n - output y (4 bits)\n\nThe output y is the bitwise AND of a and b.\n")
    model = h.build_tiny(tmp_path / "model")
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(model, tmp_path / "d")
                      + ["k=2", "max_new_tokens=8", "scaffold_fraction=1.0", f"problems={probs}"])
    out = dpo.sample_candidates(cfg, probs, [], tmp_path / "samples.jsonl")
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 2
    assert all(r["completion"].startswith("module TopModule (\n  input [3:0] a,\n  input [3:0] b,\n  output ")
               for r in rows), [r["completion"][:80] for r in rows]
