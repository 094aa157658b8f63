"""Retrieval for generation: the example retriever (spec -> similar designs) and the knowledge
retriever (spec or compiler error -> design notes), as in AutoVCoder, each with its own top-k and
prompt token budget.

Ranking is hybrid by default: the dense (FAISS) and BM25 candidate lists are fused, either by
weighted reciprocal rank (`fusion=rrf`: score = w/(rrf_k + dense rank) + (1-w)/(rrf_k + BM25 rank)),
which needs no score calibration between the two, or by weighted min-max-normalised scores
(`fusion=score`: w * cosine' + (1-w) * bm25', each scaled to [0, 1] over its own candidate list).
`dense_weight` is w; 0.5 with rrf is plain RRF. Compiler errors are mostly identifiers, where BM25
wins; paraphrased specs are where embeddings win. `mode` selects dense, bm25 or hybrid; `rerank` adds an
optional second stage over the fused candidates:
- `chunks`: re-score each example by the best cosine over ~1k-char chunks of its code, with the
  same embedder, because MiniLM reads only the first 256 word pieces of a snippet;
- `cross-encoder:<model id or path>`: a sentence-transformers CrossEncoder scores (query, snippet).

Entry point for the generator: `load_retriever(path)` -> `Retriever` with `context_for_spec`,
`context_for_error` and `manifest`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eval.errors import UserError
from rag_index.index import RagIndex, load_index
from rag_index.store import Snippet


@dataclass
class RetrieveConfig:
    """Retrieval settings; override through `load_retriever(path, overrides=["example_top_k=3"])`."""

    # Examples rank by BM25 alone: on 300 held-out (description -> own module) test pairs of the real
    # corpus BM25 has MRR@10 0.495 vs dense 0.287 and plain RRF 0.379, and the fusion weight tuned on a
    # disjoint dev split is w = 0 (results/rag/retrieval_hybrid.json). Knowledge (spec or compiler error
    # -> prose) keeps hybrid: there paraphrase matters and it is unmeasured.
    example_mode: str = "bm25"  # hybrid | dense | bm25, for the example retriever
    mode: str = "hybrid"  # hybrid | dense | bm25, for knowledge and error queries
    fusion: str = "rrf"  # rrf | score (hybrid only)
    dense_weight: float = 0.5  # w of the fusion; 1 - w goes to BM25
    rrf_k: int = 60
    candidates: int = 50  # per side, before fusion
    rerank: str = "none"  # none | chunks | cross-encoder:<model>
    example_top_k: int = 2
    example_token_budget: int = 1500
    example_min_cosine: float = 0.0  # skip examples whose dense cosine is below this (dense/hybrid only)
    knowledge_top_k: int = 3
    knowledge_token_budget: int = 500
    error_top_k: int = 3
    error_token_budget: int = 600


@dataclass
class Hit:
    snippet: Snippet
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    cosine: float | None = None
    extra: dict = field(default_factory=dict)


_PIECE = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")


def approx_tokens(text: str) -> int:
    """Token estimate without the generator's tokenizer: code BPEs give about one token per word or
    symbol piece, prose about four characters per token; take the larger so budgets err on the short side."""
    return max(len(_PIECE.findall(text)), math.ceil(len(text) / 4))


def fuse(dense: dict[int, tuple[int, float]], lex: dict[int, tuple[int, float]], *, fusion: str = "rrf",
         dense_weight: float = 0.5, rrf_k: int = 60) -> dict[int, float]:
    """Hybrid score of every candidate from the dense {row: (rank, cosine)} and BM25 {row: (rank, score)}
    lists (ranks from 0). A candidate missing from one list gets nothing from that side."""
    w = float(dense_weight)
    scores: dict[int, float] = {}
    if fusion == "rrf":
        for side, weight in ((dense, w), (lex, 1.0 - w)):
            for i, (r, _) in side.items():
                scores[i] = scores.get(i, 0.0) + weight / (rrf_k + r + 1)
        return scores
    if fusion != "score":
        raise UserError(f"fusion must be rrf or score, not {fusion!r}")
    for side, weight in ((dense, w), (lex, 1.0 - w)):
        if not side:
            continue
        vals = [v for _, v in side.values()]
        lo, hi = min(vals), max(vals)
        for i, (_, v) in side.items():
            scores[i] = scores.get(i, 0.0) + weight * ((v - lo) / (hi - lo) if hi > lo else 1.0)
    return scores


def clean_error(text: str) -> str:
    """Compiler output -> a query: paths and line numbers carry no meaning for retrieval."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"(?:[\w./\\-]+\.(?:s?v|vh|svh|sv))?:\d+(?::\d+)?:", " ", line)
        line = re.sub(r"%(?:Error|Warning)(-[A-Z0-9_]+)?:", lambda m: f"{m.group(0)} ", line)
        line = line.strip()
        if line and line not in lines:
            lines.append(line)
    return "\n".join(lines)[:2000]


