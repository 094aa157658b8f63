"""Stage 3: exact and near-duplicate removal.

Exact: the code with comments and whitespace removed, hashed. Near: MinHash over 5-token
shingles and an LSH index (`datasketch`) at Jaccard ≥ threshold (0.8), with the estimated Jaccard
checked again for every LSH candidate. Input order decides which copy survives, so the caller
sorts by quality first and the best-documented copy is kept.
"""

from __future__ import annotations

from datasketch import MinHash, MinHashLSH

from data_pipeline.util import code_tokens, sha, strip_comments


def shingles(code: str, k: int) -> set[bytes]:
    toks = code_tokens(strip_comments(code))
    if len(toks) <= k:
        return {" ".join(toks).encode()}
    return {" ".join(toks[i:i + k]).encode() for i in range(len(toks) - k + 1)}


def minhash(code: str, num_perm: int, k: int) -> MinHash:
    mh = MinHash(num_perm=num_perm, seed=1)
    mh.update_batch(list(shingles(code, k)))
    return mh


def exact_key(code: str) -> str:
    return sha(" ".join(code_tokens(strip_comments(code))), 24)


def dedup(items: list[dict], threshold: float = 0.8, num_perm: int = 64, k: int = 5) -> tuple[list[dict], dict]:
    """(kept items, {dropped id: (reason, kept id it duplicates)})."""
    dropped: dict[str, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    stage1 = []
    for it in items:
        key = exact_key(it["code"])
        if key in seen:
            dropped[it["id"]] = ("exact duplicate", seen[key])
        else:
            seen[key] = it["id"]
            stage1.append(it)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes: dict[str, MinHash] = {}
    kept = []
    for it in stage1:
        mh = minhash(it["code"], num_perm, k)
        dup_of = None
        for cand in lsh.query(mh):
            if hashes[cand].jaccard(mh) >= threshold:
                dup_of = cand
                break
        if dup_of:
            dropped[it["id"]] = ("near duplicate", dup_of)
            continue
        lsh.insert(it["id"], mh)
        hashes[it["id"]] = mh
        kept.append(it)
    return kept, dropped
