"""Embedder fine-tune (`rag_index.embedder_tune`, `rtlgen rag tune-embedder`): a tiny real run of the
packaged MiniLM with sentence-transformers on fixture pairs from several repos.

Checks what the tune must guarantee: the held-out split never shares a repo with training, the
weights really change, the saved folder loads through the index's embedder loading and builds a
working index, an index built with the base embedder refuses it, the before/after report is written
with the shared retrieval measurement, and a user's folder is never overwritten.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.errors import UserError
from rag_index.embedder_tune import (CARD, TuneConfig, load_pairs, mine_hard_negatives, pair_texts, repo_of, run,
                                     split_by_repo)
from rag_index.store import Snippet

FIX = Path(__file__).parent / "fixtures" / "rag"
REPOS = ["acme/cores", "acme/periph", "beta/dsp", "gamma/misc"]


def _extra_modules() -> list[dict]:
    """Small real Verilog designs with descriptions, beside the 11 clean RAG fixture modules."""
    out = []
    for w in (4, 12, 16):
        out.append({"name": f"down_counter{w}", "description": f"A {w}-bit down counter with asynchronous "
                    f"active-low reset that loads a start value and counts towards zero.",
                    "code": f"module down_counter{w}(input clk, input rst_n, input load, input [{w - 1}:0] d,\n"
                            f"  output reg [{w - 1}:0] q);\n  always @(posedge clk or negedge rst_n)\n"
                            f"    if (!rst_n) q <= 0;\n    else if (load) q <= d;\n    else if (q != 0) q <= q - 1;\nendmodule\n"})
    for n in (2, 3):
        out.append({"name": f"decoder{n}", "description": f"A {n}-to-{2 ** n} one-hot decoder with an enable input.",
                    "code": f"module decoder{n}(input en, input [{n - 1}:0] a, output [{2 ** n - 1}:0] y);\n"
                            f"  assign y = en ? ({2 ** n}'d1 << a) : {2 ** n}'d0;\nendmodule\n"})
    out.append({"name": "cmp8", "description": "Compares two unsigned 8-bit numbers and flags less, equal and greater.",
                "code": "module cmp8(input [7:0] a, input [7:0] b, output lt, output eq, output gt);\n"
                        "  assign lt = a < b;\n  assign eq = a == b;\n  assign gt = a > b;\nendmodule\n"})
    out.append({"name": "pwm8", "description": "An 8-bit pulse width modulator: the output is high while a free "
                "running counter is below the duty cycle input.",
                "code": "module pwm8(input clk, input rst, input [7:0] duty, output pwm);\n  reg [7:0] c;\n"
                        "  always @(posedge clk) c <= rst ? 8'd0 : c + 8'd1;\n  assign pwm = c < duty;\nendmodule\n"})
    out.append({"name": "dff_en", "description": "A 32-bit register with clock enable and synchronous clear.",
                "code": "module dff_en(input clk, input clr, input en, input [31:0] d, output reg [31:0] q);\n"
                        "  always @(posedge clk) if (clr) q <= 0; else if (en) q <= d;\nendmodule\n"})
    return out


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    rows = [json.loads(line) for line in (FIX / "data" / "modules.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["id"] != "fx11"]  # the fixture benchmark's look-alike: never train on it
    rows += [dict(r, id=f"ex{i:02d}") for i, r in enumerate(_extra_modules())]
    for i, r in enumerate(rows):
        r.update(repo=REPOS[i % len(REPOS)], commit="1" * 40, path=f"rtl/{r['name']}.v", license="MIT")
    path = tmp_path_factory.mktemp("tune-data") / "modules.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def tuned(data_file, tmp_path_factory):
    work = tmp_path_factory.mktemp("tune")
    cfg = TuneConfig(data=str(data_file), out=str(work / "model"), holdout_fraction=0.25, seed=1, max_train_pairs=0,
                     batch_size=4, learning_rate=3e-4, warmup_ratio=0.0, train_max_seq_length=64, threads=1,
                     eval_dev=2, eval_test=2, eval_distractors=6, cache_dir=str(work / "cache"),
                     report=str(work / "report" / "recall.json"))
    report = run(cfg, command="pytest", progress=False)
    return cfg, report, work


def test_split_by_repo_never_shares_a_repo(data_file):
    pairs = load_pairs(data_file)
    assert len(pairs) == 19 and all(p.text for p in pairs)
    train, held, held_repos = split_by_repo(pairs, 0.25, seed=1)
    assert {repo_of(s) for s in held} == set(held_repos)
    assert not {repo_of(s) for s in train} & set(held_repos)
    assert len(train) + len(held) == len(pairs) and 0 < len(held) <= 0.25 * 1.25 * len(pairs)
    assert split_by_repo(pairs, 0.25, seed=1)[2] == held_repos  # seeded
    with pytest.raises(UserError, match="at least 2 repositories"):
        split_by_repo(load_pairs(FIX / "data"), 0.2, seed=0)  # every fixture row is rtlgen/fixtures
    with pytest.raises(UserError, match="holdout_fraction"):
        split_by_repo(pairs, 1.5, seed=0)


def test_positive_is_what_the_index_embeds_and_negatives_are_other_modules(data_file):
    pairs = load_pairs(data_file)
    anchor, positive = pair_texts(pairs[0])
    assert anchor == pairs[0].text and positive == pairs[0].code.strip()
    assert positive == Snippet(id="x", kind="example", text="", code=pairs[0].code).dense_text()
    negs = mine_hard_negatives(pairs, pairs, progress=False)
    positives = [pair_texts(p)[1] for p in pairs]
    assert all(n != own and n in positives for n, own in zip(negs, positives))
    # each is the module the index's BM25 ranks first for the description, once the module itself is skipped
    from rag_index.bm25 import BM25

    bm = BM25()
    bm.add([Snippet(id=p.id, kind="example", text="", code=p.code).lexical_text() for p in pairs])
    for p, neg in zip(pairs, negs):
        ids, _ = bm.top(p.text, 5)
        others = [int(i) for i in ids if pairs[int(i)].id != p.id]
        # (a description sharing no word with any other module falls back to the first other module)
        assert neg == positives[others[0] if others else next(j for j, o in enumerate(pairs) if o.id != p.id)]


def test_weights_change_and_model_loads_as_embedder(tuned):
    cfg, report, _ = tuned
    from safetensors.numpy import load_file

    from rag_index.embed import Embedder, packaged_model_dir

    out = Path(cfg.out)
    card = json.loads((out / CARD).read_text())
    assert card["steps"] == report["train"]["steps"] >= 3 and len(card["losses"]) == card["steps"]
    assert card["held_out_repos"] == report["split"]["held_out_repos"]
    base_w, new_w = load_file(packaged_model_dir() / "model.safetensors"), load_file(out / "model.safetensors")
    changed = [k for k in base_w if k in new_w and not np.array_equal(base_w[k], new_w[k])]
    assert len(changed) > len(base_w) // 2
    emb = Embedder(str(out), cache_dir=Path(cfg.cache_dir))
    assert emb.dim == 384 and emb.model.max_seq_length == 256  # the index's truncation, not training's 64
    base = Embedder("default", cache_dir=Path(cfg.cache_dir))
    assert emb.key != base.key


def test_tuned_embedder_builds_an_index_and_a_base_index_refuses_it(tuned, tmp_path):
    cfg, _, _ = tuned
    from rag_index.decontam import DecontamConfig
    from rag_index.index import BuildConfig, build_index, load_index
    from rag_index.retriever import RetrieveConfig, Retriever

    bc = BuildConfig(builtin_knowledge=False, cache_dir=cfg.cache_dir, decontam=DecontamConfig(benchmarks=[]))
    base_idx = build_index([FIX / "data"], bc, progress=False)
    base_idx.save(tmp_path / "base")
    with pytest.raises(UserError, match="built with embedder 'default'.*gives different embeddings"):
        load_index(tmp_path / "base", embedder_spec=cfg.out)

    bc.embedder = cfg.out
    idx = build_index([FIX / "data"], bc, progress=False)
    idx.save(tmp_path / "tuned")
    again = load_index(tmp_path / "tuned")  # the manifest names the tuned folder; it loads and matches
    assert again.embedder.key == idx.embedder.key
    fifo = next(s for s in again.parts["example"].snippets if s.name == "sync_fifo")
    hits = Retriever(again, RetrieveConfig(example_mode="dense")).search(fifo.text, "example", 3)
    assert hits[0].snippet.id == fifo.id


def test_report_compares_base_and_tuned_on_the_same_queries(tuned):
    cfg, report, _ = tuned
    m = report["measurement"]
    assert m["base_index_refuses_tuned"] and m["probe_cosine_base_vs_tuned"] < 0.99
    for label in ("base", "tuned"):
        assert (m[label]["dev_pairs"], m[label]["test_pairs"], m[label]["index_size"]) == (2, 2, 10)
    assert m["base"]["test"]["bm25"] == m["tuned"]["test"]["bm25"]  # same index texts and queries
    assert m["base"]["embedder"] != m["tuned"]["embedder"]
    saved = json.loads(Path(cfg.report).read_text())
    assert saved["measurement"]["tuned"]["test"] == m["tuned"]["test"]
    md = Path(cfg.report).with_suffix(".md").read_text()
    assert "| dense | tuned |" in md and "| dense | base |" in md and "refuses the tuned one" in md


def test_never_overwrites_a_user_folder(data_file, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    cfg = TuneConfig(data=str(data_file), out=str(user), evaluate=False)
    with pytest.raises(UserError, match="refusing to overwrite"):
        run(cfg, progress=False)
    assert (user / "notes.txt").read_text() == "keep me" and len(list(user.iterdir())) == 1


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    from rtlgen.cli import main

    assert main(["rag", "tune-embedder", "--out", str(tmp_path / "m"), "--data", str(tmp_path / "none.jsonl")]) == 2
    assert "tune data" in capsys.readouterr().err
    assert main(["rag", "tune-embedder", "--out", str(tmp_path / "m"), "batch_sise=8"]) == 2
    assert "did you mean batch_size" in capsys.readouterr().err
