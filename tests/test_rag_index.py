"""RAG index end to end with real FAISS and the real packaged MiniLM on fixture snippets.

Fixtures (tests/fixtures/rag/): 12 small design modules with descriptions, one of which is the
fixture benchmark's reference renamed and re-commented (it must be dropped), one knowledge row, and a
one-problem benchmark in the VerilogEval v2 layout used as the decontamination reference.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval.errors import UserError
from rag_index.decontam import DecontamConfig
from rag_index.embed import Embedder
from rag_index.index import BuildConfig, build_index, load_index, read_manifest
from rag_index.retriever import RetrieveConfig, Retriever, approx_tokens, load_retriever
from rag_index.store import Snippet, load_modules

FIX = Path(__file__).parent / "fixtures" / "rag"
BENCH = f"local:{FIX / 'bench'}"
CONTAMINATED = "fx11"


def cfg(**kw) -> BuildConfig:
    c = BuildConfig(decontam=DecontamConfig(benchmarks=[BENCH]))
    for k, v in kw.items():
        setattr(c, k, v)
    return c


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("embcache")


@pytest.fixture(scope="module")
def embedder(cache_dir):
    return Embedder("default", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def built(embedder, tmp_path_factory):
    idx = build_index([FIX / "data"], cfg(), embedder=embedder, progress=False)
    path = tmp_path_factory.mktemp("idx") / "index"
    idx.save(path)
    return idx, path


@pytest.fixture(scope="module")
def modules():
    return {s.id: s for s in load_modules(FIX / "data" / "modules.jsonl")}


def test_own_description_retrieves_own_module_first(built, modules):
    idx, _ = built
    r = Retriever(idx)
    for sid, s in modules.items():
        if sid == CONTAMINATED:
            continue
        for mode in ("hybrid", "dense", "bm25"):
            hits = r.search(s.text, "example", 3, mode=mode)
            assert hits[0].snippet.id == sid, (mode, s.name, [h.snippet.name for h in hits])


@pytest.mark.parametrize("spec,expected", [
    ("Design a FIFO queue with sixteen entries that flags when it is full or empty", "sync_fifo"),
    ("Serial transmitter for RS-232 style asynchronous communication, one start and one stop bit", "uart_tx"),
    ("Output a single-cycle strobe when the input goes from low to high", "edge_detect"),
    ("stoplight controller cycling through its colours", "traffic_fsm"),
])
def test_paraphrased_spec_finds_the_design(built, spec, expected):
    r = Retriever(built[0])
    assert r.examples(spec, 1)[0].snippet.name == expected


def test_contaminated_snippet_is_dropped_and_never_retrieved(built, modules):
    idx, path = built
    r = Retriever(idx)
    stored = {s.id for s in idx.parts["example"].snippets}
    assert CONTAMINATED not in stored and len(stored) == len(modules) - 1
    bad = modules[CONTAMINATED]
    for mode in ("hybrid", "dense", "bm25"):
        for q in (bad.text, bad.code, "parity of sixteen bits with xor tree even odd"):
            assert all(h.snippet.id != CONTAMINATED for h in r.search(q, "example", 50, mode=mode))
    m = read_manifest(path)
    assert m["dropped"]["contaminated"] == 1
    assert "Prob001_parity_tree" in m["dropped_examples"][0]["why"]
    assert m["decontamination"]["benchmarks_checked"] == [BENCH]


def test_save_load_round_trip(built, embedder):
    idx, path = built
    loaded = load_index(path, embedder)
    m = read_manifest(path)
    assert m["counts"] == {"example": 11, "knowledge": len(loaded.parts["knowledge"].snippets)}
    assert m["counts"]["knowledge"] > 30  # built-in design notes plus the fixture row
    assert m["dim"] == 384 and m["indexes"]["example"]["type"] == "flat"
    assert m["corpus_hash"] == idx.corpus_hash() == loaded.corpus_hash()
    a, b = Retriever(idx), Retriever(loaded)
    for q in ("counter with enable", "l-value error on a wire", "gray code"):
        for kind in ("example", "knowledge"):
            ha, hb = a.search(q, kind, 5), b.search(q, kind, 5)
            assert [h.snippet.id for h in ha] == [h.snippet.id for h in hb]
            assert np.allclose([h.score for h in ha], [h.score for h in hb])


def test_load_retriever_interface(built):
    _, path = built
    r = load_retriever(path, overrides=["example_top_k=2", "example_token_budget=400"])
    ctx = r.context_for_spec("A FIFO buffer with full and empty flags and a reset")
    assert "module sync_fifo" in ctx and "Apache-2.0" in ctx
    ex_part = ctx.split("## Design notes")[0]
    assert approx_tokens(ex_part) <= 400 + 10
    err = r.context_for_error("a.v:2: error: q is not a valid l-value in t.\na.v:1:      : q is declared here as wire.")
    assert err.startswith("## Notes on this kind of error") and "output reg" in err
    m = r.manifest
    assert m["embedder"]["dim"] == 384 and "probe" not in m["embedder"] and m["retrieval"]["example_top_k"] == 2
    json.dumps(m)  # it goes into eval summaries


def test_budget_skips_examples_too_long_and_never_cuts_one(built):
    spec = "synchronous FIFO with full and empty flags"
    roomy = Retriever(built[0], RetrieveConfig(example_top_k=1, example_token_budget=5000, knowledge_top_k=0))
    first = roomy.examples(spec, k=1)[0].snippet
    need = approx_tokens(roomy.context_for_spec(spec))
    tight = Retriever(built[0], RetrieveConfig(example_top_k=1, example_token_budget=need - 1, knowledge_top_k=0))
    ctx = tight.context_for_spec(spec)
    assert approx_tokens(ctx) <= need - 1 and "(truncated)" not in ctx
    # the best hit no longer fits whole, so a smaller next-ranked example takes its place (or none)
    assert first.code.strip() not in ctx
    for code in re.findall(r"```verilog\n(.*?)\n```", ctx, re.S):
        assert code.rstrip().endswith("endmodule")


def test_mismatched_embedder_is_refused(built, tmp_path):
    _, path = built
    # a real but different sentence-transformers model: a tiny random BERT built offline
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from rag_index.embed import packaged_model_dir

    raw = tmp_path / "tiny-bert"
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(raw)
    BertTokenizerFast.from_pretrained(packaged_model_dir()).save_pretrained(raw)
    word = models.Transformer(str(raw))
    tiny = tmp_path / "tiny-st"
    SentenceTransformer(modules=[word, models.Pooling(32)]).save(str(tiny))
    with pytest.raises(UserError, match="built with embedder 'default'"):
        load_retriever(path, embedder=str(tiny))
    # same dimension, different weights: a manifest whose probe disagrees is refused too
    other = tmp_path / "other"
    shutil.copytree(path, other)
    m = json.loads((other / "manifest.json").read_text())
    m["embedder"]["probe"] = list(np.roll(np.asarray(m["embedder"]["probe"]), 7))
    (other / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(UserError, match="gives different embeddings"):
        load_retriever(other)


def test_incremental_add_without_rebuild(built, embedder, tmp_path):
    _, path = built
    work = tmp_path / "index"
    shutil.copytree(path, work)
    idx = load_index(work, embedder)
    before = idx.parts["example"].vectors.vectors().copy()
    new = Snippet(id="new1", kind="example", name="pwm_gen",
                  text="A pulse-width modulation generator with an 8-bit duty cycle register.",
                  code="module pwm_gen(input clk, input [7:0] duty, output pwm);\n  reg [7:0] c;\n"
                       "  always @(posedge clk) c <= c + 1;\n  assign pwm = c < duty;\nendmodule\n",
                  source="x/y@1:pwm.v", license="MIT")
    stats = idx.add([new, new], progress=False)
    assert stats == {"added": 1, "contaminated": 0, "duplicate": 1, "too_long": 0}
    again = idx.add(load_modules(FIX / "data" / "modules.jsonl"), progress=False)
    assert again["added"] == 0 and again["duplicate"] == 11 and again["contaminated"] == 1
    idx.save(work)
    r = load_retriever(work)
    assert r.manifest["counts"]["example"] == 12
    assert r.examples("PWM output with programmable duty cycle", 1)[0].snippet.id == "new1"
    after = r.index.parts["example"].vectors.vectors()
    assert np.array_equal(after[:len(before)], before)  # old rows untouched


def test_embedding_cache_reuses_vectors(embedder):
    texts = ["module a; endmodule", "a completely different sentence about FIFOs"]
    first = embedder.encode(texts)
    assert embedder.cache is not None
    keys = embedder.cache.db.execute("SELECT COUNT(*) FROM emb").fetchone()[0]
    second = embedder.encode(texts)
    assert np.array_equal(first, second)
    assert embedder.cache.db.execute("SELECT COUNT(*) FROM emb").fetchone()[0] == keys
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_bad_inputs_are_user_errors(tmp_path, embedder):
    bad = tmp_path / "d"
    bad.mkdir()
    (bad / "modules.jsonl").write_text('{"id": "x", "code": "module x; endmodule"}\nnot json\n')
    with pytest.raises(UserError, match=r"modules.jsonl:2: not valid JSON"):
        build_index([bad], cfg(), embedder=embedder, progress=False)
    with pytest.raises(UserError, match="does not exist"):
        build_index([tmp_path / "missing"], cfg(), embedder=embedder, progress=False)
    with pytest.raises(UserError, match="not an rtlgen RAG index"):
        load_retriever(tmp_path)
    with pytest.raises(UserError, match="held-out"):
        build_index([], cfg(decontam=DecontamConfig(benchmarks=["rtllm-v2"])), embedder=embedder, progress=False)
