"""RAG building blocks without the embedding model: BM25 against rank_bm25, FAISS index types,
decontamination rules, the CLI's error path."""

from __future__ import annotations

import numpy as np
import pytest

from eval.errors import UserError
from rag_index.bm25 import BM25, tokenize
from rag_index.decontam import code_tokens, shingles
from rag_index.retriever import clean_error
from rag_index.vectors import AnnParams, VectorIndex, choose_type, ivf_nlist

DOCS = [
    "module counter(input clk, input rst, output reg [3:0] q); always @(posedge clk) q <= q + 1; endmodule",
    "A FIFO with full and empty flags and a write enable wr_en",
    "Moore state machine with asynchronous active-low reset rst_n",
    "gray code counter crossing clock domains with a synchroniser",
    "priority encoder for an eight bit request vector",
    "counter counter counter with enable",
    "uart transmitter start bit stop bit baud tick",
]


def test_bm25_matches_rank_bm25():
    from rank_bm25 import BM25Okapi

    ours = BM25()
    ours.add(DOCS[:4])
    ours.add(DOCS[4:])  # incremental add must give the same scores as one build
    ref = BM25Okapi([tokenize(d) for d in DOCS])
    for q in ("counter with enable", "fifo full empty wr_en", "reset rst_n counter", "nothing matches zz"):
        assert np.allclose(ours.scores(q), ref.get_scores(tokenize(q)), atol=1e-5), q
    ids, _ = ours.top("counter with enable", 3)
    assert ids[0] == 5


def test_bm25_save_load(tmp_path):
    b = BM25()
    b.add(DOCS)
    b.save(tmp_path / "x.bm25")
    c = BM25.load(tmp_path / "x.bm25")
    assert np.allclose(b.scores("state machine reset"), c.scores("state machine reset"))


def test_tokenize_splits_identifiers():
    assert tokenize("wr_en dataValid") == ["wr_en", "wr", "en", "datavalid", "data", "valid"]


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_ann_indexes_agree_with_exact(kind):
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(50, 64)).astype(np.float32)
    x = centers[rng.integers(0, 50, 4000)] + 0.3 * rng.normal(size=(4000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    flat = VectorIndex(64, AnnParams(index_type="flat"))
    flat.build(x)
    ann = VectorIndex(64, AnnParams(index_type=kind, ivf_nprobe=8))
    ann.build(x)
    assert ann.described["type"] == kind
    q = x[:200] + 0.05 * rng.normal(size=(200, 64)).astype(np.float32)
    agree = np.mean([flat.search(v, 1)[0][0] == ann.search(v, 1)[0][0] for v in q])
    assert agree >= 0.9


def test_auto_switches_to_ann_when_growing():
    p = AnnParams(ann_threshold=300, ann_kind="ivf", ivf_nlist=16)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    vi = VectorIndex(16, p)
    vi.build(x[:200])
    assert vi.kind == "flat"
    vi.add(x[200:])
    assert vi.kind == "ivf" and vi.ntotal == 400
    assert np.allclose(vi.vectors(), x, atol=1e-6)
    assert choose_type(10, AnnParams()) == "flat" and choose_type(10**6, AnnParams()) == "hnsw"
    assert ivf_nlist(100_000, AnnParams()) == 1024
    with pytest.raises(UserError):
        choose_type(10, AnnParams(index_type="lsh"))


def test_decontam_tokens_ignore_names_comments_and_case():
    a = "// hi\nmodule TopModule(input a, output y); assign y = ~a; endmodule"
    b = "module inv_gate (input a, output y);\n  /* note */ assign y = ~a;\nendmodule"
    assert code_tokens(a) == code_tokens(b)
    assert shingles(code_tokens(a), 10) == shingles(code_tokens(b), 10)


def test_clean_error_drops_paths_and_lines():
    q = clean_error("/tmp/run/x_sample.sv:12: error: Unknown module type: foo\n%Error: a.v:3:5: Can't find definition of variable: 'b'")
    assert "x_sample" not in q and ":12:" not in q and "Unknown module type: foo" in q and "'b'" in q


def test_cli_reports_bad_index_in_one_line(tmp_path, capsys):
    from rtlgen.cli import main

    assert main(["rag", "info", str(tmp_path)]) == 2
    assert "not an rtlgen RAG index" in capsys.readouterr().err
