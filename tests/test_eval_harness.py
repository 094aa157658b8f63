"""Benchmark layouts, pass rules, scoring, cache and the `rtlgen eval`/`report` commands on fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.benchmarks import get_benchmark
from eval.cache import ResultCache
from eval.errors import UserError
from eval.runner import Evaluator
from eval.scoring import pass_at_k, summarize
from rtlgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "eval"
SMOKE = ROOT / "testbenches" / "smoke" / "v2"

AND_WRONG = "module TopModule(input a, input b, output out); assign out = a | b; endmodule"
AND_RIGHT = "Here is the design:\n```verilog\nmodule TopModule(input a, input b, output out);\n  assign out = a & b;\nendmodule\n```\nHope it helps."


@pytest.fixture()
def cache(tmp_path):
    return ResultCache(tmp_path / "cache")


def test_pass_at_k_matches_closed_form():
    assert pass_at_k(20, 0, 1) == 0.0
    assert pass_at_k(20, 20, 10) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    # 1 - C(7,5)/C(10,5) = 1 - 21/252
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)


def test_summary_reports_pass_at_k_only_where_every_task_has_k_samples():
    results = [{"task_id": "a", "passed": True, "syntax_ok": True, "failure": None}] * 5 + \
              [{"task_id": "b", "passed": False, "syntax_ok": False, "failure": "S"}]
    s = summarize(["a", "b"], results)
    assert set(s["pass@k"]) == {"pass@1"}
    assert s["pass@k"]["pass@1"] == pytest.approx(0.5)
    assert s["failures"] == {"S": 1} and s["syntax_rate"] == pytest.approx(5 / 6)


def test_v2_local_suite_references_and_candidates(cache):
    ev = Evaluator(get_benchmark(f"local:{SMOKE}"), cache=cache, progress=False)
    refs = ev.run_references()
    assert all(r["passed"] for r in refs.values()) and len(refs) == 3
    samples = [{"task_id": "Prob001_and_gate", "completion": AND_RIGHT},
               {"task_id": "Prob001_and_gate", "completion": AND_WRONG},
               {"task_id": "Prob003_mux2", "completion": "I cannot write Verilog."},
               {"task_id": "Prob002_counter4", "completion": "module TopModule(input clk, input reset, output [3:0] q);\n assign q = ;\nendmodule"}]
    results, warnings = ev.evaluate(samples)
    assert [r["passed"] for r in results] == [True, False, False, False]
    assert [r["failure"] for r in results] == [None, "R", "N", "S"]
    assert results[1]["syntax_ok"] and not results[3]["syntax_ok"]
    assert warnings == []


def test_async_reset_mismatch_is_classified_r(cache):
    ev = Evaluator(get_benchmark(f"local:{SMOKE}"), cache=cache, progress=False)
    cand = """module TopModule(input clk, input reset, output reg [3:0] q);
  always @(posedge clk, posedge reset) if (reset) q <= 0; else q <= q + 1;
