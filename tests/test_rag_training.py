"""Retrieval-augmented round-2 rows: index rows of the benchmarks' grain from instruction pairs, and
contexts attached to training rows that never show a row its own design (real FAISS, packaged MiniLM)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rag_index.decontam import DecontamConfig
from rag_index.embed import Embedder
from rag_index.index import BuildConfig, build_index
from rag_index.retriever import RetrieveConfig, Retriever
from rag_index.training import attach_contexts, examples_from_pairs, pair_design

REPO = Path(__file__).resolve().parents[1]


def _pairs() -> list[dict]:
    rows = []
    for w in (4, 8, 16):
        rows.append({"kind": "code-complete", "family": "adder", "id": f"add{w}",
                     "prompt": f"Complete the module below.\n\ns is the sum of the {w}-bit inputs a and b.\n\n"
                               f"module TopModule (\n  input [{w-1}:0] a,\n  input [{w-1}:0] b,\n  output [{w-1}:0] s\n);\n",
                     "completion": "  assign s = a + b;\nendmodule\n"})
        rows.append({"kind": "spec-to-rtl", "family": "counter", "id": f"cnt{w}",
                     "prompt": f"A {w}-bit counter q that increments on every rising clock edge and clears on reset.",
                     "completion": f"module TopModule (input clk, input reset, output reg [{w-1}:0] q);\n"
                                   f"  always @(posedge clk) q <= reset ? {w}'d0 : q + 1'b1;\nendmodule"})
    rows.append(dict(rows[0]))  # an exact duplicate pair: indexed once
    rows.append({"kind": "code-complete", "prompt": "No header in this prompt.", "completion": "assign y = a;"})
    return rows


def test_examples_are_whole_modules_with_prose_descriptions():
    ex = examples_from_pairs(_pairs(), source="procedural")
    assert len(ex) == 6  # 3 adders + 3 counters; duplicate and headerless rows dropped
    add4 = next(e for e in ex if e["path"] == "add4")
    assert add4["description"] == "s is the sum of the 4-bit inputs a and b."
    assert add4["code"].startswith("module TopModule (") and add4["code"].rstrip().endswith("endmodule")
    assert "assign s = a + b;" in add4["code"] and add4["license"] == "Apache-2.0"
    assert pair_design({"kind": "code-complete", "prompt": "x", "completion": "y"}) is None


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    d = tmp_path_factory.mktemp("ragtrain")
    rows = _pairs()
    (d / "ex.jsonl").write_text("".join(json.dumps(e) + "\n" for e in examples_from_pairs(rows, source="procedural")))
    idx = build_index([d / "ex.jsonl"], BuildConfig(builtin_knowledge=False, decontam=DecontamConfig(benchmarks=[])),
                      embedder=Embedder("default", cache_dir=d / "cache"), progress=False)
    return Retriever(idx, RetrieveConfig(example_top_k=1, example_token_budget=400, knowledge_top_k=0, mode="bm25"))


def test_contexts_hold_out_the_rows_own_design(retriever):
    rows = [r for r in _pairs()[:6]]
    counts = attach_contexts(rows, retriever, fraction=1.0, seed=0)
    assert counts["with_context"] == 6 and counts["excluded_near_copies"] >= 6
    for r in rows:
        ctx = r["context"]
        assert "Reference designs" in ctx
        own = pair_design(r)[1]
        assert own.strip() not in ctx, f"{r['id']} sees its own design"
    # other widths of the same tiny adder are near copies (Rouge-L >= 0.5) and are held out too, as
    # decontamination holds them out of the index for a benchmark task: the context is another design
    from eval.contamination import rouge_l, word_tokens

    for r in rows:
        for code in re.findall(r"```verilog\n(.*?)\n```", r["context"], re.S):
            assert rouge_l(word_tokens(code), word_tokens(pair_design(r)[1])) < 0.5
    add8 = next(r for r in rows if r["id"] == "add8")
    assert "a + b" not in add8["context"] and "always @(posedge clk)" in add8["context"]


def test_fraction_is_seeded_and_partial(retriever):
    a, b = [dict(r) for r in _pairs()[:6]], [dict(r) for r in _pairs()[:6]]
    ca = attach_contexts(a, retriever, fraction=0.5, seed=3)
    attach_contexts(b, retriever, fraction=0.5, seed=3)
    assert [("context" in r) for r in a] == [("context" in r) for r in b]
    assert 0 < ca["picked"] < 6


def test_bundle_attaches_contexts(tmp_path, retriever):
    (tmp_path / "r2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _pairs()[:6]))
    retriever.index.save(tmp_path / "index")
    out = tmp_path / "b" / "default"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "make_train_bundle.py"), "--round2",
                           str(tmp_path / "r2.jsonl"), "--out", str(out), "--rag-index", str(tmp_path / "index"),
                           "--rag-fraction", "1.0", "--rag-set", "example_top_k=1", "--rag-set", "knowledge_top_k=0",
                           "--rag-set", "mode=bm25"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in (out / "round2.jsonl").read_text().splitlines()]
    assert all("Reference designs" in r["context"] for r in rows)
    info = json.loads((out / "bundle.json").read_text())
    assert info["rag"]["with_context"] == 6 and info["rag"]["overrides"][0] == "example_top_k=1"


def test_index_decontam_drops_small_modules_close_by_rouge_l():
    """A short module has too few 10-grams for the n-gram rule, but Rouge-L (the rule training data
    obeys) catches it: the index build must drop it."""
    from rag_index.decontam import Decontaminator
    from rag_index.store import Snippet

    fix = Path(__file__).parent / "fixtures" / "rag" / "bench"
    dc = Decontaminator(DecontamConfig(benchmarks=[f"local:{fix}"]))
    near = Snippet(id="near", kind="example", text="", name="TopModule", source="t", license="MIT",
                   code="module TopModule (\n  input [15:0] d,\n  output e,\n  output o\n);\n"
                        "  wire [7:0] a = d[15:8] ^ d[7:0];\n  wire [3:0] b = a[7:4] ^ a[3:0];\n"
                        "  assign o = ^b;\n  assign e = ~o;\nendmodule\n")
    far = Snippet(id="far", kind="example", text="", name="TopModule", source="t", license="MIT",
                  code="module TopModule (input clk, input rst, output reg [3:0] q);\n"
                       "  always @(posedge clk) q <= rst ? 4'd0 : q + 4'd1;\nendmodule\n")
    assert dc.check(near) and "rouge-l" in dc.check(near)
    assert dc.check(far) is None
