"""Stage 3: exact and near-duplicate removal.

Exact: the code with comments and whitespace removed, hashed. Near: MinHash over 5-token
shingles (datasketch's permutation scheme) and LSH banding at Jaccard ≥ threshold (0.8), with the
estimated Jaccard checked again for every LSH candidate. Input order decides which copy survives, so the caller
sorts by quality first and the best-documented copy is kept.
"""

from __future__ import annotations

import zlib

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from data_pipeline.util import code_tokens, sha, strip_comments

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def shingles(code: str, k: int) -> set[bytes]:
    toks = code_tokens(strip_comments(code))
    if len(toks) <= k:
        return {" ".join(toks).encode()}
    return {" ".join(toks[i:i + k]).encode() for i in range(len(toks) - k + 1)}


def minhash(code: str, num_perm: int, k: int) -> MinHash:
    """A datasketch MinHash (the reference implementation; `Signer` computes the same kind of
    signature faster)."""
    mh = MinHash(num_perm=num_perm, seed=1)
    mh.update_batch(list(shingles(code, k)))
    return mh


class Signer:
    """MinHash signatures with datasketch's permutations (seed 1), computed in one vectorised numpy
    pass per module: tokens hash once (CRC32, memoised), 5-token shingles hash as a polynomial over
    a sliding window, then 64 multiply-shift hash functions (seeded from datasketch's permutation
    parameters) and the minimum. The same MinHash estimator as `datasketch.MinHash`, several times
    faster than its SHA-1 per shingle."""

    def __init__(self, num_perm: int, k: int):
        ref = MinHash(num_perm=num_perm, seed=1)  # datasketch's seeded parameters, made odd 64-bit
        a, b = (np.asarray(x, dtype=np.uint64) for x in ref.permutations)
        self.a = (a * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
        self.b = b * np.uint64(0xC2B2AE3D27D4EB4F)
        self.k = k
        self.weights = np.array([(0x9E3779B97F4A7C15 * (j + 1)) & 0xFFFFFFFFFFFFFFFF for j in range(k)], dtype=np.uint64)
        self.memo: dict[str, int] = {}

    def tokens(self, code: str) -> list[str]:
        return code_tokens(strip_comments(code))

    def __call__(self, toks: list[str]) -> np.ndarray:
        memo = self.memo
        ids = np.fromiter((memo[t] if t in memo else memo.setdefault(t, zlib.crc32(t.encode())) for t in toks),
                          dtype=np.uint64, count=len(toks))
        if len(ids) < self.k:
            ids = np.concatenate([ids, np.zeros(self.k - len(ids), dtype=np.uint64)])
        win = np.lib.stride_tricks.sliding_window_view(ids, self.k)
        hv = ((win * self.weights).sum(axis=1) >> np.uint64(29)) & _MAX_HASH
        # multiply-shift universal hashing (wrap-around uint64 arithmetic, no modulo)
        phv = (hv[None, :] * self.a[:, None] + self.b[:, None]) >> np.uint64(32)
        return phv.min(axis=1)


def exact_key(code: str) -> str:
    return sha(" ".join(code_tokens(strip_comments(code))), 24)


def dedup(items: list[dict], threshold: float = 0.8, num_perm: int = 64, k: int = 5) -> tuple[list[dict], dict]:
    """(kept items, {dropped id: (reason, kept id it duplicates)}).

    LSH banding uses datasketch's optimal (bands, rows) for the threshold; every candidate pair
    is confirmed by its estimated Jaccard (share of equal signature slots) ≥ threshold.
    """
    dropped: dict[str, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    stage1 = []
    sign = Signer(num_perm, k)
    toks_of: dict[str, list[str]] = {}
    for it in items:
        toks = sign.tokens(it["code"])
        key = sha(" ".join(toks), 24)
        if key in seen:
            dropped[it["id"]] = ("exact duplicate", seen[key])
        else:
            seen[key] = it["id"]
            stage1.append(it)
            toks_of[it["id"]] = toks
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    tables: list[dict[bytes, list[int]]] = [dict() for _ in range(bands)]
    sigs: list[np.ndarray] = []
    ids: list[str] = []
    kept = []
    for it in stage1:
        sig = sign(toks_of[it["id"]])
        keys = [sig[b * rows:(b + 1) * rows].tobytes() for b in range(bands)]
        dup_of = None
        cands = {j for b, key in enumerate(keys) for j in tables[b].get(key, ())}
        for j in sorted(cands):
            if float(np.mean(sigs[j] == sig)) >= threshold:
                dup_of = ids[j]
                break
        if dup_of:
            dropped[it["id"]] = ("near duplicate", dup_of)
            continue
        idx = len(sigs)
        sigs.append(sig)
        ids.append(it["id"])
        for b, key in enumerate(keys):
            tables[b].setdefault(key, []).append(idx)
        kept.append(it)
    return kept, dropped
