"""The generate → check → repair loop with real simulators, a real local OpenAI-style server (so
that the model's answers are scripted and the repair path is exercised deterministically), and the
`rtlgen generate` CLI's handling of bad input. Also the resumable benchmark sampling."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_helpers import build_tiny_llama, chat_server  # noqa: E402

from eval.benchmarks import Task  # noqa: E402
from rtlgen.cli import main  # noqa: E402
from rtlgen.generate import GenerateConfig, check_candidate, generate_rtl, guess_top, write_outputs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
AND_TB = REPO / "examples" / "and_gate" / "tb.v"
GOOD = "module TopModule(input a, input b, output y);\n  assign y = a & b;\nendmodule\n"
WRONG = "module TopModule(input a, input b, output y);\n  assign y = a | b;\nendmodule\n"
BROKEN = "module TopModule(input a, input b, output y);\n  assign y = a & c\nendmodule\n"
QUIET = dict(log=lambda *a: None, progress=False)


def test_check_candidate_levels():
    good = check_candidate(GOOD, "TopModule", tb=AND_TB)
    assert good.compiles and good.lint_clean and good.tests_passed and good.good()
    wrong = check_candidate(WRONG, "TopModule", tb=AND_TB)
    assert wrong.compiles and wrong.tests_passed is False and "FAIL" in wrong.errors
    broken = check_candidate(BROKEN, "TopModule")
    assert not broken.compiles and "iverilog" in broken.errors and broken.tests_passed is None
    lint = check_candidate("module TopModule(input a, input b, output y);\n  assign y = a;\nendmodule\n", "TopModule")
    assert lint.compiles and not lint.lint_clean and "UNUSED" in "".join(lint.lint_codes) + lint.errors or lint.lint_warnings == 0
    assert good.score() > wrong.score() > broken.score()


def test_forbidden_system_task_is_refused():
    chk = check_candidate('module TopModule; initial $system("rm -rf /"); endmodule', "TopModule")
    assert not chk.compiles and "$system" in chk.errors


def test_cocotb_testbench(tmp_path):
    tb = REPO / "examples" / "counter" / "test_counter.py"
    ok = "module TopModule(input clk, input reset, output reg [3:0] q);\n" \
         "  always @(posedge clk) if (reset) q <= 0; else q <= q + 1;\nendmodule\n"
    assert check_candidate(ok, "TopModule", tb=tb).tests_passed is True
    bad = check_candidate(ok.replace("q + 1", "q + 2"), "TopModule", tb=tb)
    assert bad.tests_passed is False and "AssertionError" in bad.errors


def test_guess_top():
    assert guess_top("Implement a module named fifo_ctrl with ...") == "fifo_ctrl"
    assert guess_top("module adder (input a);") == "adder"
    assert guess_top("make an adder") == "TopModule"


class _Scripted:
    """Answers the first question with a wrong design, any repair request with the right one."""

    seen: list = []

    @staticmethod
    def answer(body):
        msgs = body["messages"]
        _Scripted.seen.append(msgs)
        repair = len(msgs) > 2
        return ("Fixed:\n[BEGIN]\n" + GOOD + "[DONE]") if repair else ("[BEGIN]\n" + WRONG.replace("endmodule\n", ""))


@pytest.fixture()
def scripted():
    _Scripted.seen = []
    with chat_server(_Scripted.answer) as url:
        yield url


def test_repair_loop_fixes_design_with_testbench(scripted, tmp_path):
    cfg = GenerateConfig(backend="openai", endpoint=scripted, model="m", n=2, repair_rounds=2, tb=str(AND_TB))
    spec = (REPO / "examples" / "and_gate" / "spec.txt").read_text()
    report = generate_rtl(spec, cfg, **QUIET)
    rounds = [c["round"] for c in report["candidates"]]
    assert rounds.count(0) == 2 and 1 in rounds and 2 not in rounds  # stopped once a candidate passed
    best = report["candidates"][report["best"]]
    assert best["round"] == 1 and best["check"]["tests_passed"] and report["best_status"] == "passes tests"
    repair_msgs = _Scripted.seen[-1]
    assert "FAIL" in repair_msgs[-1]["content"] and "a | b" in repair_msgs[-2]["content"]
    out, rep = write_outputs(report, tmp_path / "and.v")
    assert "a & b" in out.read_text() and json.loads(rep.read_text())["best"] == best["index"]


def test_cli_generate_with_tiny_model(tmp_path):
    model = build_tiny_llama(tmp_path / "m")
    out = tmp_path / "o" / "x.v"
    rc = main(["generate", str(REPO / "examples" / "and_gate" / "spec.txt"), "-o", str(out), "--model", str(model),
               "-n", "2", "--repair", "1", "--max-new-tokens", "16", "-q"])
    rep = json.loads(out.with_suffix(".report.json").read_text())
    assert len(rep["candidates"]) >= 2 and rep["backend"]["impl"] == "fast"
    assert rc == (0 if rep["candidates"][rep["best"]]["check"]["compiles"] else 1)


@pytest.mark.parametrize("content,msg", [(b"", "empty"), (b"   \n", "empty"), (b"\x00\x01binary", "binary"),
                                         (b"caf\xe9 spec", "not UTF-8")])
def test_cli_bad_spec(tmp_path, capsys, content, msg):
    spec = tmp_path / "spec.txt"
    spec.write_bytes(content)
    assert main(["generate", str(spec), "-o", str(tmp_path / "o.v")]) == 2
    assert msg in capsys.readouterr().err


def test_cli_missing_inputs(tmp_path, capsys):
    assert main(["generate", str(tmp_path / "nope.txt")]) == 2
    spec = tmp_path / "s.txt"
    spec.write_text("an AND gate")
    assert main(["generate", str(spec), "-o", str(tmp_path / "o.v"), "--tb", str(tmp_path / "tb.v")]) == 2
    assert main(["generate", str(spec), "-o", str(tmp_path / "o.v"), "--model", str(tmp_path / "x.gguf")]) == 2
    assert main(["generate", str(spec), "--rag", str(tmp_path)]) == 2
    (tmp_path / "s.v").write_text("// mine")
    assert main(["generate", str(spec)]) == 2  # would overwrite the user's file
    err = capsys.readouterr().err
    assert "no such file" in err and "GGUF file not found" in err and "exists" in err


@pytest.mark.parametrize("argv,msg", [(["generate", "s.txt", "--out", "x"], "No such option: --out"),
                                      (["generat"], "No such command"),
                                      (["generate"], "Missing argument")])
def test_cli_usage_errors_are_one_message_not_a_traceback(argv, msg):
    """Through the real entry point: recent typer raises its vendored click's exceptions, not click's."""
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "rtlgen", *argv], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2 and msg in proc.stderr and "Traceback" not in proc.stderr


def test_benchmark_sampling_resumes(tmp_path):
    from rtlgen.backends import get_backend
    from rtlgen.eval_sampling import generate_benchmark_samples

    model = build_tiny_llama(tmp_path / "m")
    tasks = [Task(f"t{i}", "spec-to-rtl", f"Implement TopModule number {i}.", "TopModule", GOOD) for i in range(3)]
    tasks.append(Task("cc", "code-complete", "Copy a.\n\nmodule TopModule(input a, output y);", "TopModule", GOOD,
                      interface="module TopModule(input a, output y);"))
    be = get_backend("hf", model=str(model), log=lambda *a: None)
    out = tmp_path / "samples.jsonl"
    kw = dict(model=str(model), adapters=[], temperature=0.8, max_new_tokens=8, backend_instance=be, progress=False)
    s1 = generate_benchmark_samples(tasks, out, n=2, **kw)
    assert s1["samples_written"] == 8 and s1["tokens"] > 0
    with out.open("a") as fh:  # a crash in the middle of a line
        fh.write('{"task_id": "t0", "compl')
    s2 = generate_benchmark_samples(tasks, out, n=3, **kw)
    assert s2["resumed_samples"] == 8 and s2["samples_written"] == 4
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    by = {}
    for r in rows:
        by.setdefault(r["task_id"], []).append(r["sample_idx"])
    assert all(sorted(v) == [0, 1, 2] for v in by.values()) and len(by) == 4
    assert all(isinstance(r["completion"], str) and r["completion"] for r in rows)
    assert generate_benchmark_samples(tasks, out, n=3, **kw)["samples_written"] == 0


def test_benchmark_sampling_puts_precomputed_contexts_into_prompts(tmp_path):
    """The GPU's RAG variant: contexts retrieved elsewhere reach each task's prompt, and only its own."""
    from rtlgen.backends.hf import HFBackend
    from rtlgen.eval_sampling import generate_benchmark_samples
    from rtlgen.prompts import render

    class Recording(HFBackend):
        seen: list = []

        def generate(self, prompts, params, on_result=None, progress=True):
            self.seen.extend(render(p, self.tok) for p in prompts)
            return super().generate(prompts, params, on_result, progress)

    model = build_tiny_llama(tmp_path / "m")
    tasks = [Task(f"t{i}", "spec-to-rtl", f"Implement TopModule number {i}.", "TopModule", GOOD) for i in range(2)]
    be = Recording(model=str(model), log=lambda *a: None)
    contexts = {"t0": "// EXAMPLE-ZERO: module ex0; endmodule", "t1": "// EXAMPLE-ONE: module ex1; endmodule"}
    generate_benchmark_samples(tasks, tmp_path / "s.jsonl", model=str(model), adapters=[], n=1, max_new_tokens=4,
                               backend_instance=be, progress=False, contexts=contexts)
    by_task = {("number 0" in p): p for p in be.seen}
    assert "EXAMPLE-ZERO" in by_task[True] and "EXAMPLE-ONE" not in by_task[True]
    assert "EXAMPLE-ONE" in by_task[False] and "EXAMPLE-ZERO" not in by_task[False]


def test_repair_prompts_are_shrunk_or_skipped_to_fit_the_context():
    """A repair prompt repeats spec, code and errors: it may outgrow the context the first prompt fit.
    Long errors are cut to fit; a failure whose repair cannot fit at all is not repaired."""
    from rtlgen.generate import Candidate, Check, repair_requests
    from rtlgen.prompts import build_prompt

    base = build_prompt("An AND gate: y = a & b.", top="TopModule")
    short = Candidate(0, 0, None, "x", "module TopModule(input a, b, output y); endmodule",
                      5, Check(compiles=True, errors="lint: y is undriven"))
    noisy = Candidate(1, 0, None, "x", "module TopModule(input a, output y); assign y = a; endmodule",
                      5, Check(errors="E" * 5000))
    huge = Candidate(2, 0, None, "x", "module TopModule(output y);\n" + "wire w;\n" * 3000 + "endmodule", 5,
                     Check(errors="syntax error"))
    limit = 3000
    fits = lambda p: sum(len(m["content"]) for m in p.messages) <= limit  # noqa: E731
    todo, prompts = repair_requests([short, noisy, huge], 1, 3, base, fits=fits)
    assert [c.index for c in todo] == [0, 1]  # the huge one cannot fit and is left unrepaired
    assert all(fits(p) for p in prompts)
    assert "E" * 600 in prompts[1].messages[-1]["content"] and "E" * 3000 not in prompts[1].messages[-1]["content"]
    todo, prompts = repair_requests([short, noisy, huge], 1, 3, base)  # no predicate: everything goes
    assert len(prompts) == 3
