#!/usr/bin/env python
"""Speed of the data pipeline's hot stages on this machine, without the cache.

    .venv/bin/python scripts/bench_data.py --git /work/.mirror/alexforencich+verilog-axis/repo ... \
        [--sv-git /work/.mirror/esnet+esnet-fpga-library/repo ...] \
        --out results/data/bench.json

Measures modules/s through pyslang extraction, the grouped Icarus compile filter and the
MinHash-LSH dedup, and problems/s through problem synthesis + validation (testbench generation,
the reference run and the mutant runs through the harness's `local:` loader). Two worker
processes, like the build. Targets (issue #4): ≥ 50 modules/s through the compile filter,
≥ 5,000 modules/s through dedup.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_pipeline import problems as P  # noqa: E402
from data_pipeline.config import DataConfig, ExtractConfig, ProblemConfig, SourceSpec  # noqa: E402
from data_pipeline.describe import analyze, describe  # noqa: E402
from data_pipeline.dedup import dedup  # noqa: E402
from data_pipeline.extract import extract_job  # noqa: E402
from data_pipeline.filters import compile_job, text_filter  # noqa: E402
from data_pipeline.pipeline import CHUNK, compile_chunk  # noqa: E402
from data_pipeline.sources import read_source  # noqa: E402
from data_pipeline.util import sha  # noqa: E402


def _analyze(args):
    code, name = args
    try:
        return code, name, analyze(code)
    except Exception:  # noqa: BLE001
        return code, name, None


def compile_jobs(mods: list[dict], context_of) -> list[tuple[str, dict]]:
    """The build's chunking: per repo, the first definition of each module name, CHUNK modules a job,
    with `context_of(repo)` as the job's compile context."""
    groups = defaultdict(list)
    for m in mods:
        groups[m["repo"]].append(m)
    cjobs = []
    for repo, ms in groups.items():
        seen, layer0 = set(), []
        for m in ms:
            if m["name"] not in seen:
                layer0.append(m)
            seen.add(m["name"])
        first = {m["name"]: m for m in layer0}
        for i in range(0, len(layer0), CHUNK):
            cjobs.append((f"{repo}#{i}", {"modules": compile_chunk(layer0[i:i + CHUNK], first),
                                          "context": context_of(repo), "includes": {}}))
    return cjobs


def dedup_recall(codes: list[str], pairs: int, seed: int = 0) -> dict:
    """How often dedup removes a near copy, by the copy's exact Jaccard to the original.

    Each pair is a module and a mutant of it with fresh identifiers inserted at random places
    (0-8% of its token count), whose exact 5-token-shingle Jaccard is computed; the
    pair then goes through `dedup` itself (signatures + LSH banding + the confirming estimate).
    Reported per Jaccard band: the share of pairs dedup merged. Ideal: 1 above the 0.8 threshold,
    0 well below it.
    """
    import random

    from data_pipeline.dedup import jaccard
    from data_pipeline.util import code_tokens, strip_comments

    rng = random.Random(seed)
    pool = [c for c in codes if len(code_tokens(strip_comments(c))) >= 40]
    bands = [(0.9, 1.01), (0.8, 0.9), (0.7, 0.8), (0.5, 0.7), (0.0, 0.5)]
    hit = {b: [0, 0] for b in bands}
    for _ in range(pairs if pool else 0):
        toks = code_tokens(strip_comments(rng.choice(pool)))
        base = " ".join(toks)
        for _ in range(max(1, int(len(toks) * rng.uniform(0.0, 0.08)))):
            toks.insert(rng.randrange(len(toks)), f"zz{rng.getrandbits(40):x}")
        mut = " ".join(toks)
        j = jaccard(base, mut)
        _, dropped = dedup([{"id": "a", "code": base}, {"id": "b", "code": mut}], 0.8, 64, 5)
        for lo, hi in bands:
            if lo <= j < hi:
                hit[(lo, hi)][0] += 1
                hit[(lo, hi)][1] += "b" in dropped
    return {f"jaccard {lo}-{min(hi, 1.0)}": {"pairs": n_, "merged": round(m / n_, 3) if n_ else None}
            for (lo, hi), (n_, m) in hit.items()}


