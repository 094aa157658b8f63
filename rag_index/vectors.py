"""FAISS inner-product indexes over normalised embeddings (so scores are cosines).

Exact search (`IndexFlatIP`) is the default: it has no recall loss and at the corpus sizes a Verilog
collection reaches it is fast enough. Above `ann_threshold` vectors the index switches to an
approximate one. The defaults come from `scripts/bench_rag.py` (results/rag/bench.md), measured on
this project's 2-core CPU with real MiniLM embeddings scaled up:
- `hnsw` (IndexHNSWFlat, M=32, efConstruction=80, efSearch=64) is the default ANN: sub-millisecond
  top-5 at 100k-1M with recall@10 vs exact above 0.95, but slower to build and +256 B/vector of links;
- `ivf` (IndexIVFFlat, nlist = 4*sqrt(N) rounded to a power of two, nprobe=16) builds in seconds and
  adds cheaply, with somewhat lower recall at the same latency.
Row i of a vector index is row i of the snippet store; both only ever grow by appending.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.errors import UserError


@dataclass
class AnnParams:
    index_type: str = "auto"  # auto | flat | hnsw | ivf
    ann_threshold: int = 50_000  # auto: flat below this many vectors, `ann_kind` at or above
    ann_kind: str = "hnsw"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64
    ivf_nlist: int = 0  # 0: 4*sqrt(N) rounded to a power of two
    ivf_nprobe: int = 16


def _faiss():
    import faiss

    return faiss


def choose_type(n: int, params: AnnParams) -> str:
    if params.index_type not in ("auto", "flat", "hnsw", "ivf"):
        raise UserError(f"index_type must be auto, flat, hnsw or ivf, not {params.index_type!r}")
    if params.ann_kind not in ("hnsw", "ivf"):
        raise UserError(f"ann_kind must be hnsw or ivf, not {params.ann_kind!r}")
    if params.index_type != "auto":
        return params.index_type
    return params.ann_kind if n >= params.ann_threshold else "flat"


def ivf_nlist(n: int, params: AnnParams) -> int:
    if params.ivf_nlist:
        return params.ivf_nlist
    return max(16, 2 ** round(math.log2(4 * math.sqrt(max(n, 1)))))


class VectorIndex:
    """A FAISS index plus the parameters it was built with (recorded in the manifest)."""

    def __init__(self, dim: int, params: AnnParams):
        self.dim, self.params = dim, params
        self.kind = "flat"
        self.index = _faiss().IndexFlatIP(dim)
        self.described: dict = {"type": "flat"}

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def build(self, vecs: np.ndarray) -> None:
        """(Re)create the index for `vecs`, choosing its type from their count."""
        faiss = _faiss()
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        n = vecs.shape[0]
        self.kind = choose_type(n, self.params)
        if self.kind == "flat":
            self.index = faiss.IndexFlatIP(self.dim)
            self.described = {"type": "flat"}
        elif self.kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(self.dim, self.params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = self.params.hnsw_ef_construction
            self.index.hnsw.efSearch = self.params.hnsw_ef_search
            self.described = {"type": "hnsw", "M": self.params.hnsw_m,
                              "efConstruction": self.params.hnsw_ef_construction,
                              "efSearch": self.params.hnsw_ef_search}
        else:
            nlist = ivf_nlist(n, self.params)
            if n < nlist:
                raise UserError(f"ivf index needs at least nlist={nlist} vectors, got {n}; use index_type=flat")
            quant = faiss.IndexFlatIP(self.dim)
            self.index = faiss.IndexIVFFlat(quant, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vecs if n <= nlist * 40 else vecs[rng.choice(n, nlist * 40, replace=False)]
            self.index.train(sample)
            self.index.nprobe = self.params.ivf_nprobe
            self.described = {"type": "ivf", "nlist": nlist, "nprobe": self.params.ivf_nprobe}
        if n:
            self.index.add(vecs)

    def add(self, vecs: np.ndarray) -> None:
        """Append vectors; a flat index that grows past the threshold is rebuilt as ANN (auto only)."""
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if not len(vecs):
            return
        total = self.ntotal + len(vecs)
        if self.kind != choose_type(total, self.params):
            self.build(np.vstack([self.vectors(), vecs]))
        else:
            self.index.add(vecs)

    def vectors(self) -> np.ndarray:
        """All stored vectors (for a rebuild); IVF needs its direct map for this."""
        if self.ntotal == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.kind == "ivf":
            self.index.make_direct_map()
        return self.index.reconstruct_n(0, self.ntotal)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, cosines) of the k nearest rows to one query, best first."""
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # One query is far too little work to split across OpenMP threads: on a busy 2-core machine the
        # threads' spin-waits made flat search at 10k rows 47 ms instead of 0.9 ms (scripts/bench_rag.py).
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(np.ascontiguousarray(q.reshape(1, -1), dtype=np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def save(self, path: Path) -> None:
        _faiss().write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, dim: int, params: AnnParams, described: dict) -> "VectorIndex":
        self = cls(dim, params)
        self.index = _faiss().read_index(str(path))
        self.kind = described.get("type", "flat")
        self.described = dict(described)
        if self.index.d != dim:
            raise UserError(f"{path}: vector dimension {self.index.d} differs from the manifest's {dim}")
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = int(described.get("efSearch", params.hnsw_ef_search))
        elif self.kind == "ivf":
            self.index.nprobe = int(described.get("nprobe", params.ivf_nprobe))
        return self
