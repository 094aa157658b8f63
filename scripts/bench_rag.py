#!/usr/bin/env python
"""Latency and scale of the RAG vector index on CPU: build time, top-5 query latency p50/p99
(excluding query embedding), recall@10 of the approximate indexes against exact search, and memory,
at 10k / 100k / 1M snippets; plus embedding throughput of the embedder measured separately.

Vectors: real MiniLM embeddings of real text (the built-in design notes, benchmark reference
modules and prompts where the benchmarks are present: those are fine as *vectors* for timing, they
never enter an index), scaled up synthetically: each synthetic vector is a random real one plus
Gaussian noise, renormalised, so the set keeps the anisotropy of real sentence embeddings (uniform
random vectors would make ANN look either too easy or too hard). Queries are held-out real vectors
with their own noise.

    .venv/bin/python scripts/bench_rag.py --sizes 10000 100000 1000000 --out results/rag/bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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


def timed_queries(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    lat, ids = [], []
    for q in queries:
        t0 = time.perf_counter()
        i, _ = index.search(q, k)
        lat.append((time.perf_counter() - t0) * 1000)
        ids.append(i)
    return np.asarray(lat), ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--types", nargs="+", default=["flat", "hnsw", "ivf"])
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--sigma", type=float, default=0.03, help="noise per dimension of the scale-up")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bench-dir", default=os.environ.get("RTLGEN_BENCH_DIR", "/work/bench"))
    ap.add_argument("--embedder", default="default")
    ap.add_argument("--out", default="results/rag/bench.json")
    args = ap.parse_args()

    import faiss
    import torch

    from rag_index.embed import Embedder
    from rag_index.vectors import AnnParams, VectorIndex

    faiss.omp_set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"command": " ".join(sys.argv), "machine": {"cpu_count": os.cpu_count(), "threads": args.threads,
              "processor": platform.processor() or platform.machine(), "faiss": faiss.__version__,
              "loadavg_at_start": os.getloadavg()}, "runs": []}

    texts = real_texts(args.bench_dir)
    emb = Embedder(args.embedder, use_cache=False)
    for bs in (1, 32, 128):
        emb.batch_size = bs
        sample = texts[:256] if bs > 1 else texts[:64]
        t0 = time.perf_counter()
        vecs = emb.encode(sample)
        dt = time.perf_counter() - t0
        report.setdefault("embedding", []).append({"batch_size": bs, "texts": len(sample), "seconds": round(dt, 3),
                                                   "texts_per_s": round(len(sample) / dt, 1),
                                                   "mean_chars": round(float(np.mean([len(t) for t in sample])), 1)})
        print(f"embedding batch {bs}: {len(sample) / dt:.1f} texts/s", flush=True)
    emb.batch_size = 64
    base = emb.encode(texts)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(base))
    nq = max(1, min(len(base) // 5, 200))
    qbase, dbase = base[perm[:nq]], base[perm[nq:]]
    report["real_vectors"] = {"corpus": int(len(dbase)), "query_seed": int(nq), "dim": int(base.shape[1])}

    for n in args.sizes:
        data = scale_up(dbase, n, args.sigma, rng)
        queries = scale_up(qbase, args.queries, args.sigma, rng)
        exact_ids = None
        for kind in args.types:
            vi = VectorIndex(data.shape[1], AnnParams(index_type=kind))
            t0 = time.perf_counter()
            vi.build(data)
            build_s = time.perf_counter() - t0
            nq_run = args.queries if not (kind == "flat" and n >= 1_000_000) else min(args.queries, 200)
            timed_queries(vi, queries[:20], 5)  # warm-up
            lat, _ = timed_queries(vi, queries[:nq_run], 5)
            _, ids10 = timed_queries(vi, queries[:nq_run], 10)
            if kind == "flat":
                exact_ids = ids10
            rec = None
            if exact_ids is not None:
                m = min(len(exact_ids), len(ids10))
                rec = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids[:m], ids10[:m])]))
            tmp = out.parent / f".bench-{os.getpid()}.faiss"
            vi.save(tmp)
            size = tmp.stat().st_size
            tmp.unlink()
            row = {"loadavg": round(os.getloadavg()[0], 1), "n": n, "index": vi.described, "build_s": round(build_s, 2),
                   "p50_ms": round(float(np.percentile(lat, 50)), 3), "p99_ms": round(float(np.percentile(lat, 99)), 3),
                   "queries": int(nq_run), "recall10_vs_exact": None if rec is None else round(rec, 4),
                   "index_bytes": size, "bytes_per_vector": round(size / n, 1),
                   "mb_per_million": round(size / n * 1e6 / 2**20, 1)}
            report["runs"].append(row)
            print(json.dumps(row), flush=True)
            out.write_text(json.dumps(report, indent=1) + "\n")
            del vi
    out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
