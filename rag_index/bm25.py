"""BM25 over a sparse term matrix: the lexical half of hybrid retrieval.

`rank_bm25.BM25Okapi` scores every document in a Python loop over query terms with dense arrays and
cannot be saved or grown; at 100k snippets that is tens of milliseconds and a full rebuild per add.
This keeps the same Okapi formula (same idf with its epsilon floor, k1, b; scores agree with
rank_bm25 to float precision, which a test checks) on a scipy CSC matrix of precomputed term weights:
a query touches only its own columns. Term counts are kept so an incremental add only appends rows
and recomputes the weights (vectorised, milliseconds).

Tokens: lower-cased identifiers and numbers; snake_case identifiers also yield their parts
(`wr_en` -> `wr_en`, `wr`, `en`) and camelCase is split, so `dataValid` meets `data valid`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
STOP = frozenset("a an the of to in on for and or is are be by with as at this that it its from into "
                 "should will shall when which where while then than there their these those has have "
                 "was were can could would may must not no if else do does".split())


def tokenize(text: str) -> list[str]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        camel = _CAMEL.split(word)
        low = word.lower()
        if low in STOP:
            continue
        out.append(low)
        parts = [p for piece in camel for p in piece.lower().split("_") if p]
        if len(parts) > 1:
            out.extend(p for p in parts if p not in STOP)
    return out


class BM25:
    def __init__(self, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25):
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.vocab: dict[str, int] = {}
        self.tf = sp.csr_matrix((0, 0), dtype=np.float32)
        self.weights = sp.csc_matrix((0, 0), dtype=np.float32)
        self.idf = np.zeros(0, dtype=np.float32)

    @property
    def n_docs(self) -> int:
        return self.tf.shape[0]

    def add(self, texts: list[str]) -> None:
        """Append documents (already-present ones keep their row numbers)."""
        rows, cols, vals = [], [], []
        for i, text in enumerate(texts):
            counts: dict[int, int] = {}
            for tok in tokenize(text):
                j = self.vocab.setdefault(tok, len(self.vocab))
                counts[j] = counts.get(j, 0) + 1
            rows.extend([i] * len(counts))
            cols.extend(counts.keys())
            vals.extend(counts.values())
        new = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                            shape=(len(texts), len(self.vocab)))
        old = self.tf
        if old.shape[1] < len(self.vocab):
            old = sp.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], len(self.vocab)))
        self.tf = sp.vstack([old, new], format="csr") if old.shape[0] else new
        self._reweight()

    def _reweight(self) -> None:
        n = self.n_docs
        if n == 0:
            return
        tf = self.tf.tocoo()
        doc_len = np.asarray(self.tf.sum(axis=1)).ravel()
        avgdl = float(doc_len.mean()) or 1.0
        df = np.bincount(tf.col, minlength=self.tf.shape[1]).astype(np.float64)
        idf = np.log(n - df + 0.5) - np.log(df + 0.5)
        present = df > 0
        avg_idf = float(idf[present].mean()) if present.any() else 0.0
        idf[(idf < 0) & present] = self.epsilon * avg_idf  # rank_bm25's floor for very common terms
        idf[~present] = 0.0
        self.idf = idf.astype(np.float32)
        denom = tf.data + self.k1 * (1 - self.b + self.b * doc_len[tf.row] / avgdl)
        w = tf.data * (self.k1 + 1) / denom
        self.weights = sp.csc_matrix((w.astype(np.float32), (tf.row, tf.col)), shape=self.tf.shape)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document (rank_bm25's `get_scores` semantics: repeated terms count again)."""
        q: dict[int, int] = {}
        for tok in tokenize(query):
            j = self.vocab.get(tok)
            if j is not None:
                q[j] = q.get(j, 0) + 1
        if not q or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        cols = np.fromiter(q.keys(), dtype=np.int64)
        coef = self.idf[cols] * np.fromiter(q.values(), dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ coef).ravel()

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, scores) of the k best documents with a positive score, best first."""
        s = self.scores(query)
        k = min(k, int((s > 0).sum()))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.argpartition(-s, k - 1)[:k]
        idx = idx[np.argsort(-s[idx], kind="stable")]
        return idx, s[idx]

    def save(self, path: Path) -> None:
        sp.save_npz(str(path) + ".npz", self.tf)
        Path(str(path) + ".json").write_text(json.dumps({"k1": self.k1, "b": self.b, "epsilon": self.epsilon,
                                                         "vocab": list(self.vocab)}))

    @classmethod
    def load(cls, path: Path) -> "BM25":
        meta = json.loads(Path(str(path) + ".json").read_text())
        self = cls(meta["k1"], meta["b"], meta["epsilon"])
        self.vocab = {t: i for i, t in enumerate(meta["vocab"])}
        self.tf = sp.load_npz(str(path) + ".npz").tocsr().astype(np.float32)
        self._reweight()
        return self


def idf_reference(n: int, df: int) -> float:
    """Okapi idf before the epsilon floor (documentation and tests)."""
    return math.log(n - df + 0.5) - math.log(df + 0.5)
