"""Unit checks of the pipeline's parts that carry the most risk: license detection, exact
Rouge-L with its pruning, dedup, grouped compiles, and problem teeth."""

from __future__ import annotations

import random

from data_pipeline.config import DedupConfig, ProblemConfig
from data_pipeline.dedup import dedup
from data_pipeline.licenses import LicenseMap, detect_text, spdx_header
from eval.contamination import BenchText, Decontaminator, lcs_len, rouge_l, word_tokens


def test_license_detection_and_precedence():
    assert detect_text("Permission is hereby granted, free of charge, to any person") == "MIT"
    assert detect_text("Licensed under the Apache License, Version 2.0 (the \"License\")") == "Apache-2.0"
    assert detect_text("GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007") == "GPL-3.0"
    assert detect_text("Redistribution and use in source and binary forms ... Neither the name of") == "BSD-3-Clause"
    assert detect_text("SOLDERPAD HARDWARE LICENSE version 0.51") == "SHL-0.51"
    assert detect_text("just some words") == "unknown"
    assert spdx_header("// SPDX-License-Identifier: Apache-2.0 OR MIT\nmodule x;") == "Apache-2.0"
    lm = LicenseMap()
    lm.add_file("LICENSE", "Permission is hereby granted, free of charge")
    lm.add_file("vendor/gpl/COPYING", "GNU GENERAL PUBLIC LICENSE Version 2")
    assert lm.license_for("rtl/a.v") == "MIT"
    assert lm.license_for("vendor/gpl/deep/b.v") == "GPL-2.0"
    assert lm.license_for("rtl/c.v", "// SPDX-License-Identifier: ISC\n") == "ISC"


def _lcs_dp(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def test_bit_parallel_lcs_matches_dynamic_programming():
    rng = random.Random(3)
    for _ in range(300):
        a = [rng.randrange(6) for _ in range(rng.randrange(0, 40))]
        b = [rng.randrange(6) for _ in range(rng.randrange(0, 70))]
        assert lcs_len(a, b) == _lcs_dp(a, b)


def test_decontaminator_pruning_never_misses():
    rng = random.Random(7)
    words = "assign wire reg always posedge clk begin end if else q d a b c out in = <= ; ( ) [ ] : 0 1".split()
    bench = [BenchText(f"b/{i}/reference", [rng.choice(words) for _ in range(rng.randrange(8, 60))]) for i in range(40)]
    dc = Decontaminator(bench, ngram_min_tokens=10_000)  # Rouge-L only
    for _ in range(150):
        if rng.random() < 0.3:  # a perturbed copy of a benchmark text
            base = list(rng.choice(bench).tokens)
            for _ in range(rng.randrange(0, 12)):
                base[rng.randrange(len(base))] = rng.choice(words)
            text = " ".join(base)
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randrange(5, 80)))
        hit = dc.check(text)
        _, best = dc.max_rouge(text)
        assert (hit is not None) == (best >= 0.5), (hit, best)


def test_ngram_containment_catches_a_pasted_solution():
    ref = " ".join(f"tok{i}" for i in range(80))
    dc = Decontaminator([BenchText("b/t/reference", word_tokens(ref))])
    big = " ".join(f"other{i}" for i in range(2000)) + " " + ref + " tail"
    assert rouge_l(word_tokens(big), word_tokens(ref)) < 0.5
    hit = dc.check(big)
    assert hit and hit["metric"] == "ngram" and hit["bench"] == "b/t/reference"


def test_dedup_exact_and_near():
    base = "module m(input a, input b, output y);\n" + "".join(
        f"  wire w{i} = a ^ b ^ {i};\n" for i in range(30)) + "  assign y = w0;\nendmodule\n"
    items = [{"id": "1", "code": base},
             {"id": "2", "code": "// comment\n" + base.replace("\n", "\n\n")},
             {"id": "3", "code": base.replace("w29", "v29")},
             {"id": "4", "code": "module z(input a, output y); assign y = ~a; endmodule"}]
    kept, dropped = dedup(items, **{k: getattr(DedupConfig(), k) for k in ("threshold", "num_perm")})
    assert [k["id"] for k in kept] == ["1", "4"]
    assert dropped["2"] == ("exact duplicate", "1") and dropped["3"][0] == "near duplicate"