class Retriever:
    def __init__(self, index: RagIndex, cfg: RetrieveConfig | None = None, token_counter=None):
        self.index = index
        self.cfg = cfg or RetrieveConfig()
        for m in (self.cfg.mode, self.cfg.example_mode):
            if m not in ("hybrid", "dense", "bm25"):
                raise UserError(f"retrieval mode must be hybrid, dense or bm25, not {m!r}")
        if self.cfg.fusion not in ("rrf", "score"):
            raise UserError(f"fusion must be rrf or score, not {self.cfg.fusion!r}")
        if not 0.0 <= self.cfg.dense_weight <= 1.0:
            raise UserError(f"dense_weight must lie in [0, 1], not {self.cfg.dense_weight}")
        self.count_tokens = token_counter or approx_tokens
        self._cross = None
        if self.cfg.rerank.startswith("cross-encoder:"):
            self._load_cross(self.cfg.rerank.split(":", 1)[1])
        elif self.cfg.rerank not in ("none", "chunks"):
            raise UserError(f"rerank must be none, chunks or cross-encoder:<model>, not {self.cfg.rerank!r}")

    @property
    def manifest(self) -> dict:
        """The index manifest plus the retrieval settings, for eval summaries."""
        m = {k: v for k, v in self.index.manifest.items() if k not in ("dropped_examples",)}
        emb = dict(m.get("embedder", {}))
        emb.pop("probe", None)
        m["embedder"] = emb
        m["retrieval"] = dict(self.cfg.__dict__)
        return m

    def _load_cross(self, model: str) -> None:
        from rag_index.embed import resolve_model

        try:
            from sentence_transformers import CrossEncoder

            self._cross = CrossEncoder(resolve_model(model), device="cpu")
        except Exception as exc:
            raise UserError(f"cannot load reranker {model!r}: {str(exc).splitlines()[0][:300]}") from None

    # -- ranking ------------------------------------------------------------------------------

    def search(self, query: str, kind: str = "example", k: int = 5, mode: str | None = None,
               rerank: str | None = None, qvec: np.ndarray | None = None) -> list[Hit]:
        """Top-k snippets of `kind` for `query`."""
        if kind not in self.index.parts:
            raise UserError(f"kind must be one of {list(self.index.parts)}, not {kind!r}")
        part = self.index.parts[kind]
        mode = mode or (self.cfg.example_mode if kind == "example" else self.cfg.mode)
        rerank = self.cfg.rerank if rerank is None else rerank
        if not part.snippets or k <= 0 or not query.strip():
            return []
        n = max(self.cfg.candidates, k)
        if qvec is None and (mode in ("dense", "hybrid") or rerank != "none"):
            qvec = self.index.embedder.encode_query(query)
        dense, lex = self.candidates(query, kind, n, mode=mode, qvec=qvec, need_dense=rerank != "none")
        if mode == "hybrid":
            scores = fuse(dense, lex, fusion=self.cfg.fusion, dense_weight=self.cfg.dense_weight,
                          rrf_k=self.cfg.rrf_k)
        else:
            scores = {i: s for i, (_, s) in (dense if mode == "dense" else lex).items()}
        order = sorted(scores, key=lambda i: (-scores[i], i))
        hits = [Hit(part.snippets[i], scores[i], dense.get(i, (None,))[0], lex.get(i, (None,))[0],
                    dense.get(i, (None, None))[1]) for i in order]
        if rerank != "none" and hits:
            hits = self._rerank(query, qvec, hits[:n], rerank)
        return hits[:k]

    def candidates(self, query: str, kind: str, n: int, *, mode: str, qvec: np.ndarray | None = None,
                   need_dense: bool = False) -> tuple[dict, dict]:
        """The two candidate lists before fusion: dense {row: (rank, cosine)}, BM25 {row: (rank, score)}
        (each empty when `mode` does not use it)."""
        part = self.index.parts[kind]
        dense: dict[int, tuple[int, float]] = {}
        lex: dict[int, tuple[int, float]] = {}
        if mode in ("dense", "hybrid") or need_dense:
            if qvec is None:
                qvec = self.index.embedder.encode_query(query)
            ids, sims = part.vectors.search(qvec, n)
            dense = {int(i): (r, float(s)) for r, (i, s) in enumerate(zip(ids, sims))}
        if mode in ("bm25", "hybrid"):
            ids, sc = part.bm25.top(query, n)
            lex = {int(i): (r, float(s)) for r, (i, s) in enumerate(zip(ids, sc))}
        return dense, lex

    def _rerank(self, query: str, qvec: np.ndarray, hits: list[Hit], how: str) -> list[Hit]:
        if how == "chunks":
            for h in hits:
                text = h.snippet.dense_text()
                chunks = [text[i:i + 1000] for i in range(0, min(len(text), 8000), 800)] or [text]
                vecs = self.index.embedder.encode(chunks)
                h.extra["rerank"] = float((vecs @ qvec.ravel()).max())
        else:
            pairs = [(query, h.snippet.dense_text()[:2000]) for h in hits]
            for h, s in zip(hits, self._cross.predict(pairs, show_progress_bar=False)):
                h.extra["rerank"] = float(s)
        return sorted(hits, key=lambda h: -h.extra["rerank"])

    # -- prompt text ----------------------------------------------------------------------------

    def _needs_qvec(self) -> bool:
        return bool({self.cfg.mode, self.cfg.example_mode} & {"dense", "hybrid"}) or self.cfg.rerank != "none"

    def examples(self, spec: str, k: int | None = None, qvec: np.ndarray | None = None) -> list[Hit]:
        hits = self.search(spec, "example", k or self.cfg.example_top_k, qvec=qvec)
        if self.cfg.example_min_cosine > 0:
            hits = [h for h in hits if h.cosine is None or h.cosine >= self.cfg.example_min_cosine]
        return hits

    def knowledge(self, text: str, k: int | None = None, qvec: np.ndarray | None = None) -> list[Hit]:
        return self.search(text, "knowledge", k or self.cfg.knowledge_top_k, qvec=qvec)

    def _fit(self, items, budget: int, header: str, render=None, limit: int | None = None) -> str:
        """Header plus whole blocks in rank order while they fit in `budget` tokens (at most `limit`).
        `render(n, item)` makes the n-th kept block (default: the item is the block's text); `items`
        may be lazy and is pulled only until `limit` blocks are kept, so an exclusion filter upstream
        runs on few candidates. A block too long for what is left is skipped, never cut: a cut-off
        module is neither a design the index decontaminated (a fragment of a long module can sit closer
        to a short benchmark reference than the whole did: 31 of 1,236 pieces flagged by the audit
        were such cuts) nor a useful example for a small model."""
        out, used = [], self.count_tokens(header)
        for item in items:
            if limit is not None and len(out) >= limit:
                break
            b = render(len(out) + 1, item) if render else item
            t = self.count_tokens(b)
            if used + t <= budget:
                out.append(b)
                used += t
        return header + "\n\n".join(out) if out else ""

    @staticmethod
    def _cite(s: Snippet) -> str:
        return f"{s.source or 'unknown source'}, license {s.license or 'unknown'}"

    def _example_block(self, n: int, s: Snippet) -> str:
        desc = f"Description: {s.text.strip()}\n" if s.text.strip() else ""
        return f"### Example {n}: {s.name or s.id} ({self._cite(s)})\n{desc}```verilog\n{s.code.strip()}\n```"

    @staticmethod
    def _note_blocks(hits: list[Hit]) -> list[str]:
        blocks = []
        for h in hits:
            s = h.snippet
            text = s.text.strip()
            if s.name and text.startswith(s.name):
                text = text[len(s.name):].strip()
            title = s.name or s.source
            blocks.append(f"- {title}: {text}" if title else f"- {text}")
        return blocks

    def context_for_spec(self, spec: str, exclude=None) -> str:
        """Retrieved similar designs and design notes as prompt text, each part within its token
        budget; empty when nothing relevant is indexed.

        `exclude(snippet) -> bool` drops example candidates before the top-k is taken. Training uses it
        to hold a row's own design (and near copies of it) out of that row's context, as decontamination
        holds benchmark solutions out of the index: the model learns to adapt an example, not to copy it."""
        parts = []
        # one query embedding for both retrievers (it is most of the per-spec cost on a CPU)
        qvec = self.index.embedder.encode_query(spec) if spec.strip() and self._needs_qvec() else None
        k = self.cfg.example_top_k
        # more candidates than k: examples too long for the budget are skipped, the next ones tried
        hits = self.examples(spec, qvec=qvec, k=max(self.cfg.candidates, k) if k > 0 else 0)
        if exclude is not None:  # lazily: the predicate may be costly
            hits = (h for h in hits if not exclude(h.snippet))
        ex = self._fit(hits, self.cfg.example_token_budget,
                       "## Reference designs (retrieved from a corpus; adapt them, do not copy module or port names)\n\n",
                       render=lambda n, h: self._example_block(n, h.snippet), limit=k)
        if ex:
            parts.append(ex)
        kn = self._fit(self._note_blocks(self.knowledge(spec, qvec=qvec)), self.cfg.knowledge_token_budget,
                       "## Design notes\n")
        if kn:
            parts.append(kn)
        return "\n\n".join(parts)

    def context_for_error(self, error_text: str) -> str:
        """Design notes relevant to a compiler/simulator error, within the error token budget."""
        query = clean_error(error_text)
        hits = self.search(query, "knowledge", self.cfg.error_top_k)
        return self._fit(self._note_blocks(hits), self.cfg.error_token_budget,
                         "## Notes on this kind of error\n")


