#!/usr/bin/env python
"""Latency and scale of the RAG vector index on CPU: build time, top-5 query latency p50/p99
(excluding query embedding), recall@10 of the approximate indexes against exact search, and memory,
at 10k / 100k / 1M snippets; plus embedding throughput of the embedder measured separately.

Vectors: real MiniLM embeddings of real text: by default the vectors of a built index
(`--from-index data/rag-real`: the real corpus' examples and knowledge passages, read back from its
flat FAISS files), else the built-in design notes and benchmark prompts/references embedded on the
spot (fine as *vectors* for timing; they never enter an index). They are scaled up synthetically: each synthetic vector is a random real one plus
Gaussian noise, renormalised, so the set keeps the anisotropy of real sentence embeddings (uniform
random vectors would make ANN look either too easy or too hard). Queries are held-out real vectors
with their own noise.

Queries run one at a time through `rag_index.vectors.VectorIndex.search` (the production path,
one OpenMP thread per query); builds use `--threads`. Exact neighbours for recall come from one
batched flat search. Each ANN index is built once and its search knob swept (HNSW efSearch, IVF
nprobe), so the parameters in `rag_index/vectors.py` can be read off the table.

    .venv/bin/python scripts/bench_rag.py --sizes 10000 100000 --out results/rag/bench.json
    .venv/bin/python scripts/bench_rag.py --sizes 1000000 --types hnsw ivf --hnsw-m 16 --hnsw-efc 40 \
        --queries 200 --out results/rag/bench_1m.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def real_texts(bench_dir: str) -> list[str]:
    from rag_index.decontam import DEFAULT_BENCHMARKS
    from rag_index.store import builtin_knowledge

    texts = [s.text for s in builtin_knowledge()]
    from eval.benchmarks import get_benchmark

    for name, folder in DEFAULT_BENCHMARKS.items():
        p = Path(bench_dir) / folder
        if p.exists():
            for t in get_benchmark(name, p).load().values():
                texts.append(t.prompt[:2000])
                texts.append(t.reference[:2000])
    return list(dict.fromkeys(x for x in texts if x.strip()))


def scale_up(base: np.ndarray, n: int, sigma: float, rng) -> np.ndarray:
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        v = base[rng.integers(0, len(base), m)] + sigma * rng.standard_normal((m, base.shape[1]), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[i:i + m] = v
    return out


def timed_queries(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list]:
    lat, ids = [], []
    for q in queries:
        t0 = time.perf_counter()
        i, _ = index.search(q, k)
        lat.append((time.perf_counter() - t0) * 1000)
        ids.append(i)
    return np.asarray(lat), ids


def index_vectors(path: Path) -> tuple[np.ndarray, list[str]]:
    """The stored vectors of a built RAG index (flat parts) and their texts (for embedding throughput)."""
    import faiss

    from rag_index.store import load_snippets

    vecs, texts = [], []
    for f in sorted(path.glob("*.faiss")):
        ix = faiss.read_index(str(f))
        vecs.append(ix.reconstruct_n(0, ix.ntotal))
        texts += [s.dense_text() for s in load_snippets(path / f.name.replace(".faiss", ".snippets.jsonl"))]
    return np.vstack(vecs).astype(np.float32), texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--types", nargs="+", default=["flat", "hnsw", "ivf"])
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--sigma", type=float, default=0.03, help="noise per dimension of the scale-up")
    ap.add_argument("--threads", type=int, default=2, help="OpenMP threads for builds")
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--hnsw-efc", type=int, default=80)
    ap.add_argument("--ef-search", type=int, nargs="+", default=[16, 32, 64, 128])
    ap.add_argument("--nprobe", type=int, nargs="+", default=[4, 8, 16, 32])
    ap.add_argument("--from-index", default="data/rag-real", help="built index whose vectors seed the scale-up")
    ap.add_argument("--embed-throughput", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--bench-dir", default=os.environ.get("RTLGEN_BENCH_DIR", "/work/bench"))
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--out", default="results/rag/bench.json")
    args = ap.parse_args()

    import faiss
    import torch

    from rag_index.vectors import AnnParams, VectorIndex

    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
              "machine": {"cpu_count": os.cpu_count(), "build_threads": args.threads, "query_threads": 1,
                          "processor": platform.processor() or platform.machine(), "faiss": faiss.__version__,
                          "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}, "runs": []}

    src = Path(args.from_index)
    emb = None
    if (src / "manifest.json").exists():
        base, texts = index_vectors(src)
        report["real_vectors_from"] = str(src)
    else:
        from rag_index.embed import Embedder

        texts = real_texts(args.bench_dir)
        emb = Embedder(args.embedder, use_cache=False)
        base = emb.encode(texts)
        report["real_vectors_from"] = "design notes + benchmark texts, embedded here"
    if args.embed_throughput:
        from rag_index.embed import Embedder

        emb = emb or Embedder(args.embedder, use_cache=False)
        for bs, count in ((1, 32), (32, 128)):
            emb.batch_size = bs
            sample = texts[:count]
            t0 = time.perf_counter()
            emb.encode(sample)
            dt = time.perf_counter() - t0
            report.setdefault("embedding", []).append({"batch_size": bs, "texts": len(sample), "seconds": round(dt, 3),
                                                       "texts_per_s": round(len(sample) / dt, 1),
                                                       "mean_chars": round(float(np.mean([len(t) for t in sample])), 1)})
            print(f"embedding batch {bs}: {len(sample) / dt:.1f} texts/s", flush=True)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(base))
    nq = max(1, min(len(base) // 5, 500))
    qbase, dbase = base[perm[:nq]], base[perm[nq:]]
    report["real_vectors"] = {"corpus": int(len(dbase)), "query_seed": int(nq), "dim": int(base.shape[1])}

    for n in args.sizes:
        data = scale_up(dbase, n, args.sigma, rng)
        queries = scale_up(qbase, args.queries, args.sigma, rng)
        gt = faiss.IndexFlatIP(data.shape[1])
        gt.add(data)
        _, exact = gt.search(queries, 10)  # batched, multithreaded: ground truth only
        del gt
        for kind in args.types:
            params = AnnParams(index_type=kind, hnsw_m=args.hnsw_m, hnsw_ef_construction=args.hnsw_efc)
            vi = VectorIndex(data.shape[1], params)
            t0 = time.perf_counter()
            vi.build(data)
            build_s = time.perf_counter() - t0
            tmp = out.parent / f".bench-{os.getpid()}.faiss"
            vi.save(tmp)
            size = tmp.stat().st_size
            tmp.unlink()
            knobs = {"hnsw": ("efSearch", args.ef_search), "ivf": ("nprobe", args.nprobe)}.get(kind, (None, [None]))
            for value in knobs[1]:
                if kind == "hnsw":
                    vi.index.hnsw.efSearch = value
                elif kind == "ivf":
                    vi.index.nprobe = value
                nq_run = args.queries if not (kind == "flat" and n >= 1_000_000) else min(args.queries, 100)
                timed_queries(vi, queries[:20], 5)  # warm-up
                lat, _ = timed_queries(vi, queries[:nq_run], 5)
                _, ids10 = timed_queries(vi, queries[:nq_run], 10)
                rec = float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10 for a, b in zip(exact, ids10)]))
                described = dict(vi.described, **({knobs[0]: value} if knobs[0] else {}))
                row = {"n": n, "index": described, "build_s": round(build_s, 2),
                       "p50_ms": round(float(np.percentile(lat, 50)), 3), "p99_ms": round(float(np.percentile(lat, 99)), 3),
                       "queries": int(nq_run), "recall10_vs_exact": round(rec, 4),
                       "index_bytes": size, "bytes_per_vector": round(size / n, 1),
                       "mb_per_million": round(size / n * 1e6 / 2**20, 1),
                       "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                       "loadavg": round(os.getloadavg()[0], 1)}
                report["runs"].append(row)
                print(json.dumps(row), flush=True)
                out.write_text(json.dumps(report, indent=1) + "\n")
            del vi
        del data
    out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
