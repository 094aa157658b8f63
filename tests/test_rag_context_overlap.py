"""scripts/context_overlap.py: the offline proxy ranks a context holding a design like the reference
above an unrelated one, counts empty contexts, refuses contexts made for other prompts, and its
shuffled control hands each task another task's context."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from eval.benchmarks.base import Task
from eval.errors import UserError
from rag_index.contexts import prompt_sha, write_contexts

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "context_overlap.py"

COUNTER_REF = """module TopModule(input clk, input reset, output reg [3:0] q);
  always @(posedge clk) begin
    if (reset) q <= 4'd0;
    else q <= q + 4'd1;
  end
endmodule"""
MUX_REF = """module TopModule(input [7:0] a, input [7:0] b, input sel, output [7:0] out);
  assign out = sel ? b : a;
endmodule"""
COUNTER_LIKE = """module cnt8(input clk, input rst, output reg [7:0] count);
  always @(posedge clk) begin
    if (rst) count <= 8'd0;
    else count <= count + 8'd1;
  end
endmodule"""
UNRELATED = """module pick(input [1:0] s, input [3:0] d, output y);
  assign y = d[s];
endmodule"""


def _ctx(*codes: str) -> str:
    blocks = [f"### Example {i + 1}: x (src, license MIT)\nDescription: d\n```verilog\n{c}\n```"
              for i, c in enumerate(codes)]
    return "## Reference designs (retrieved from a corpus; adapt them, do not copy module or port names)\n\n" + \
        "\n\n".join(blocks) if blocks else ""


@pytest.fixture(scope="module")
def mod():
    spec = importlib.util.spec_from_file_location("context_overlap", SCRIPT)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


@pytest.fixture()
def tasks():
    return {"b": {"counter": Task("counter", "spec-to-rtl", "a 4-bit counter", "TopModule", COUNTER_REF),
                  "mux": Task("mux", "spec-to-rtl", "an 8-bit 2:1 mux", "TopModule", MUX_REF),
                  "none": Task("none", "spec-to-rtl", "anything", "TopModule", MUX_REF)}}


def _write(path: Path, tasks: dict, contexts: dict) -> str:
    rows = [{"benchmark": "b", "task_id": tid, "prompt_sha": prompt_sha(t.prompt), "context": contexts[tid]}
            for tid, t in tasks["b"].items()]
    write_contexts(path, rows, {"index": "fixture"})
    return str(path)


def test_related_context_scores_higher_and_empty_counts(mod, tasks, tmp_path):
    good = _write(tmp_path / "good.jsonl", tasks,
                  {"counter": _ctx(UNRELATED, COUNTER_LIKE), "mux": _ctx(UNRELATED), "none": ""})
    bad = _write(tmp_path / "bad.jsonl", tasks,
                 {"counter": _ctx(UNRELATED), "mux": _ctx(UNRELATED), "none": ""})
    rep = mod.compare({"good": good, "bad": bad, "shuf": "shuffle:good"}, tasks, n_boot=200)
    g, b = rep["variants"]["good"], rep["variants"]["bad"]
    assert g["empty"] == b["empty"] == 1 and g["empty_fraction"] == pytest.approx(1 / 3, abs=1e-3)
    assert g["best_rouge_l_mean"] > b["best_rouge_l_mean"]
    assert g["best_rouge_l_mean_nonempty"] > g["best_rouge_l_mean"]  # the empty task counts 0 only in *_mean
    # the counter task: best block is example 2, first block the unrelated one
    s = mod.task_scores(_ctx(UNRELATED, COUNTER_LIKE), COUNTER_REF)
    assert s["best_rouge_l"] > s["first_rouge_l"] and s["n_examples"] == 2
    assert s["keyword_recall"] > mod.task_scores(_ctx(UNRELATED), COUNTER_REF)["keyword_recall"]
    diff = rep["paired_vs_good"]["bad"]["best_rouge_l"]
    assert diff["mean_diff"] < 0 and diff["losses"] == 1 and diff["ties"] == 2
    # shuffled control: every task got another task's context, so the related one went elsewhere
    sh = rep["variants"]["shuf"]
    assert sh["control"] and sh["best_rouge_l_mean"] < g["best_rouge_l_mean"]


def test_refuses_contexts_for_other_prompts_and_bad_args(mod, tasks, tmp_path):
    path = _write(tmp_path / "c.jsonl", tasks, {"counter": "", "mux": "", "none": ""})
    tasks["b"]["mux"].prompt = "a different prompt"
    with pytest.raises(UserError, match="differ"):
        mod.compare({"a": path}, tasks, n_boot=10)
    with pytest.raises(UserError, match="listed before"):
        mod.compare({"s": "shuffle:a", "a": path}, tasks, n_boot=10)
    r = subprocess.run([sys.executable, str(SCRIPT), "no-equals-sign"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "NAME=CONTEXTS" in r.stderr and "Traceback" not in r.stderr
