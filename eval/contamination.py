"""Benchmark contamination: how close a text is to any benchmark's prompt, reference or description.

It lives in `eval` because it is knowledge about the benchmarks, and because three packages apply the
same rule and must not drift apart: the data pipeline drops training texts with it, `rag_index`
drops index snippets with it (a retrieved snippet lands verbatim in a prompt), and audits
(`rtlgen data audit`, `scripts/rag_contexts.py`) re-check finished outputs with it. `eval` imports
nothing of ours, so all of them can depend on it without importing sideways.

Benchmarks are read through `eval.benchmarks.get_benchmark(name, path).load()`, so every layout
the harness supports (VerilogEval v1/v2, RTLLM v1.1 and v2's nested folders, local suites) is
covered. Each task contributes its prompt, its reference and (v1) its description.

A text is contaminated when
  * Rouge-L F1 (LCS over lower-cased tokens) with any benchmark text is ≥ 0.5 (CodeV-R1's rule), or
  * ≥ 50% of a benchmark text's 10-token n-grams occur in it (a solution pasted inside a larger
    file, which Rouge-L's length normalisation would miss); only benchmark texts of ≥ 50 tokens
    take part, so a one-line `assign` cannot knock out half the corpus.

Rouge-L is exact, not estimated: a multiset-overlap bound (LCS ≤ Σ min counts) prunes pairs that
cannot reach the threshold, vectorised over all benchmark texts with numpy, and the surviving
pairs get a bit-parallel LCS (Hyyrö), so the check is both complete and fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from eval.benchmarks import DEFAULT_DIRS, HELD_OUT
from eval.errors import UserError

# The benchmarks decontamination checks by default, with their folder under the benchmark directory
# ($RTLGEN_BENCH_DIR or /work/bench). RTLLM v2 is a held-out test set this project never reads.
DEFAULT_BENCHMARKS: dict[str, str] = {name: folder for name, folder in DEFAULT_DIRS.items() if name not in HELD_OUT}

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")


def word_tokens(text: str) -> list[str]:
    """Lower-cased tokens that compare prose and code alike (identifiers, numbers, single symbols)."""
    return [t.lower() for t in _WORD.findall(text)]


@dataclass
class BenchText:
    id: str  # "<bench>/<task>/<field>"
    tokens: list[str]


def load_benchmark_texts(benchmarks: dict, required: bool = True) -> list[BenchText]:
    """Every prompt, reference and description of `benchmarks` ({name: path or None}) as tokens.

    With `required=False` a benchmark that cannot be loaded (not on this machine) is skipped; the
    caller reports which ones it checked."""
    from eval.benchmarks import get_benchmark

    texts: list[BenchText] = []
    for name, path in benchmarks.items():
        try:
            tasks = get_benchmark(name, path).load()
        except UserError:
            if required:
                raise
            continue
        for tid, t in tasks.items():
            fields = {"prompt": t.prompt, "reference": t.reference}
            if t.meta.get("description"):
                fields["description"] = t.meta["description"]
            for f, txt in fields.items():
                if txt and txt.strip():
                    texts.append(BenchText(f"{name}/{tid}/{f}", word_tokens(txt)))
    return texts


def lcs_len(a: list[int], b: list[int]) -> int:
    """Length of the longest common subsequence, bit-parallel over b (Hyyrö 2004)."""
    if not a or not b:
        return 0
    masks: dict[int, int] = {}
    for i, t in enumerate(b):
        masks[t] = masks.get(t, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for t in a:
        m = masks.get(t)
        if m is None:
            continue
        u = v & m
        v = ((v + u) | (v - u)) & full
    return len(b) - bin(v).count("1")


def rouge_l(a: list[str], b: list[str]) -> float:
    """Rouge-L F1 of two token lists (0.0 when either is empty)."""
    vocab: dict[str, int] = {}
    ai = [vocab.setdefault(t, len(vocab)) for t in a]
    bi = [vocab.setdefault(t, len(vocab)) for t in b]
    if not ai or not bi:
        return 0.0
    return 2 * lcs_len(ai, bi) / (len(ai) + len(bi))


class Decontaminator:
    """The rule above over a fixed set of benchmark texts, indexed once for many `check` calls."""

    def __init__(self, bench: list[BenchText], rouge_threshold=0.5, ngram=10, ngram_threshold=0.5, ngram_min_tokens=50):
        self.bench = bench
        self.rt, self.n, self.nt = rouge_threshold, ngram, ngram_threshold
        self.vocab: dict[str, int] = {}
        for b in bench:
            for t in b.tokens:
                self.vocab.setdefault(t, len(self.vocab))
        self.ids = [[self.vocab[t] for t in b.tokens] for b in bench]
        self.lens = np.array([len(x) for x in self.ids], dtype=np.int64)
        self.counts = np.zeros((len(bench), max(1, len(self.vocab))), dtype=np.int32)
        for i, ids in enumerate(self.ids):
            np.add.at(self.counts[i], ids, 1)
        self.grams: dict[tuple, list[int]] = {}
        self.gram_total = np.zeros(len(bench), dtype=np.int64)
        for i, ids in enumerate(self.ids):
            if len(ids) < max(ngram_min_tokens, ngram):
                continue
            gs = {tuple(ids[j:j + ngram]) for j in range(len(ids) - ngram + 1)}
            self.gram_total[i] = len(gs)
            for g in gs:
                self.grams.setdefault(g, []).append(i)

    def check(self, text: str) -> dict | None:
        """The worst match ({'bench', 'metric', 'score'}) when the text must go, else None."""
        if not self.bench:
            return None
        toks = word_tokens(text)
        if not toks:
            return None
        ids = [self.vocab.get(t, -1) for t in toks]
        # n-gram containment of benchmark texts in this text
        if self.grams and len(ids) >= self.n:
            hits: dict[int, int] = {}
            seen = set()
            for j in range(len(ids) - self.n + 1):
                g = tuple(ids[j:j + self.n])
                if -1 in g or g in seen:
                    continue
                seen.add(g)
                for i in self.grams.get(g, ()):
                    hits[i] = hits.get(i, 0) + 1
            best = max(hits.items(), key=lambda kv: kv[1] / self.gram_total[kv[0]], default=None)
            if best and best[1] / self.gram_total[best[0]] >= self.nt:
                return {"bench": self.bench[best[0]].id, "metric": "ngram", "score": round(best[1] / float(self.gram_total[best[0]]), 3)}
        # Rouge-L: prune with LCS <= sum(min(counts)) and the length bound, then exact LCS
        m = len(ids)
        need = self.rt * (m + self.lens) / 2.0  # LCS needed for F1 >= rt
        possible = np.minimum(self.lens, m) >= need
        if not possible.any():
            return None
        known = np.array([i for i in ids if i >= 0], dtype=np.int64)
        if known.size == 0:
            return None
        uniq, cnt = np.unique(known, return_counts=True)
        cand = np.nonzero(possible)[0]
        inter = np.minimum(self.counts[np.ix_(cand, uniq)], cnt[None, :]).sum(axis=1)
        cand = cand[inter >= need[cand]]
        best = None
        for i in cand:
            lcs = lcs_len(ids, self.ids[i])
            f = 2 * lcs / (m + self.lens[i])
            if f >= self.rt and (best is None or f > best[1]):
                best = (i, f)
        if best:
            return {"bench": self.bench[best[0]].id, "metric": "rouge-l", "score": round(float(best[1]), 3)}
        return None

    def max_rouge(self, text: str) -> tuple[str | None, float]:
        """Exact maximum Rouge-L over all benchmark texts (for audits and tests)."""
        toks = word_tokens(text)
        ids = [self.vocab.get(t, -1) for t in toks]
        best, where = 0.0, None
        for i, b in enumerate(self.ids):
            f = 2 * lcs_len(ids, b) / (len(ids) + len(b)) if ids and b else 0.0
            if f > best:
                best, where = f, self.bench[i].id
        return where, best