def load_retriever(path: str | Path, *, embedder: str | None = None, overrides: list[str] | None = None,
                   config: str | Path | None = None, token_counter=None) -> Retriever:
    """Open the index at `path` for retrieval. `embedder` (id or path) must be the one that built the
    index; by default the manifest's is used. `config`/`overrides` set RetrieveConfig fields."""
    from rtlgen.config import load_config

    cfg = load_config(RetrieveConfig, config, overrides or [])
    index = load_index(path, embedder_spec=embedder)
    return Retriever(index, cfg, token_counter=token_counter)


_CODE = re.compile(r"```verilog\n(.*?)(?:\n```|\Z)", re.S)
_DESC = re.compile(r"^Description: (.*?)(?=\n```verilog)", re.S | re.M)


def context_blocks(ctx: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of a context `Retriever` rendered: example code, example descriptions,
    design notes (one `- ` item each). Audits check each piece on its own, as the index did."""
    out = [("code", m.group(1)) for m in _CODE.finditer(ctx)]
    out += [("description", m.group(1)) for m in _DESC.finditer(ctx)]
    notes = ctx.split("## Design notes\n", 1)
    if len(notes) == 2:
        out += [("note", n) for n in re.split(r"\n(?=- )", notes[1]) if n.strip()]
    return out
