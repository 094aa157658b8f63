"""Retrieval quality of the example retriever on held-out (description -> own module) pairs:
recall@1/5/10 and MRR@10 for BM25, dense and hybrid, the hybrid fusion tuned on a dev split and
reported on a disjoint test split.

This is the one measurement behind `scripts/eval_retrieval.py` (corpus or benchmark pairs) and the
embedder fine-tune's before/after comparison (`rag_index.embedder_tune`), kept here so both call the
same code and their numbers compare.

Held-out protocol: the index holds every given snippet, but the snippets whose pairs are evaluated
are indexed by their code only, without their description; the query is that description, and the
hit is the module's own row. (Querying a description that is itself in the index would measure
string matching, not retrieval.) Other snippets keep their descriptions, as in a production index,
so they compete as distractors.

Tuning: per query the two candidate lists come from `Retriever.candidates` (the production code path,
`candidates` per side) and every fusion setting is scored with `rag_index.retriever.fuse`, the
function `Retriever.search` uses: fusion rrf and score, dense weight w in 0, 0.05, ..., 1. The setting
with the best dev MRR@10 (ties: higher dev recall@10, then w nearer 0.5) is reported on test next to
BM25, dense and plain RRF (w = 0.5); the test split plays no part in the choice. A check re-runs
`Retriever.search` with the chosen setting on test queries and asserts the same ranks.
"""

from __future__ import annotations

import time

from rag_index.store import Snippet

WEIGHTS = [round(i * 0.05, 2) for i in range(21)]


def metrics(ranks: list[int | None]) -> dict:
    n = max(len(ranks), 1)
    return {"recall@1": round(sum(1 for x in ranks if x and x <= 1) / n, 4),
            "recall@5": round(sum(1 for x in ranks if x and x <= 5) / n, 4),
            "recall@10": round(sum(1 for x in ranks if x and x <= 10) / n, 4),
            "mrr@10": round(sum(1 / x for x in ranks if x and x <= 10) / n, 4), "queries": len(ranks)}


def rank_of(scores: dict[int, float], target: int) -> int | None:
    """1-based rank of `target` in the order Retriever.search uses (score desc, then row id)."""
    if target not in scores:
        return None
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return order.index(target) + 1


def held_out_quality(pairs: list[Snippet], dev_ids: list[int], test_ids: list[int], emb, *,
                     candidates: int = 50, rrf_k: int = 60, progress: bool = True) -> dict:
    """Index `pairs` (those at `dev_ids`/`test_ids` by code only) with embedder `emb` (a
    `rag_index.embed.Embedder`), query each held-out description and score BM25, dense and hybrid.
    Returns the report fields (everything but the caller's command and corpora)."""
    from rich.progress import track

    from rag_index.decontam import DecontamConfig
    from rag_index.index import BuildConfig, RagIndex
    from rag_index.retriever import RetrieveConfig, Retriever, fuse

    held = set(dev_ids) | set(test_ids)
    docs = [Snippet(id=s.id, kind="example", text="" if i in held else s.text, code=s.code, name="",
                    source=s.source, license=s.license) for i, s in enumerate(pairs)]
    cfg = BuildConfig(builtin_knowledge=False, max_code_chars=10**9, decontam=DecontamConfig(benchmarks=[]))
    idx = RagIndex(emb, cfg)
    t0 = time.perf_counter()
    stats = idx.add(docs, progress=progress)
    build_s = time.perf_counter() - t0
    row_of = {s.id: n for n, s in enumerate(idx.parts["example"].snippets)}
    r = Retriever(idx, RetrieveConfig(candidates=candidates, rrf_k=rrf_k))

    def collect(ids: list[int], label: str) -> list[tuple[str, int, dict, dict]]:
        out = []
        for i in track(ids, description=f"retrieving {label}", transient=True, disable=not progress):
            if pairs[i].id not in row_of:  # exact duplicate code dropped by the index
                continue
            q = pairs[i].text
            dense, lex = r.candidates(q, "example", candidates, mode="hybrid", qvec=emb.encode_query(q))
            out.append((q, row_of[pairs[i].id], dense, lex))
        return out

    t0 = time.perf_counter()
    dev, test = collect(dev_ids, "dev"), collect(test_ids, "test")
    query_s = (time.perf_counter() - t0) / max(len(dev) + len(test), 1)

    def evaluate(split, how: str, fusion: str = "rrf", w: float = 0.5) -> dict:
        ranks = []
        for _, target, dense, lex in split:
            if how == "bm25":
                scores = {i: s for i, (_, s) in lex.items()}
            elif how == "dense":
                scores = {i: s for i, (_, s) in dense.items()}
            else:
                scores = fuse(dense, lex, fusion=fusion, dense_weight=w, rrf_k=rrf_k)
            ranks.append(rank_of(scores, target))
        return metrics(ranks)

    grid = {f"{fusion} w={w}": evaluate(dev, "hybrid", fusion, w) for fusion in ("rrf", "score") for w in WEIGHTS}
    best_key = max(grid, key=lambda k: (grid[k]["mrr@10"], grid[k]["recall@10"],
                                        -abs(float(k.split("=")[1]) - 0.5)))
    best_fusion, best_w = best_key.split(" w=")[0], float(best_key.split("=")[1])
    results = {"bm25": evaluate(test, "bm25"), "dense": evaluate(test, "dense"),
               "hybrid rrf w=0.5 (plain RRF)": evaluate(test, "hybrid", "rrf", 0.5),
               f"hybrid {best_key} (tuned on dev)": evaluate(test, "hybrid", best_fusion, best_w)}
    dev_results = {"bm25": evaluate(dev, "bm25"), "dense": evaluate(dev, "dense"), "hybrid grid": grid}

    # the production path must rank exactly as the offline fusion did
    # (example_mode too: examples default to BM25 alone, which would skip the fusion being checked)
    tuned = Retriever(idx, RetrieveConfig(example_mode="hybrid", mode="hybrid", fusion=best_fusion, dense_weight=best_w,
                                          candidates=candidates, rrf_k=rrf_k))
    for q, target, dense, lex in test[:20]:
        hits = tuned.search(q, "example", 10)
        got = next((n for n, h in enumerate(hits, 1) if row_of[h.snippet.id] == target), None)
        want = rank_of(fuse(dense, lex, fusion=best_fusion, dense_weight=best_w, rrf_k=rrf_k), target)
        assert got == (want if want and want <= 10 else None), (got, want)

    return {"index_size": len(row_of), "dev_pairs": len(dev), "test_pairs": len(test),
            "dropped_duplicates": stats["duplicate"], "embedder": emb.info()["name"],
            "candidates_per_side": candidates, "rrf_k": rrf_k, "build_s": round(build_s, 2),
            "seconds_per_query_both_sides": round(query_s, 4),
            "tuned": {"fusion": best_fusion, "dense_weight": best_w, "dev": grid[best_key]},
            "test": results, "dev": dev_results}
