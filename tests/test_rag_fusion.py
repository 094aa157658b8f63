"""Hybrid fusion (`rag_index.retriever.fuse`): the weight moves the ranking between the two sides, w = 0.5
with rrf is plain reciprocal-rank fusion, and bad settings are refused."""

from __future__ import annotations

import pytest

from eval.errors import UserError
from rag_index.retriever import RetrieveConfig, Retriever, fuse


def order(scores):
    return sorted(scores, key=lambda i: (-scores[i], i))


DENSE = {1: (0, 0.9), 2: (1, 0.8), 3: (2, 0.1)}  # row: (rank, cosine)
LEX = {3: (0, 30.0), 2: (1, 2.0), 4: (2, 1.0)}  # row: (rank, bm25)


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_weight_moves_between_sides(fusion):
    assert order(fuse(DENSE, LEX, fusion=fusion, dense_weight=1.0))[:2] == [1, 2]
    assert order(fuse(DENSE, LEX, fusion=fusion, dense_weight=0.0))[:2] == [3, 2]


def test_half_weight_rrf_is_plain_rrf():
    k = 60
    plain = {}
    for side in (DENSE, LEX):
        for i, (r, _) in side.items():
            plain[i] = plain.get(i, 0.0) + 1 / (k + r + 1)
    got = fuse(DENSE, LEX, fusion="rrf", dense_weight=0.5, rrf_k=k)
    assert order(got) == order(plain) and all(abs(got[i] - plain[i] / 2) < 1e-12 for i in plain)


def test_score_fusion_uses_magnitudes_not_ranks():
    # cosines 1 > 2 > 3 by a hair, BM25 prefers row 3 by a mile: score fusion at equal weight picks 3
    # with a wide margin (rank fusion would see only "first vs third")
    dense = {1: (0, 0.52), 2: (1, 0.51), 3: (2, 0.50), 5: (3, 0.10)}
    s = fuse(dense, LEX, fusion="score", dense_weight=0.5)
    assert order(s)[0] == 3 and s[3] > s[1] + 0.4


def test_bad_settings_are_user_errors():
    with pytest.raises(UserError, match="fusion"):
        fuse(DENSE, LEX, fusion="max")
    with pytest.raises(UserError, match="fusion"):
        Retriever(index=None, cfg=RetrieveConfig(fusion="max"))
    with pytest.raises(UserError, match="dense_weight"):
        Retriever(index=None, cfg=RetrieveConfig(dense_weight=1.5))
