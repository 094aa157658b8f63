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
    assert main(["data", "stats", str(out)]) == 0  # the procedural report renders (it once raised KeyError)


def test_bad_input_is_a_user_error(tmp_path):
    from eval.errors import UserError

    with pytest.raises(UserError):
        build(ProceduralConfig(n=5, families=["no_such_family"], decontam={}), tmp_path / "x", progress=False)
    with pytest.raises(UserError):
        build(ProceduralConfig(n=5, kinds="weird", decontam={}), tmp_path / "y", progress=False)


# ---------------------------------------------------------------- the reference does what the spec says

def _exhaust(tmp_path, d):
    """Simulate a combinational design on every input combination: {input values: output values}."""
    import subprocess

    ins = [p for p in d.ports if p["dir"] == "input"]
    outs = [p for p in d.ports if p["dir"] == "output"]
    total = sum(p["width"] for p in ins)
    assert total <= 12
    decl = "\n".join(f"  reg [{p['width'] - 1}:0] {p['name']};" for p in ins) + "\n" + \
        "\n".join(f"  wire [{p['width'] - 1}:0] {p['name']};" for p in outs)
    conn = ", ".join(f".{p['name']}({p['name']})" for p in d.ports)
    cat = "{" + ", ".join(p["name"] for p in ins) + "}"
    fmt = " ".join("%0d" for _ in ins + outs)
    tb = (f"module tb;\n{decl}\n  TopModule dut({conn});\n  integer v;\n  initial begin\n"
          f"    for (v = 0; v < {1 << total}; v = v + 1) begin\n      {cat} = v;\n      #1 $display(\"{fmt}\", "
          + ", ".join(p["name"] for p in ins + outs) + ");\n    end\n  end\nendmodule\n")
    (tmp_path / "d.sv").write_text(d.code + "\n" + tb)
    subprocess.run(["iverilog", "-g2012", "-o", str(tmp_path / "s.vvp"), "-s", "tb", str(tmp_path / "d.sv")], check=True)
    text = subprocess.run(["vvp", "-n", str(tmp_path / "s.vvp")], capture_output=True, text=True, check=True).stdout
    res = {}
    for line in text.split("\n"):
        if line.strip():
            vals = [int(x) for x in line.split()]
            res[tuple(vals[:len(ins)])] = vals[len(ins):]
    assert len(res) == 1 << total
    return ins, outs, res


def _table_from_spec(spec: str, n: int) -> list[int]:
    rows = re.findall(r"^\|?\s*((?:[01]\s*\|?\s*){%d})\|\s*([01])\s*\|?\s*$" % n, spec, re.M)
    return [int(v) for _, v in rows]


@pytest.mark.parametrize("seed", range(4))
def test_truth_table_and_minterm_references_follow_their_spec(tmp_path, seed):
    d = generate_one("truth_table", seed)
    ins, outs, res = _exhaust(tmp_path, d)
    table = _table_from_spec(d.spec, len(ins))
    assert len(table) == 1 << len(ins)
    for m in range(1 << len(ins)):
        bits = tuple((m >> (len(ins) - 1 - i)) & 1 for i in range(len(ins)))
        assert res[bits] == [table[m]], (d.spec, m)
    d = generate_one("minterms", seed)
    ins, outs, res = _exhaust(tmp_path, d)
    listed = [int(x) for x in re.search(r"(?:minterms\)|one of) ([\d, ]+)", d.spec).group(1).replace(" ", "").strip(",").split(",")]
    ones = set(listed) if "minterms)" in d.spec else set(range(1 << len(ins))) - set(listed)
    for bits, (y,) in res.items():
        m = int("".join(map(str, bits)), 2)
        assert y == (m in ones), (d.spec, m)


@pytest.mark.parametrize("seed", range(6))
def test_boolean_expression_references_follow_their_spec(tmp_path, seed):
    d = generate_one("bool_expr", seed)
    ins, outs, res = _exhaust(tmp_path, d)
    names = [p["name"] for p in ins]
    eqs = dict(re.findall(r"^(?:[-*•]|\d+\.)?\s*(\w+) = (.+)$", d.behaviour, re.M))
    for bits, ys in res.items():
        env = dict(zip(names, bits))
        for p, y in zip(outs, ys):
            expr = eqs[p["name"]].replace("NOT ", "1-").replace(" AND ", " & ").replace(" OR ", " | ").replace(" XOR ", " ^ ")
            expr = re.sub(r"~(\(|\w)", r"1-\1", expr)
            # `1-x` binds tighter than &|^ in Python, as ~ does in Verilog
            assert eval(expr, {}, dict(env)) == y, (expr, env)  # noqa: S307 - our own generated expression


