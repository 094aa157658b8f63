"""The RAG index on disk: snippet store + FAISS + BM25 per kind, and a manifest that says what built it.

Layout of an index folder:
    manifest.json                 embedder identity, per-kind index type/params/counts, corpus hash,
                                  decontamination summary, sources, build config
    <kind>.snippets.jsonl         the snippets, row i = vector i = BM25 row i
    <kind>.faiss                  FAISS inner-product index over normalised embeddings
    <kind>.bm25.npz / .bm25.json  term counts and vocabulary
Saving writes into a temporary sibling folder and swaps it in, so an interrupted save never leaves
a half-written index (and never loses the previous one).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from eval.errors import UserError
from rag_index.bm25 import BM25
from rag_index.decontam import DecontamConfig, Decontaminator
from rag_index.store import KINDS, Snippet, load_snippets, save_snippets
from rag_index.vectors import AnnParams, VectorIndex

FORMAT = 1


@dataclass
class BuildConfig:
    """`rtlgen rag build` settings (YAML + key=value overrides through rtlgen.config)."""

    embedder: str = "default"
    batch_size: int = 64
    device: str = "cpu"
    cache_dir: str = ""
    builtin_knowledge: bool = True  # index rag_index/knowledge/*.md
    max_code_chars: int = 12_000  # longer modules are poor examples and blow the prompt budget
    ann: AnnParams = field(default_factory=AnnParams)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)


class _Part:
    """Everything for one snippet kind."""

    def __init__(self, kind: str, dim: int, ann: AnnParams):
        self.kind = kind
        self.snippets: list[Snippet] = []
        self.vectors = VectorIndex(dim, ann)
        self.bm25 = BM25()
        self.hashes: set[str] = set()

    def add(self, snippets: list[Snippet], vecs: np.ndarray) -> None:
        if not snippets:
            return
        if not self.snippets:
            self.vectors.build(vecs)
        else:
            self.vectors.add(vecs)
        self.bm25.add([s.lexical_text() for s in snippets])
        self.snippets.extend(snippets)
        self.hashes.update(s.content_hash for s in snippets)


class RagIndex:
    def __init__(self, embedder, cfg: BuildConfig):
        self.embedder = embedder
        self.cfg = cfg
        self.parts = {k: _Part(k, embedder.dim, cfg.ann) for k in KINDS}
        self.manifest: dict = {}
        self.dropped: dict[str, int] = {"contaminated": 0, "duplicate": 0, "too_long": 0}
        self.dropped_examples: list[dict] = []
        self.sources: dict[str, int] = {}
        self._decontam: Decontaminator | None = None

    # -- building -------------------------------------------------------------------------------

    def _decontaminator(self) -> Decontaminator:
        if self._decontam is None:
            self._decontam = Decontaminator(self.cfg.decontam)
        return self._decontam

    def add(self, snippets: list[Snippet], source_label: str = "", progress: bool = True) -> dict:
        """Decontaminate, dedupe, embed (cached) and append `snippets`; returns counts of what happened."""
        from rich.progress import track

        dec = self._decontaminator()
        keep: dict[str, list[Snippet]] = {k: [] for k in KINDS}
        seen = {k: set(p.hashes) for k, p in self.parts.items()}
        ids = {s.id for p in self.parts.values() for s in p.snippets}
        stats = {"added": 0, "contaminated": 0, "duplicate": 0, "too_long": 0}
        it = track(snippets, description=f"checking {source_label or 'snippets'}", disable=not progress,
                   transient=True)
        for s in it:
            if s.kind not in KINDS:
                raise UserError(f"snippet {s.id}: kind must be one of {KINDS}, not {s.kind!r}")
            if s.kind == "example" and len(s.code) > self.cfg.max_code_chars:
                stats["too_long"] += 1
                continue
            h = s.content_hash
            if h in seen[s.kind]:
                stats["duplicate"] += 1
                continue
            why = dec.check(s)
            if why:
                stats["contaminated"] += 1
                if len(self.dropped_examples) < 50:
                    self.dropped_examples.append({"id": s.id, "source": s.source, "why": why})
                continue
            if s.id in ids:  # same id, new content: keep both, distinguish the id
                s.id = f"{s.id}~{h[:8]}"
            ids.add(s.id)
            seen[s.kind].add(h)
            keep[s.kind].append(s)
        for kind, items in keep.items():
            if not items:
                continue
            vecs = self.embedder.encode([s.dense_text() for s in items], progress=progress)
            self.parts[kind].add(items, vecs)
            stats["added"] += len(items)
        for k in ("contaminated", "duplicate", "too_long"):
            self.dropped[k] += stats[k]
        if source_label:
            self.sources[source_label] = self.sources.get(source_label, 0) + stats["added"]
        return stats

    # -- manifest -------------------------------------------------------------------------------

    def corpus_hash(self) -> str:
        h = hashlib.sha256()
        for kind in KINDS:
            for ch in sorted(self.parts[kind].hashes):
                h.update(ch.encode())
        return h.hexdigest()[:16]

    def _manifest(self) -> dict:
        now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        created = self.manifest.get("created", now)
        licenses: dict[str, int] = {}
        for p in self.parts.values():
            for s in p.snippets:
                licenses[s.license] = licenses.get(s.license, 0) + 1
        return {
            "format": FORMAT,
            "embedder": self.embedder.info(),
            "dim": self.embedder.dim,
            "indexes": {k: dict(p.vectors.described, count=len(p.snippets)) for k, p in self.parts.items()},
            "counts": {k: len(p.snippets) for k, p in self.parts.items()},
            "dropped": dict(self.dropped),
            "dropped_examples": self.dropped_examples[:50],
            "corpus_hash": self.corpus_hash(),
            "sources": dict(self.sources),
            "licenses": dict(sorted(licenses.items(), key=lambda kv: -kv[1])),
            "decontamination": self._decontaminator().summary() if self._decontam or not self.manifest
            else self.manifest.get("decontamination", {}),
            "build_config": asdict(self.cfg),
            "created": created,
            "updated": now,
        }

    # -- disk -----------------------------------------------------------------------------------

    def save(self, path: str | Path) -> dict:
        path = Path(path).expanduser()
        if path.exists() and not (path / "manifest.json").exists() and any(path.iterdir()):
            raise UserError(f"{path} exists and is not an rtlgen RAG index; refusing to overwrite it")
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        manifest = self._manifest()
        for kind, part in self.parts.items():
            save_snippets(tmp / f"{kind}.snippets.jsonl", part.snippets)
            part.vectors.save(tmp / f"{kind}.faiss")
            part.bm25.save(tmp / f"{kind}.bm25")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        old = path.with_name(path.name + f".old-{os.getpid()}")
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
        self.manifest = manifest
        return manifest


def read_manifest(path: str | Path) -> dict:
    path = Path(path).expanduser()
    mf = path / "manifest.json"
    if not mf.exists():
        raise UserError(f"{path} is not an rtlgen RAG index (no manifest.json); build one with `rtlgen rag build`")
    try:
        manifest = json.loads(mf.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{mf} is corrupt (not JSON)") from None
    if manifest.get("format") != FORMAT:
        raise UserError(f"{path}: index format {manifest.get('format')} is not supported (expected {FORMAT}); rebuild it")
    return manifest


def build_config_from_manifest(manifest: dict) -> BuildConfig:
    """The build settings an index was made with (so `add` behaves like the original build)."""
    from rtlgen.config import from_dict

    try:
        return from_dict(BuildConfig, manifest.get("build_config") or {})
    except (UserError, TypeError):
        return BuildConfig()


def load_index(path: str | Path, embedder=None, *, embedder_spec: str | None = None,
               cfg: BuildConfig | None = None) -> RagIndex:
    """Open an index; the embedder is the manifest's unless one is given, and must match the manifest's."""
    from rag_index.embed import Embedder

    path = Path(path).expanduser()
    manifest = read_manifest(path)
    cfg = cfg or build_config_from_manifest(manifest)
    if embedder is None:
        spec = embedder_spec or manifest["embedder"]["model"]
        embedder = Embedder(spec, device=cfg.device, batch_size=cfg.batch_size, cache_dir=cfg.cache_dir or None)
    embedder.check_matches(manifest["embedder"], f"index {path}")
    idx = RagIndex(embedder, cfg)
    idx.manifest = manifest
    idx.dropped.update(manifest.get("dropped", {}))
    idx.dropped_examples = list(manifest.get("dropped_examples", []))
    idx.sources = dict(manifest.get("sources", {}))
    t0 = time.perf_counter()
    for kind, part in idx.parts.items():
        sfile = path / f"{kind}.snippets.jsonl"
        if not sfile.exists():
            raise UserError(f"index {path} is incomplete: {sfile.name} is missing")
        part.snippets = load_snippets(sfile)
        part.hashes = {s.content_hash for s in part.snippets}
        part.vectors = VectorIndex.load(path / f"{kind}.faiss", embedder.dim, cfg.ann,
                                        manifest["indexes"].get(kind, {"type": "flat"}))
        part.bm25 = BM25.load(path / f"{kind}.bm25")
        if not (part.vectors.ntotal == len(part.snippets) == part.bm25.n_docs):
            raise UserError(f"index {path} is inconsistent for {kind}: {len(part.snippets)} snippets, "
                            f"{part.vectors.ntotal} vectors, {part.bm25.n_docs} BM25 rows; rebuild it")
    idx.load_seconds = time.perf_counter() - t0
    return idx


def build_index(data_paths: list[str | Path], cfg: BuildConfig, *, embedder=None, extra: list[Snippet] | None = None,
                progress: bool = True) -> RagIndex:
    """A fresh index from pipeline outputs (`data/<name>/` folders or JSONL files), the built-in design
    notes (unless disabled) and `extra` snippets."""
    from rag_index.embed import Embedder
    from rag_index.store import builtin_knowledge, load_data_dir

    batches: list[tuple[str, list[Snippet]]] = []
    for p in data_paths:
        batches.append((str(p), load_data_dir(p)))  # read everything first: bad input fails before any work
    if cfg.builtin_knowledge:
        batches.append(("rtlgen:design-notes", builtin_knowledge()))
    if extra:
        batches.append(("extra", list(extra)))
    if not any(items for _, items in batches):
        raise UserError("nothing to index: give --data DIR (a data_pipeline output) or keep builtin_knowledge=true")
    if embedder is None:
        embedder = Embedder(cfg.embedder, device=cfg.device, batch_size=cfg.batch_size,
                            cache_dir=cfg.cache_dir or None)
    idx = RagIndex(embedder, cfg)
    for label, items in batches:
        idx.add(items, source_label=label, progress=progress)
    return idx