endmodule"""
    (res,), _ = ev.evaluate([{"task_id": "Prob002_counter4", "completion": cand}])
    assert res["failure"] == "r" and not res["passed"]


def test_duplicates_simulate_once_and_cache_persists(cache):
    bench = get_benchmark(f"local:{SMOKE}")
    ev = Evaluator(bench, cache=cache, progress=False)
    same = [{"task_id": "Prob001_and_gate", "completion": AND_RIGHT + f"\n// variant {i}\n"} for i in range(6)]
    ev.evaluate(same)
    assert ev.simulated == 3 + 1  # three references, one distinct candidate
    ev2 = Evaluator(bench, cache=cache, progress=False)
    results, _ = ev2.evaluate(same)
    assert ev2.simulated == 0 and all(r["passed"] for r in results)


def test_v1_layout_body_and_full_module(cache):
    ev = Evaluator(get_benchmark("verilogeval-v1-human", FIX / "v1"), cache=cache, progress=False)
    task = ev.tasks["invert4"]
    assert task.top == "top_module" and "Invert each bit" in task.prompt
    body = "\n\tassign y = ~x;\nendmodule\n"
    full = "module top_module(input [3:0] x, output [3:0] y);\n assign y = ~x;\nendmodule"
    unused = "module top_module(input [3:0] x, output [3:0] y);\n wire unused_w;\n assign y = ~x;\nendmodule"
    wrong = "\n\tassign y = x;\nendmodule\n"
    results, _ = ev.evaluate([{"task_id": "invert4", "completion": c} for c in (body, full, unused, wrong)])
    assert [r["passed"] for r in results] == [True, True, True, False]
    # v1 rule: any stderr output fails, e.g. an Icarus warning
    warn = "module top_module(input [3:0] x, output [3:0] y);\n assign y = ~x[4:0];\nendmodule"
    (r,), _ = ev.evaluate([{"task_id": "invert4", "completion": warn}])
    assert not r["passed"]


def test_rtllm_flat_layout_copies_data_files(cache):
    ev = Evaluator(get_benchmark("rtllm-v1.1", FIX / "rtllm11"), cache=cache, progress=False)
    task = ev.tasks["shift4"]
    assert task.meta["data_files"] == ["stimulus.txt"]
    assert ev.run_references()["shift4"]["passed"]
    bad = "module shift4(input clk, input din, output reg [3:0] q); initial q = 0; always @(posedge clk) q <= {din, q[3:1]}; endmodule"
    (r,), _ = ev.evaluate([{"task_id": "shift4", "completion": bad}])
    assert r["syntax_ok"] and not r["passed"]


def test_rtllm_v2_nested_with_spaces_and_testbench_name_wins(cache):
    ev = Evaluator(get_benchmark("rtllm-v2", FIX / "rtllm2"), cache=cache, progress=False)
    task = ev.tasks["up counter"]
    assert task.top == "up_counter8"  # from testbench.v, not the description's counter8
    assert task.meta["path"] == "Control/Counters/up counter"
    assert ev.run_references()["up counter"]["passed"]
    named_like_description = task.reference.replace("up_counter8", "counter8")
    (r,), _ = ev.evaluate([{"task_id": "up counter", "completion": named_like_description}])
    assert r["passed"]  # renamed to the testbench's module name


def test_cli_eval_reference_writes_summary_and_report(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["eval", "--bench", f"local:{SMOKE}", "--reference", "--out", str(out), "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    stats = summary["benchmarks"]["local:v2"]
    assert stats["n_tasks"] == 3 and stats["n_passed"] == 3 and stats["pass@k"]["pass@1"] == 1.0
    prov = summary["provenance"]
    assert prov["git_commit"] and prov["tool_versions"]["iverilog"].startswith("Icarus") and prov["benchmark_sha"]
    lines = (out / "samples.jsonl").read_text().splitlines()
    assert {"task_id", "completion", "passed", "syntax_ok", "failure", "log_tail", "seconds"} <= set(json.loads(lines[0]))
    assert main(["report", str(out), "--out", str(tmp_path / "lb")]) == 0
    md = (tmp_path / "lb" / "leaderboard.md").read_text()
    assert "local:v2" in md and "100.0" in md
    assert "data:image/png;base64" in (tmp_path / "lb" / "leaderboard.html").read_text()


def test_cli_bad_inputs_give_one_line_errors(tmp_path, capsys):
    assert main(["eval", "--bench", "verilogeval-v2-sepc", "--path", str(tmp_path), "--reference"]) == 2
    assert "did you mean verilogeval-v2-spec" in capsys.readouterr().err
    assert main(["eval", "--bench", "rtllm-v1.1", "--path", str(tmp_path / "nope"), "--reference"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", "--bench", f"local:{SMOKE}", "--samples", str(tmp_path / "missing.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"task_id": "Prob001_and_gate", "completion": "module TopModule(input a, input b, output out); assign out = a & b; endmodule"}\n'
                    b'{not json\n\xff\xfe\n{"task_id": "NoSuchTask", "completion": "x"}\n')
    out = tmp_path / "run"
    assert main(["eval", "--bench", f"local:{SMOKE}", "--samples", str(bad), "--out", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert "bad.jsonl:2: malformed JSON" in err and "bad.jsonl:3: not UTF-8" in err and "unknown task id" in err
    summary = json.loads((out / "summary.json").read_text())["benchmarks"]["local:v2"]
    assert summary["n_samples"] == 1 and summary["n_passed"] == 1
    only_unknown = tmp_path / "unknown.jsonl"
    only_unknown.write_text('{"task_id": "NoSuchTask", "completion": "x"}\n')
    assert main(["eval", "--bench", f"local:{SMOKE}", "--samples", str(only_unknown)]) == 2


def test_early_finish_compares_fewer_vectors_and_fails(cache):
    """A correct design that ends the simulation early leaves `Mismatches: 0` but too few vectors."""
    ev = Evaluator(get_benchmark(f"local:{SMOKE}"), cache=cache, progress=False)
    cand = "module TopModule(input a, input b, output out); assign out = a & b; always @(posedge b) $finish; endmodule"
    (r,), _ = ev.evaluate([{"task_id": "Prob001_and_gate", "completion": cand}])
    assert r["mismatches"] == 0 and r["vectors"] < ev.reference["Prob001_and_gate"]["vectors"]
    assert not r["passed"] and r["failure"] == "R"
