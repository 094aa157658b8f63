"""End to end on self-written fixtures: every fixture file must end where it should, and the
report must say why. Real git, real pyslang, real Icarus, real datasets."""

from __future__ import annotations

import json
import time

import pytest

from data_helpers import fixture_config


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from data_pipeline.pipeline import build

    tmp = tmp_path_factory.mktemp("fx")
    cfg = fixture_config(tmp)
    cfg.quality.lint = True
    t0 = time.monotonic()
    report = build(cfg, tmp / "out", progress=False)
    first = time.monotonic() - t0
    return cfg, tmp, report, first


def _mods(out):
    return [json.loads(l) for l in (out / "modules.jsonl").read_text().splitlines()]


def test_each_fixture_ends_where_it_should(built):
    _, tmp, report, _ = built
    out = tmp / "out"
    names = sorted(m["name"] for m in _mods(out))
    # kept: one counter (exact dup dropped), one adder (near dup dropped), the shift register
    assert names == ["sat_add", "sipo_shift", "up_counter"] or names == ["sat_add_v2", "sipo_shift", "up_counter"]
    drops = report["drops"]
    assert drops["extract"].get("not utf-8") == 1
    assert drops["filter"].get("testbench (kept apart)") == 1
    assert drops["filter"].get("auto-generated") == 1
    assert drops["compile"].get("compile: syntax error") == 1
    assert drops["dedup"] == {"exact duplicate": 1, "near duplicate": 1}
    assert drops["license"] == {"unknown license (held out)": 1}
    held = (out / "held_out" / "unknown_license.jsonl").read_text()
    assert "dec2to4" in held and "dec2to4" not in (out / "round1.jsonl").read_text()
    # the copied benchmark solution is removed, and the report names the benchmark item
    cont = [json.loads(l) for l in (out / "contamination.jsonl").read_text().splitlines()]
    assert any(c["name"] == "bin2gray" and "Prob001_gray" in c["bench"] for c in cont)
    assert "bin2gray" in (out / "report.md").read_text()
    assert "bin2gray" not in (out / "round1.jsonl").read_text()
    tb = (out / "testbenches.jsonl").read_text()
    assert "tb_counter" in tb


def test_record_formats_and_hf_datasets(built):
    from datasets import load_from_disk

    _, tmp, report, _ = built
    out = tmp / "out"
    m = _mods(out)[0]
    assert set(m) >= {"id", "name", "code", "description", "repo", "commit", "path", "license", "line_start",
                      "line_end", "quality"}
    assert m["license"] == "MIT" and len(m["commit"]) == 40 and m["code"].lstrip().startswith("module")
    r1 = json.loads((out / "round1.jsonl").read_text().splitlines()[0])
    assert set(r1) == {"text", "source", "license"}
    r2 = json.loads((out / "round2.jsonl").read_text().splitlines()[0])
    assert set(r2) == {"prompt", "completion", "source"}
    k = [json.loads(l) for l in (out / "knowledge.jsonl").read_text().splitlines()]
    assert k and all(set(x) == {"text", "source", "license"} for x in k) and "saturating" in k[0]["text"]
    assert len(load_from_disk(str(out / "hf" / "modules"))) == report["counts"]["modules"]
    assert len(load_from_disk(str(out / "hf" / "round2"))) == report["counts"]["round2"]
    assert (out / "length_hist.png").stat().st_size > 1000
    assert [f["stage"] for f in report["funnel"]][:3] == ["hdl files", "modules extracted", "license allowed"]


def test_description_is_from_the_ast(built):
    _, tmp, _, _ = built
    desc = {m["name"]: m["description"] for m in _mods(tmp / "out")}
    d = desc["sipo_shift"]
    assert "clocked by clk" in d and "rst_n (active low)" in d and "q (8-bit)" in d
    assert "Serial-in parallel-out" in d


def test_problems_are_runnable_by_the_harness_and_have_teeth(built):
    from eval.benchmarks import get_benchmark

    _, tmp, report, _ = built
    pdir = tmp / "out" / "problems"
    ids = (pdir / "problems.txt").read_text().split()
    assert len(ids) == report["counts"]["problems"] >= 2
    bench = get_benchmark(f"local:{pdir}")
    tasks = bench.load()
    for pid in ids:
        assert "module RefModule" in (pdir / f"{pid}_ref.sv").read_text()
        assert 'final begin' in (pdir / f"{pid}_test.sv").read_text()
        assert "TopModule" in tasks[pid].prompt
        out = bench.evaluate(tasks[pid], tasks[pid].reference, reference=True)
        assert out.passed, out.log_tail
    # a wrong design fails: the counter's problem rejects a design that counts down
    cnt = next(p for p in ids if "up_counter" in p)
    wrong = tasks[cnt].reference.replace("count + 1'b1", "count - 1'b1")
    assert not bench.evaluate(tasks[cnt], wrong).passed


def test_rebuild_is_cached_and_identical(built):
    from data_pipeline.pipeline import build

    cfg, tmp, report, first = built
    before = (tmp / "out" / "modules.jsonl").read_text()
    t0 = time.monotonic()
    again = build(cfg, tmp / "out", progress=False)
    assert time.monotonic() - t0 < first  # nothing recompiled, nothing re-simulated
    assert (tmp / "out" / "modules.jsonl").read_text() == before
    assert again["counts"] == report["counts"]


def test_cli_build_and_stats(tmp_path):
    import yaml

    from data_helpers import FIX
    from rtlgen.cli import main

    cfg = {"name": "cli", "workers": 1, "sources": [{"kind": "local", "name": "x", "path": str(FIX / "repo_mit"),
                                                       "license": "MIT"}],
           "decontam": {"benchmarks": {f"local:{FIX / 'bench'}": None}}, "problems": {"enabled": False}}
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(cfg))
    assert main(["data", "build", "--config", str(p), "--out", str(tmp_path / "o"), "--quiet", "--set",
                 "filter.min_tokens=10"]) == 0
    assert main(["data", "stats", str(tmp_path / "o")]) == 0
    assert main(["data", "stats", str(tmp_path / "nothing")]) == 2
    assert main(["data", "build", "--config", str(p), "--out", str(tmp_path / "o"), "--set", "bogus=1"]) == 2


def test_audit_finds_no_contamination_and_catches_an_injected_copy(built):
    from data_pipeline.audit import audit
    from data_helpers import FIX

    cfg, tmp, _, _ = built
    res = audit(tmp / "out", cfg.decontam.benchmarks, progress=False)
    assert res["texts_checked"] > 5 and res["matches"] == 0
    # tamper with a copy of the build: the audit must notice
    import shutil

    bad = tmp / "tampered"
    shutil.copytree(tmp / "out", bad)
    ref = (FIX / "bench" / "Prob001_gray_ref.sv").read_text()
    with (bad / "round1.jsonl").open("a") as f:
        f.write(json.dumps({"text": ref, "source": "x", "license": "MIT"}) + "\n")
    res = audit(bad, cfg.decontam.benchmarks, progress=False)
    assert res["matches"] == 1 and "Prob001_gray" in res["examples"][0]["bench"]
