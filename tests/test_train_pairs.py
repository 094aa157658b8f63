"""Preference pairs come from real simulation (iverilog) of fixture problems; ties and benchmarks are refused."""

from __future__ import annotations

import json

import pytest

import train_helpers as h
from eval.errors import UserError
from finetune.pairs import build_pairs, make_pairs, refuse_benchmarks, score


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("pairs")
    path, stats = make_pairs(str(h.PROBLEMS), h.FIXTURES / "samples.jsonl", out, progress=False, workers=2)
    pairs = [json.loads(x) for x in path.read_text().splitlines()]
    scored = {r["sample_idx"]: r for r in map(json.loads, (out / "scored.jsonl").read_text().splitlines())}
    return pairs, scored, stats


def test_scores_come_from_the_testbench(built):
    _, scored, stats = built
    assert scored[0]["passed"] and scored[0]["score"] == 2.0
    # {a[3:1]&b[3:1],0} mismatches 17 of 64 vectors; constant 0 mismatches 43 of 64 (iverilog, fixed seed)
    assert scored[1]["failure"] == "R" and scored[1]["score"] == pytest.approx(1 - 17 / 64)
    assert scored[2]["score"] == pytest.approx(1 - 43 / 64)
    assert scored[3]["failure"] == "S" and scored[3]["score"] == -1.0
    assert stats["candidates"] == 9 and stats["passed"] == 4 and stats["candidates_per_s"] > 0


def test_pairs_rank_better_over_worse_and_drop_ties(built):
    pairs, _, _ = built
    got = {(p["chosen_sample_idx"], p["rejected_sample_idx"]) for p in pairs}
    assert (0, 3) in got and (1, 2) in got  # pass > syntax error; more vectors > fewer vectors
    assert not {(2, 4), (4, 2)} & got  # same vector count: a tie
    assert not {(5, 8), (8, 5), (5, 6), (6, 5)} & got  # both pass (and 8 duplicates 5)
    for p in pairs:
        assert p["chosen_score"] > p["rejected_score"] and not p["rejected_passed"]
        assert p["prompt"].startswith("Implement a module named TopModule")
    and4 = [p for p in pairs if p["task_id"] == "synth_and4"]
    assert len(and4) == 4  # the default cap
    first_two = {and4[0]["chosen_sample_idx"], and4[0]["rejected_sample_idx"],
                 and4[1]["chosen_sample_idx"], and4[1]["rejected_sample_idx"]}
    assert len(first_two) == 4  # fresh samples are used before any is reused
    evidence = pairs[0]
    for key in ("chosen_passed", "rejected_failure", "chosen_sample_idx", "rejected_score"):
        assert key in evidence


def test_cap_and_require_passing_chosen():
    prompts = {"t": "p"}
    results = [{"task_id": "t", "completion": f"c{i}", "sample_idx": i, "passed": i == 0, "syntax_ok": i < 3,
                "failure": None if i == 0 else ("R" if i < 3 else "S"),
                "log_tail": "" if i == 0 else "Mismatches: %d in 10 samples\nrtlgen-tb-verdict-0123456789abcdef\n" % (i * 3)}
               for i in range(5)]
    assert [score(r) for r in results] == [2.0, pytest.approx(0.7), pytest.approx(0.4), -1.0, -1.0]
    only_pass = build_pairs(prompts, results, max_pairs_per_problem=10, require_passing_chosen=True)
    assert {p["chosen_sample_idx"] for p in only_pass} == {0} and len(only_pass) == 4
    capped = build_pairs(prompts, results, max_pairs_per_problem=2)
    assert len(capped) == 2
    everything = build_pairs(prompts, results, max_pairs_per_problem=99)
    assert len(everything) == 4 + 3 + 2  # 3 vs 4 is a tie (both syntax errors)


def test_fake_verdict_from_the_design_does_not_count():
    r = {"passed": False, "syntax_ok": True, "failure": "R",
         "log_tail": "Mismatches: 0 in 64 samples\nHint: x\nMismatches: 60 in 64 samples\nrtlgen-tb-verdict-00112233aabbccdd\n"}
    assert score(r) == pytest.approx(4 / 64)


def test_benchmarks_are_refused(tmp_path, monkeypatch):
    for name in ("verilogeval-v2-spec", "rtllm-v1.1", "local:verilogeval-v1-human"):
        with pytest.raises(UserError, match="refuses"):
            refuse_benchmarks(name)
    d = tmp_path / "dataset_spec-to-rtl"
    d.mkdir()
    (d / "problems.txt").write_text("x\n")
    with pytest.raises(UserError, match="benchmark"):
        refuse_benchmarks(str(d))
    e = tmp_path / "mine"
    e.mkdir()
    (e / "problems.txt").write_text("Prob001_zero\n")
    with pytest.raises(UserError, match="Prob001_zero"):
        refuse_benchmarks(str(e))
    monkeypatch.setenv("RTLGEN_BENCH_DIR", str(tmp_path))
    (tmp_path / "ok").mkdir()
    with pytest.raises(UserError, match="RTLGEN_BENCH_DIR"):
        refuse_benchmarks(str(tmp_path / "ok"))
    monkeypatch.delenv("RTLGEN_BENCH_DIR")
    assert refuse_benchmarks(str(h.PROBLEMS)) == h.PROBLEMS
