"""Procedural instruction data: every family compiles (real Icarus), specs name every port, the
build is deterministic, decontamination drops a planted benchmark row, and a small CLI run writes
problems that the harness's `local:` loader passes with their own reference."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from data_pipeline.procedural import FAMILIES, generate_one
from data_pipeline.procedural.build import Generator, ProceduralConfig, build, compile_batch, rows_for
from data_pipeline.procedural.fsm import detector_tables

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")

SEEDS = range(6)


def _bench(tmp_path, code: str, pid: str = "Prob001_planted"):
    """A one-problem suite in the VerilogEval v2 layout whose reference is `code`."""
    d = tmp_path / "bench"
    d.mkdir()
    (d / f"{pid}_prompt.txt").write_text("Some unrelated words about a circuit with inputs and outputs.\n")
    (d / f"{pid}_ref.sv").write_text(re.sub(r"\bmodule\s+TopModule\b", "module RefModule", code, count=1))
    (d / f"{pid}_test.sv").write_text("module tb(); endmodule\n")
    (d / "problems.txt").write_text(pid + "\n")
    return d


def test_registry_is_large_and_varied():
    assert len(FAMILIES) >= 40
    tags = {t for _, tags in FAMILIES.values() for t in tags}
    for want in ("gates", "truth-table", "vector", "mux", "encoder", "arith", "shift", "conversion", "register", "counter",
                 "shift-register", "lfsr", "edge", "timer", "fsm", "sequence", "arbiter", "handshake", "memory", "fifo"):
        assert want in tags, want


def test_every_family_compiles_for_several_seeds():
    designs = [generate_one(name, s) for name in sorted(FAMILIES) for s in SEEDS]
    res = compile_batch([d.code for d in designs])
    bad = [(d.family, r["error"] or r["warnings"]) for d, r in zip(designs, res) if not r["ok"] or r["warnings"]]
    assert not bad, bad[:5]


def test_compile_batch_isolates_broken_designs():
    good = generate_one("counter", 0).code
    res = compile_batch([good, "module TopModule(input a, output y);\n  assign y = a +;\nendmodule\n",
                         "module TopModule(input a, output y);\n  assign y = nope;\nendmodule\n", good])
    assert [r["ok"] for r in res] == [True, False, False, True]
    assert "nope" in res[2]["error"]


def test_spec_names_every_port_and_header_matches_code():
    for name in sorted(FAMILIES):
        for s in SEEDS:
            d = generate_one(name, s)
            assert d.code.startswith(d.header) and d.code == d.header + d.body
            assert d.body.rstrip().endswith("endmodule")
            for p in d.ports:
                assert re.search(rf"(?<![A-Za-z0-9_]){re.escape(p['name'])}(?![A-Za-z0-9_])", d.spec), (name, s, p["name"])
                assert re.search(rf"\b{p['dir']}\b[^,;]*\b{re.escape(p['name'])}\b", d.header), (name, p)
            assert "I would like you to implement" not in d.spec


def test_generation_is_deterministic_and_rows_have_both_kinds():
    cfg = ProceduralConfig(n=300, seed=7)
    a, b = Generator(cfg).take(300), Generator(cfg).take(300)
    assert [(i, d.code, d.spec) for i, d in a] == [(i, d.code, d.spec) for i, d in b]
    assert len({d.family for _, d in a}) >= 40
    rows = [r for i, d in a for r in rows_for(i, d, cfg)]
    assert {r["kind"] for r in rows} == {"spec-to-rtl", "code-complete"}
    for r in rows:
        assert set(r) >= {"prompt", "completion", "kind", "family", "source", "id"} and r["source"] == "procedural"
        if r["kind"] == "code-complete":
            assert "module TopModule" in r["prompt"] and "module" not in r["completion"].split("endmodule")[0]
        else:
            assert r["completion"].lstrip().startswith("module TopModule")
    other = Generator(ProceduralConfig(n=50, seed=8)).take(50)
    assert [d.code for _, d in other] != [d.code for _, d in a[:50]]


def _simulate_detector(pattern, overlap, mealy, bits):
    nxt, outs = detector_tables(pattern, overlap, mealy)
    s, res = 0, []
    for b in bits:
        if mealy:
            res.append(outs[s][b])
            s = nxt[s][b]
        else:
            s = nxt[s][b]
            res.append(outs[s])
    return res


@pytest.mark.parametrize("pattern", ["101", "110", "1111", "0110", "10010"])
def test_sequence_detector_tables_match_a_brute_force_model(pattern):
    import random

    rng = random.Random(pattern)
    bits = [rng.randint(0, 1) for _ in range(400)]
    L = len(pattern)
    for overlap in (True, False):
        want, last = [], -L
        for t in range(len(bits)):
            hit = t + 1 >= L and "".join(map(str, bits[t + 1 - L:t + 1])) == pattern and (overlap or t - last >= L)
            if hit:
                last = t
            want.append(int(hit))
        for mealy in (True, False):
            assert _simulate_detector(pattern, overlap, mealy, bits) == want, (pattern, overlap, mealy)


def test_decontamination_drops_a_planted_benchmark_row(tmp_path):
    cfg = ProceduralConfig(n=12, seed=3, problems=0, workers=1, families=["fifo", "rr_arbiter"], kinds="spec-to-rtl")
    first = Generator(cfg).take(1)[0][1]
    bench = _bench(tmp_path, first.code)
    cfg.decontam = {f"local:{bench}": ""}
    rep = build(cfg, tmp_path / "out", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "out" / "round2.jsonl").read_text().splitlines()]
    hits = [json.loads(line) for line in (tmp_path / "out" / "contamination.jsonl").read_text().splitlines()]
    assert all(r["completion"] != first.code for r in rows)
    assert any(h["bench"].endswith("Prob001_planted/reference") for h in hits)
    assert rep["decontam_hits"] >= 1 and rep["counts"]["rows"] == 12
    assert "Decontamination hits" in (tmp_path / "out" / "report.md").read_text()


def test_cli_end_to_end_writes_problems_that_pass_the_local_loader(tmp_path):
    from eval.benchmarks import get_benchmark
    from rtlgen.cli import main

    bench = _bench(tmp_path, "module TopModule(input a, output y);\n  assign y = ~a;\nendmodule\n")
    yml = tmp_path / "p.yaml"
    yml.write_text(f"decontam:\n  'local:{bench}': ''\nfamilies: [counter, mux, edge_detect, seq_detector, adder]\n")
    out = tmp_path / "proc"
    rc = main(["data", "procedural", "--config", str(yml), "--out", str(out), "--n", "40", "--seed", "1",
               "--problems", "3", "--workers", "1", "--quiet"])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["counts"]["rows"] == 40 and rep["counts"]["problems"] == 3
    suite = get_benchmark(f"local:{out / 'problems'}")
    tasks = suite.load()
    assert len(tasks) == 3
    for t in tasks.values():
        assert "I would like you to implement" not in t.prompt
        assert suite.evaluate(t, t.reference).passed
        broken = re.sub(r"endmodule\s*$", "", t.reference.rstrip())
        assert not suite.evaluate(t, broken + "\nendmodule\nmodule x(;").passed
    # same seed, same files
    rc = main(["data", "procedural", "--config", str(yml), "--out", str(tmp_path / "again"), "--n", "40", "--seed", "1",
               "--problems", "3", "--workers", "1", "--quiet"])
    assert rc == 0
    assert (out / "round2.jsonl").read_text() == (tmp_path / "again" / "round2.jsonl").read_text()
    assert sorted(p.name for p in (out / "problems").iterdir()) == sorted(p.name for p in (tmp_path / "again" / "problems").iterdir())


def test_bad_input_is_a_user_error(tmp_path):
    from eval.errors import UserError

    with pytest.raises(UserError):
        build(ProceduralConfig(n=5, families=["no_such_family"], decontam={}), tmp_path / "x", progress=False)
    with pytest.raises(UserError):
        build(ProceduralConfig(n=5, kinds="weird", decontam={}), tmp_path / "y", progress=False)