def test_grouped_compile_blames_the_right_files():
    from data_pipeline.filters import compile_group

    job = {"modules": [
        {"id": "bad", "name": "bad", "instances": [], "preamble": "",
         "code": "module bad(input a, output y);\n assign y = a\n wire q = ;\nendmodule"},
        {"id": "top", "name": "top", "instances": ["leaf"], "preamble": "",
         "code": "module top(input a, output y);\n leaf u(.a(a), .y(y));\nendmodule"},
        {"id": "leaf", "name": "leaf", "instances": [], "preamble": "",
         "code": "module leaf(input a, output y);\n assign y = ~a;\nendmodule"},
        {"id": "orphan", "name": "orphan", "instances": ["nothere"], "preamble": "",
         "code": "module orphan(input a, output y);\n nothere u(.a(a), .y(y));\nendmodule"},
        {"id": "inc", "name": "inc", "instances": [], "preamble": '`include "defs.vh"',
         "code": "module inc(input a, output y);\n assign y = `INV a;\nendmodule"},
    ], "context": [], "includes": {"rtl/defs.vh": "`define INV ~\n"}}
    res = compile_group(job)
    assert sorted(res["ok"]) == ["inc", "leaf", "top"]
    assert "syntax" in res["fail"]["bad"].lower() or "malformed" in res["fail"]["bad"].lower()
    assert "unknown module" in res["fail"]["orphan"].lower()


def _problem(code: str, name: str):
    from data_pipeline import problems as P
    from data_pipeline.describe import analyze

    info = analyze(code)
    assert P.eligible(info, [], code, ProblemConfig()) is None
    ports = info["ports"]
    job = {"id": "Prob1_x", "ref": P.rename(code, name, "RefModule"), "test": P.testbench(ports, 50, 1),
           "prompt": P.prompt_text(ports, "desc"), "ports": ports}
    return P.validate(job), job


def test_problem_with_teeth_is_kept_and_one_without_is_rejected():
    good = ("module acc(input clk, input reset, input [3:0] d, output reg [7:0] sum);\n"
            "  always @(posedge clk) if (reset) sum <= 0; else sum <= sum + d;\nendmodule\n")
    res, job = _problem(good, "acc")
    assert res["ok"], res
    assert "stuck0" in res["killed"] and any(k.startswith("op") for k in res["killed"])
    assert "Mismatches: %1d in %1d samples" in job["test"] and "final begin" in job["test"]
    const = "module k(input [3:0] a, output [3:0] y);\n  assign y = 4'd0 & a;\nendmodule\n"
    res, _ = _problem(const, "k")
    assert not res["ok"] and "survives" in res["reason"]


def test_testbench_detects_active_low_async_reset():
    from data_pipeline import problems as P

    ports = [{"name": "clk", "dir": "input", "width": 1}, {"name": "rst_n", "dir": "input", "width": 1},
             {"name": "q", "dir": "output", "width": 4}]
    tb = P.testbench(ports, 10, 1)
    assert "rst_n = 1'b0;" in tb and "initial forever #5 clk = ~clk;" in tb and ".clk(clk)" in tb


def test_decontamination_reads_the_rtllm_v2_nested_layout(tmp_path):
    """RTLLM v2 is held out, but its layout (Category/Subcategory/design with spaces) must load."""
    from eval.contamination import Decontaminator, load_benchmark_texts

    d = tmp_path / "rtllm2" / "Arithmetic" / "Adder Units" / "adder_8bit"
    d.mkdir(parents=True)
    ref = ("module adder_8bit(input [7:0] a, input [7:0] b, input cin, output [7:0] sum, output cout);\n"
           "  assign {cout, sum} = a + b + cin;\nendmodule\n")
    (d / "verified_adder_8bit.v").write_text(ref)
    (d / "design_description.txt").write_text("Please act as a professional verilog designer. Implement an 8-bit "
                                              "adder with carry in and carry out using full adders.")
    (d / "testbench.v").write_text("module tb; reg [7:0] a, b; reg cin; wire [7:0] s; wire c;\n"
                                   "adder_8bit uut(.a(a), .b(b), .cin(cin), .sum(s), .cout(c));\nendmodule\n")
    texts = load_benchmark_texts({"rtllm-v2": str(tmp_path / "rtllm2")})
    ids = sorted(t.id for t in texts)
    assert len(ids) == 2 and ids[0].startswith("rtllm-v2/") and ids[0].endswith("adder_8bit/prompt")
    assert ids[1].endswith("adder_8bit/reference")
    dc = Decontaminator(texts)
    assert dc.check(ref.replace("adder_8bit", "my_add8"))["bench"].endswith("adder_8bit/reference")


def test_license_spellings_from_the_corpus_normalise():
    from data_pipeline.config import PERMISSIVE
    from data_pipeline.licenses import normalise_id

    assert normalise_id("Apache2.0") == "Apache-2.0"
    assert normalise_id("ISC License (ISCL)") == "ISC"
    assert "BSD-2-Clause-Views" in PERMISSIVE and "GPL-3.0" not in PERMISSIVE