def sv_fallback_bench(gits: list[str], pool, cfg) -> dict:
    """The compile stage as the build runs it on SystemVerilog repositories: Icarus chunks (with
    the repo's packages/interfaces as context), then `verilator --lint-only` on the targets Icarus
    failed to parse. Rates are per target module of each step."""
    from data_pipeline.filters import verilator_job
    from data_pipeline.pipeline import _FALLBACK_REASONS, _compile_reason

    mods, ctx = [], defaultdict(dict)
    for g in gits:
        rf = read_source(SourceSpec(kind="git", path=g), Path("/tmp"), ExtractConfig())
        out = dict(pool.imap_unordered(extract_job, [(i, p, d, 0.01) for i, (p, d) in enumerate(rf.hdl)], chunksize=8))
        for i, (path, _) in enumerate(rf.hdl):
            for c in out[i]["context"]:
                ctx[rf.name].setdefault(c["name"], c["code"])
            for m in out[i]["modules"]:
                if m["kind"] == "design" and not text_filter(m["code"], out[i]["preamble"], cfg.filter):
                    mods.append({**m, "repo": rf.name, "path": path, "preamble": out[i]["preamble"],
                                 "id": sha(f"{rf.name}|{path}|{m['name']}|{m['line_start']}")})
    cjobs = compile_jobs(mods, lambda repo: [c for _, c in sorted(ctx[repo].items())])
    n = sum(sum(1 for x in j[1]["modules"] if x["target"]) for j in cjobs)
    t0 = time.perf_counter()
    cres = dict(pool.imap_unordered(compile_job, sorted(cjobs, key=lambda j: -len(j[1]["modules"]))))
    t_icarus = time.perf_counter() - t0
    ok = {i for r in cres.values() for i in r["ok"]}
    fails = {k: v for r in cres.values() for k, v in r["fail"].items()}
    vjobs = []
    for key, job in cjobs:
        again = [x for x in job["modules"] if x["target"] and x["id"] not in ok
                 and _compile_reason(fails.get(x["id"], "")) in _FALLBACK_REASONS]
        if again:
            keep = {x["id"] for x in again}
            vjobs.append((key, {**job, "modules": [{**x, "target": x["id"] in keep} for x in job["modules"]]}))
    nv = sum(sum(1 for x in j[1]["modules"] if x["target"]) for j in vjobs)
    t0 = time.perf_counter()
    vres = dict(pool.imap_unordered(verilator_job, vjobs))
    t_vl = time.perf_counter() - t0
    rescued = sum(len(r["ok"]) for r in vres.values())
    return {"sources": len(gits), "modules": n, "icarus_passed": len(ok), "icarus_seconds": round(t_icarus, 2),
            "icarus_modules_per_s": round(n / max(t_icarus, 1e-9), 1), "fallback_modules": nv,
            "fallback_passed": rescued, "fallback_seconds": round(t_vl, 2),
            "fallback_modules_per_s": round(nv / max(t_vl, 1e-9), 1),
            "overall_modules_per_s": round(n / max(t_icarus + t_vl, 1e-9), 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--git", nargs="+", required=True, help="git dirs (bare mirrors or work trees)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--problems", type=int, default=60, help="problem candidates to validate")
    ap.add_argument("--out", default="results/data/bench.json")
    ap.add_argument("--recall-pairs", type=int, default=1000, help="mutated pairs for the dedup recall check")
    ap.add_argument("--dedup-jsonl", default=None,
                    help="also time dedup on a pipeline modules.jsonl (e.g. data/real/modules.jsonl): a corpus-sized "
                         "run, where the few hundred modules of --git take ~50 ms and time mostly fixed costs")
    ap.add_argument("--sv-git", nargs="*", default=[],
                    help="SystemVerilog git dirs: time Icarus + the Verilator fallback on what Icarus cannot parse")
    a = ap.parse_args()
    workers = max(1, min(2, a.workers))
    cfg = DataConfig()
    files = []
    for g in a.git:
        rf = read_source(SourceSpec(kind="git", path=g), Path("/tmp"), ExtractConfig())
        files += [(rf.name, p, d) for p, d in rf.hdl]
    res: dict = {"machine": f"{platform.machine()}, {mp.cpu_count()} cores", "workers": workers, "sources": len(a.git),
                 "files": len(files)}
    pool = mp.get_context("fork").Pool(workers)

    t0 = time.perf_counter()
    jobs = [(i, p, d, 0.01) for i, (_, p, d) in enumerate(files)]
    out = dict(pool.imap_unordered(extract_job, jobs, chunksize=8))
    dt = time.perf_counter() - t0
    mods = []
    for i, (repo, path, _) in enumerate(files):
        for m in out[i]["modules"]:
            mods.append({**m, "repo": repo, "path": path, "preamble": out[i]["preamble"],
                         "id": sha(f"{repo}|{path}|{m['name']}|{m['line_start']}")})
    res["extract"] = {"modules": len(mods), "seconds": round(dt, 2), "modules_per_s": round(len(mods) / dt, 1)}

    designs = [m for m in mods if m["kind"] == "design" and not text_filter(m["code"], m["preamble"], cfg.filter)]
    cjobs = compile_jobs(designs, lambda repo: [])
    n_comp = sum(sum(1 for x in j[1]["modules"] if x["target"]) for j in cjobs)
    t0 = time.perf_counter()
    cres = dict(pool.imap_unordered(compile_job, sorted(cjobs, key=lambda j: -len(j[1]["modules"]))))
    dt = time.perf_counter() - t0
    ok = {i for r in cres.values() for i in r["ok"]}
    res["compile"] = {"modules": n_comp, "passed": len(ok), "seconds": round(dt, 2), "modules_per_s": round(n_comp / dt, 1)}

    compiled = [m for m in designs if m["id"] in ok]
    t0 = time.perf_counter()
    kept, dropped = dedup(compiled, 0.8, 64, 5)
    dt = time.perf_counter() - t0
    res["dedup"] = {"modules": len(compiled), "kept": len(kept), "seconds": round(dt, 3),
                    "modules_per_s": round(len(compiled) / max(dt, 1e-9), 1),
                    "recall": dedup_recall([m["code"] for m in compiled], a.recall_pairs)}
    if a.dedup_jsonl:
        rows = [json.loads(x) for x in Path(a.dedup_jsonl).read_text(encoding="utf-8").splitlines() if x.strip()]
        mods = [{"id": r.get("id") or str(i), "code": r["code"]} for i, r in enumerate(rows)]
        t0 = time.perf_counter()
        kept_c, _ = dedup(mods, 0.8, 64, 5)
        dt = time.perf_counter() - t0
        res["dedup_corpus"] = {"file": a.dedup_jsonl, "modules": len(mods), "kept": len(kept_c),
                               "seconds": round(dt, 3), "modules_per_s": round(len(mods) / max(dt, 1e-9), 1)}

    # problems: candidates from standalone modules, then synthesis + validation timed
    infos = pool.map(_analyze, [(m["code"], m["name"]) for m in kept if not m["instances"]], chunksize=8)
    pc = ProblemConfig()
    cands = []
    for code, name, info in infos:
        if info and P.eligible(info, [], code, pc) is None:
            cands.append((code, name, info))
        if len(cands) >= a.problems:
            break
    t0 = time.perf_counter()
    pjobs = []
    for i, (code, name, info) in enumerate(cands):
        ports = info["ports"]
        pjobs.append((i, {"id": f"Prob{i:04d}_x", "ref": P.rename(code, name, "RefModule"),
                          "test": P.testbench(ports, pc.cycles, pc.seed),
                          "prompt": P.prompt_text(ports, describe(name, code, info, [])), "ports": ports}))
    pres = dict(pool.imap_unordered(P.validate_job, pjobs))
    dt = time.perf_counter() - t0
    good = sum(1 for r in pres.values() if r["ok"])
    res["problems"] = {"candidates": len(pjobs), "kept": good, "seconds": round(dt, 2),
                       "candidates_per_s": round(len(pjobs) / max(dt, 1e-9), 2),
                       "problems_per_s": round(good / max(dt, 1e-9), 2)}
    if a.sv_git:
        res["compile_sv"] = sv_fallback_bench(a.sv_git, pool, cfg)
    pool.close()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
