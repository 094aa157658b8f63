"""Precomputed retrieval contexts (rag_index.contexts, scripts/rag_contexts.py) with real FAISS and the
packaged MiniLM on the RAG fixtures: the file carries exactly what `rtlgen eval --rag` would put in the
prompt, round-trips, refuses stale or foreign benchmark copies, and the audit catches a leaked reference."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eval.benchmarks import get_benchmark
from eval.errors import UserError
from rag_index.contexts import context_rows, load_contexts, prompt_sha, write_contexts
from rag_index.decontam import DecontamConfig
from rag_index.embed import Embedder
from rag_index.index import BuildConfig, build_index
from rag_index.retriever import load_retriever

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "fixtures" / "rag"
BENCH = f"local:{FIX / 'bench'}"


@pytest.fixture(scope="module")
def index_path(tmp_path_factory):
    emb = Embedder("default", cache_dir=tmp_path_factory.mktemp("embcache"))
    cfg = BuildConfig(decontam=DecontamConfig(benchmarks=[BENCH]))
    idx = build_index([FIX / "data"], cfg, embedder=emb, progress=False)
    path = tmp_path_factory.mktemp("idx") / "index"
    idx.save(path)
    return path


@pytest.fixture(scope="module")
def tasks():
    return get_benchmark(BENCH).load()


def test_rows_are_what_eval_rag_puts_in_the_prompt(index_path, tasks, tmp_path):
    from rtlgen.generate import load_rag  # the loader rtlgen eval --rag uses

    r = load_rag(str(index_path))
    rows = context_rows(r, "local-fx", list(tasks.values()))
    assert [row["task_id"] for row in rows] == list(tasks)
    for row in rows:
        t = tasks[row["task_id"]]
        assert row["context"] == r.context_for_spec(t.prompt)
        assert "## Reference designs" in row["context"]
        assert row["prompt_sha"] == prompt_sha(t.prompt)
    write_contexts(tmp_path / "c.jsonl", rows, {"rag_manifest": r.manifest})
    table = load_contexts(tmp_path / "c.jsonl")
    assert len(table) == len(rows)
    assert table.manifest["rag_manifest"]["corpus_hash"] == r.manifest["corpus_hash"]
    got = table.for_tasks("local-fx", list(tasks.values()))
    assert got == {row["task_id"]: row["context"] for row in rows}
    assert table.as_dict()[("local-fx", rows[0]["task_id"])] == rows[0]["context"]


def test_stale_missing_and_bad_files_are_refused(tasks, tmp_path):
    t = next(iter(tasks.values()))
    write_contexts(tmp_path / "c.jsonl", [{"benchmark": "b", "task_id": t.task_id,
                                           "prompt_sha": prompt_sha(t.prompt + " changed"), "context": "x"}])
    table = load_contexts(tmp_path / "c.jsonl")
    with pytest.raises(UserError, match="differ"):
        table.for_tasks("b", [t])
    with pytest.raises(UserError, match="no context"):
        table.for_tasks("other", [t])
    (tmp_path / "bad.jsonl").write_text('{"benchmark": "b", "task_id": 3}\n')
    with pytest.raises(UserError, match="needs string"):
        load_contexts(tmp_path / "bad.jsonl")
    (tmp_path / "torn.jsonl").write_text('{"benchmark": "b", "task_id"\n')
    with pytest.raises(UserError, match="not valid JSON"):
        load_contexts(tmp_path / "torn.jsonl")
    with pytest.raises(UserError, match="not found"):
        load_contexts(tmp_path / "nope.jsonl")


def test_script_end_to_end_and_audit_catches_a_leak(index_path, tasks, tmp_path):
    out = tmp_path / "ctx.jsonl"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "rag_contexts.py"), "--index", str(index_path),
                           "--bench-root", str(tmp_path / "no-bench-here"), "--benches", BENCH, "--out", str(out),
                           "--k-examples", "1", "--token-budget", "400"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = load_contexts(out)
    m = table.manifest
    assert m["rag_manifest"]["retrieval"]["example_top_k"] == 1
    assert m["rag_manifest"]["retrieval"]["example_token_budget"] + m["rag_manifest"]["retrieval"]["knowledge_token_budget"] == 400
    # the fixture index dropped fx11 (the benchmark reference renamed): nothing in the prompt leaks it
    assert m["audit"]["flagged"] == 0
    assert m["audit"]["max_rouge_l_own_reference_code_block"]["rouge_l"] < 0.5

    # the audit itself must see a leak: put the reference into a context and audit that
    sys.path.insert(0, str(REPO / "scripts"))
    from rag_contexts import audit

    t = next(iter(tasks.values()))
    leaked = [{"benchmark": BENCH, "task_id": t.task_id,
               "context": f"## Reference designs\n\n### Example 1: x\n```verilog\n{t.reference}\n```"}]
    res = audit(leaked, {(BENCH, t.task_id): t}, {BENCH: None}, lambda: None)
    assert res["flagged"] == 1
    assert res["max_rouge_l_own_reference_code_block"]["rouge_l"] > 0.99


def test_script_rejects_unknown_benchmark(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "rag_contexts.py"), "--index", str(tmp_path),
                           "--benches", "nosuch", "--out", str(tmp_path / "o.jsonl")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown benchmark" in proc.stderr and "Traceback" not in proc.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)