@pytest.mark.parametrize("seed", range(4))
def test_vector_references_follow_their_spec(tmp_path, seed):
    d = generate_one("popcount", seed)
    if sum(p["width"] for p in d.ports if p["dir"] == "input") <= 12:
        _, _, res = _exhaust(tmp_path, d)
        assert all(ys[0] == bin(bits[0]).count("1") for bits, ys in res.items())
    d = generate_one("gray_code", seed)
    _, _, res = _exhaust(tmp_path, d)
    to_gray = "into reflected Gray code" in d.spec
    for (x,), (y,) in res.items():
        assert (y == x ^ (x >> 1)) if to_gray else (y ^ (y >> 1) == x)


@pytest.mark.parametrize("seed", range(6))
def test_sequence_detector_reference_matches_the_python_model(tmp_path, seed):
    """The generated Verilog (state encoding, next-state case, output logic) against the pattern model."""
    import random
    import subprocess

    d = generate_one("seq_detector", seed)
    pattern = re.search(r"last \d+ bits received are ([01]+)", d.spec).group(1)
    overlap = "may overlap" in d.spec
    mealy = "same cycle" in d.spec
    rst, xin, y = d.ports[1]["name"], d.ports[2]["name"], d.ports[3]["name"]
    act = "0" if rst.endswith("n") else "1"
    bits = [random.Random(seed).randint(0, 1) for _ in range(300)]
    vec = "".join(map(str, bits))
    show = '$write("%0d", ' + y + ');'
    tb = (f"module tb;\n  reg clk = 0, {rst} = {act}, {xin} = 0;\n  wire {y};\n  reg [{len(bits) - 1}:0] bits = {len(bits)}'b{vec[::-1]};\n"
          f"  TopModule dut(.clk(clk), .{rst}({rst}), .{xin}({xin}), .{y}({y}));\n  integer t;\n  initial begin\n"
          f"    #1 clk = 1; #1 clk = 0; {rst} = ~{act};\n    for (t = 0; t < {len(bits)}; t = t + 1) begin\n"
          f"      {xin} = bits[t];\n      #1 {show if mealy else ''}\n      clk = 1;\n"
          f"      #1 {'' if mealy else show}\n      clk = 0;\n    end\n    $display(\"\");\n  end\nendmodule\n")
    (tmp_path / "d.sv").write_text(d.code + "\n" + tb)
    subprocess.run(["iverilog", "-g2012", "-o", str(tmp_path / "s.vvp"), "-s", "tb", str(tmp_path / "d.sv")], check=True)
    got = subprocess.run(["vvp", "-n", str(tmp_path / "s.vvp")], capture_output=True, text=True, check=True).stdout.strip()
    want = "".join(map(str, _simulate_detector(pattern, overlap, mealy, bits)))
    assert got == want, (pattern, overlap, mealy)


def test_narrated_voice_retells_ports_and_constructs_and_keeps_the_completion():
    """`narrated` swaps the behaviour of a share of code-complete rows for the long narrated voice: the
    same answer, a prompt that names every port with its width and the constructs the body uses."""
    from data_pipeline.procedural.narrate import body_sentences

    cfg = ProceduralConfig(n=200, seed=11, kinds="code-complete", narrated=0.5)
    plain_cfg = ProceduralConfig(n=200, seed=11, kinds="code-complete")
    designs = Generator(cfg).take(200)
    rows = [r for i, d in designs for r in rows_for(i, d, cfg)]
    plain = [r for i, d in designs for r in rows_for(i, d, plain_cfg)]
    told = [(r, p, d) for r, p, (_, d) in zip(rows, plain, designs) if r.get("voice") == "narrated"]
    assert 60 <= len(told) <= 140, len(told)
    for r, p, d in told:
        assert r["completion"] == p["completion"] == d.body.lstrip("\n")
        assert r["prompt"].rstrip().endswith(d.header) and len(r["prompt"]) > len(p["prompt"])
        for port in d.ports:
            assert re.search(rf"(?<![A-Za-z0-9_]){re.escape(port['name'])}(?![A-Za-z0-9_])", r["prompt"].split(d.header)[0])
    untold = [p for r, p in zip(rows, plain) if "voice" not in r]
    assert untold and all(p["prompt"] == r["prompt"] for r, p in zip(rows, plain) if "voice" not in r)
    fsm = next(d for _, d in designs if "localparam" in d.body)
    says = " ".join(body_sentences(fsm.body, __import__("random").Random(0)))
    names = re.findall(r"localparam\s+(?:\[[^\]]*\]\s*)?(\w+)", fsm.body)
    assert names and all(n in says for n in names[:6])
    clocked = next(d for _, d in designs if "always @(posedge clk or negedge" in d.body)
    assert "falling edge of" in " ".join(body_sentences(clocked.body, __import__("random").Random(0)))
