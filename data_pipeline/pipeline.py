"""The build: sources -> extract -> license gate -> filters (text, compile) -> dedup ->
decontaminate -> describe -> quality -> problems -> export, with a funnel of every drop.
Decontamination applies `eval.contamination`'s rule (the one `rag_index` and the audits apply too).

Each expensive step is keyed by content hash in `<out>/.cache/cache.sqlite` (file bytes for
extraction, the group's sources for compiles, the code for descriptions and problem
validation), so an interrupted build resumes where it stopped and a re-run recomputes nothing.
Outputs are written at the end through temp files and renames: a crash never leaves half a
dataset behind. Work fans out to at most `workers` processes (2 by default).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

from data_pipeline import describe as D
from data_pipeline import problems as P
from data_pipeline.config import DataConfig, section_hash
from data_pipeline.dedup import dedup
from data_pipeline.extract import EXTRACT_VERSION, extract_job
from data_pipeline.filters import COMPILE_VERSION, compile_job, text_filter
from data_pipeline.licenses import allowed
from data_pipeline.quality import combine, static_score, tool_job
from data_pipeline.sources import expand, read_source
from data_pipeline.util import Cache, sha, strip_comments
from eval.contamination import Decontaminator, load_benchmark_texts
from eval.errors import UserError


class Funnel:
    """Counts after each stage and the reasons items left, in order."""

    def __init__(self):
        self.stages: list[tuple[str, int]] = []
        self.drops: dict[str, Counter] = defaultdict(Counter)
        self.seconds: dict[str, float] = {}

    def after(self, stage: str, n: int) -> None:
        self.stages.append((stage, n))

    def drop(self, stage: str, reason: str, n: int = 1) -> None:
        self.drops[stage][reason] += n


def _pool_map(fn, jobs: list, workers: int, progress, label: str):
    """Yield fn(job) results, in a pool of at most 2 processes, with a progress bar."""
    task = progress.add_task(label, total=len(jobs)) if progress else None
    if not jobs:
        if progress:
            progress.update(task, completed=0, visible=False)
        return
    workers = max(1, min(2, workers))
    if workers == 1 or len(jobs) == 1:
        for j in jobs:
            yield fn(j)
            if progress:
                progress.advance(task)
    else:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            for r in pool.imap_unordered(fn, jobs, chunksize=1 if len(jobs) < 200 else 8):
                yield r
                if progress:
                    progress.advance(task)


def _analyze_job(args):
    key, code, name, instances, doc = args
    try:
        info = D.analyze(code)
    except Exception as exc:  # noqa: BLE001
        info = {"ports": [], "params": [], "ok": False, "error": type(exc).__name__}
    return key, {"info": info, "description": D.describe(name, code, info, instances, doc)}


def _passages(text: str, max_chars: int = 1200) -> list[str]:
    """README/doc text cut into passages at blank lines, ~max_chars each."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out, cur = [], ""
    for p in paras:
        if len(cur) + len(p) > max_chars and cur:
            out.append(cur)
            cur = ""
        cur = (cur + "\n\n" + p).strip() if len(p) < max_chars * 2 else p[:max_chars * 2]
    if cur:
        out.append(cur)
    return [o for o in out if len(re.findall(r"[A-Za-z]{3,}", o)) >= 12]


def build(cfg: DataConfig, out: Path, *, progress: bool = True, log=print) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(cfg.cache_dir).expanduser() if cfg.cache_dir else out / ".cache"
    cache = Cache(cache_dir / "cache.sqlite")
    funnel = Funnel()
    t_all = time.monotonic()

    @contextmanager
    def timed(stage):
        t0 = time.monotonic()
        yield
        funnel.seconds[stage] = round(funnel.seconds.get(stage, 0) + time.monotonic() - t0, 2)

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   disable=not progress, transient=False)
    with bar:
        prog = bar if progress else None
        # --- decontamination index first: a missing benchmark should fail before hours of work
        with timed("decontam-load"):
            bench_texts = load_benchmark_texts(cfg.decontam.benchmarks, cfg.decontam.required)
            dc = Decontaminator(bench_texts, cfg.decontam.rouge_threshold, cfg.decontam.ngram,
                                cfg.decontam.ngram_threshold, cfg.decontam.ngram_min_tokens)
        # --- sources
        specs = expand(cfg.sources)
        if not specs:
            raise UserError("the config lists no sources")
        sources, files, knowledge_raw = [], [], []
        with timed("read"):
            t = prog.add_task("read sources", total=len(specs)) if prog else None
            for spec in specs:
                try:
                    rf = read_source(spec, cache_dir, cfg.extract)
                except UserError as exc:
                    sources.append({"name": spec.name or spec.path or spec.package, "kind": spec.kind, "error": str(exc)})
                    funnel.drop("sources", "unreadable source")
                    if prog:
                        prog.advance(t)
                    continue
                src = {"name": rf.name, "kind": rf.kind, "commit": rf.commit, "origin": rf.origin,
                       "license": rf.licenses.repo_license(), "hdl_files": len(rf.hdl), "skipped": rf.skipped,
                       "modules": 0, "problems": 0}
                sources.append(src)
                for reason, n in rf.skipped.items():
                    funnel.drop("files", reason, n)
                for path, data in rf.hdl:
                    lic = rf.licenses.license_for(path, data[:4000].decode("utf-8", "replace"))
                    files.append({"source": rf.name, "commit": rf.commit, "path": path, "data": data, "license": lic,
                                  "key": sha(data, 24) + ":" + EXTRACT_VERSION})
                for path, text in rf.docs:
                    lic = rf.licenses.license_for(path)
                    for i, passage in enumerate(_passages(text)):
                        knowledge_raw.append({"text": passage, "source": f"{rf.name}:{path}#{i}", "license": lic})
                if prog:
                    prog.advance(t)
        funnel.after("hdl files", len(files))

        # --- extract (cached by file content)
        with timed("extract"):
            cached = cache.get_many("extract", list({f["key"] for f in files}))
            todo = {f["key"]: f for f in files if f["key"] not in cached}
            jobs = [(k, f["path"], f["data"], cfg.filter.max_nonprint_ratio) for k, f in todo.items()]
            for key, res in _pool_map(extract_job, jobs, cfg.workers, prog, "extract modules"):
                cache.put("extract", key, res)
                cached[key] = res
            cache.commit()
        modules, testbenches, held_out = [], [], []
        contexts: dict[str, dict[str, str]] = defaultdict(dict)
        includes: dict[str, dict[str, str]] = defaultdict(dict)
        parsers = Counter()
        for f in files:
            res = cached[f["key"]]
            if res["reason"] and not res["modules"] and not res["context"]:
                funnel.drop("extract", res["reason"])
                continue
            parsers[res["parser"]] += 1
            if f["path"].lower().endswith((".vh", ".svh")) or (res["preamble"] and not res["modules"]):
                try:
                    includes[f["source"]][f["path"]] = f["data"].decode("utf-8")
                except UnicodeDecodeError:
                    pass
            for c in res["context"]:
                # one definition per package/interface name: a second version would be a redeclaration
                contexts[f["source"]].setdefault(c["name"], c["code"])
            for m in res["modules"]:
                item = {"id": sha(f"{f['source']}|{f['path']}|{m['name']}|{m['line_start']}", 16), "name": m["name"],
                        "code": m["code"], "repo": f["source"], "commit": f["commit"], "path": f["path"],
                        "license": f["license"], "line_start": m["line_start"], "line_end": m["line_end"],
                        "kind": m["kind"], "instances": m["instances"], "preamble": res["preamble"], "doc": m.get("doc", ""),
                        "head": f["data"][:2000].decode("utf-8", "replace")}
                modules.append(item)
        # includes: header files, and any file an `include directive of the source names
        included: dict[str, set[str]] = defaultdict(set)
        wanted: dict[str, set[str]] = defaultdict(set)  # include names as written, per source
        for f in files:
            for mm in re.finditer(rb'`include\s+"([^"]+)"', f["data"]):
                name = mm.group(1).decode("utf-8", "replace")
                included[f["source"]].add(name.rsplit("/", 1)[-1])
                wanted[f["source"]].add(name)
        for f in files:
            base = f["path"].rsplit("/", 1)[-1]
            if (f["path"].lower().endswith((".vh", ".svh")) or base in included[f["source"]]) \
                    and f["path"] not in includes[f["source"]]:
                try:
                    includes[f["source"]][f["path"]] = f["data"].decode("utf-8")
                except UnicodeDecodeError:
                    pass
        _cross_source_includes(includes, wanted)
        funnel.after("modules extracted", len(modules))
        # every design module of a source, whatever its license or later filters say: the compile
        # filter may use one as a sibling a target instantiates (it is compile context, never output)
        siblings: dict[str, dict[str, dict]] = defaultdict(dict)
        all_defs: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for m in sorted(modules, key=lambda m: (m["path"], m["line_start"])):
            if m["kind"] == "design":
                siblings[m["repo"]].setdefault(m["name"], m)
                all_defs[m["repo"]][m["name"]].append(m)

        # --- license gate
        kept = []
        for m in modules:
            if allowed(m["license"], cfg.license.allow):
                kept.append(m)
            elif m["license"] == "unknown":
                held_out.append(m)
                funnel.drop("license", "unknown license (held out)")
            else:
                funnel.drop("license", f"license {m['license']} not allowed")
        modules = kept
        funnel.after("license allowed", len(modules))

        # --- kinds and text filters
        kept = []
        with timed("filter-text"):
            for m in modules:
                if m["kind"] == "testbench":
                    testbenches.append(m)
                    funnel.drop("filter", "testbench (kept apart)")
                    continue
                if m["kind"] != "design":
                    funnel.drop("filter", "no ports")
                    continue
                reason = text_filter(m["code"], m.get("head", "") + m["preamble"], cfg.filter)
                if reason:
                    funnel.drop("filter", reason)
                    continue
                kept.append(m)
        modules = kept
        funnel.after("text filters", len(modules))

        # --- compile filter, grouped by source
        if cfg.filter.compile:
            with timed("compile"):
                modules = _compile_stage(cfg, modules, contexts, includes, cache, funnel, prog, siblings,
                                         all_defs)
        funnel.after("compiles (iverilog -g2012; else verilator --lint-only)" if cfg.filter.fallback == "verilator"
                     else "compiles (iverilog -g2012)", len(modules))

        # --- dedup (exact + MinHash LSH); comment-rich copies first so they survive
        with timed("dedup"):
            modules.sort(key=lambda m: (-_comment_lines(m["code"]), m["repo"], m["path"], m["line_start"]))
            modules, dropped = dedup(modules, cfg.dedup.threshold, cfg.dedup.num_perm, cfg.dedup.shingle)
            for reason, _ in dropped.values():
                funnel.drop("dedup", reason)
        funnel.after("unique (exact + near dedup)", len(modules))

        # --- decontaminate code
        contaminated = []
        with timed("decontam"):
            modules = _decontam(dc, modules, lambda m: m["code"], "module code", contaminated, funnel, prog, cache)
        funnel.after("decontaminated", len(modules))

        # --- analyze + describe (cached by code)
        with timed("describe"):
            keys = {m["id"]: "d" + sha(m["doc"] + m["code"] + "|" + m["name"] + "|" + ",".join(m["instances"]), 24)
                    for m in modules}
            got = cache.get_many("describe", list(set(keys.values())))
            todo = {}
            for m in modules:
                if keys[m["id"]] not in got:
                    todo[keys[m["id"]]] = (keys[m["id"]], m["code"], m["name"], m["instances"], m["doc"])
            for key, res in _pool_map(_analyze_job, list(todo.values()), cfg.workers, prog, "describe (AST)"):
                cache.put("describe", key, res)
                got[key] = res
            cache.commit()
            for m in modules:
                r = got[keys[m["id"]]]
                m["info"], m["description"] = r["info"], r["description"]
        if cfg.teacher.enabled:
            with timed("teacher"):
                _teacher_stage(cfg, modules, cache, prog)

        # --- descriptions are training text too: decontaminate them
        with timed("decontam"):
            def all_desc(m):
                return m["description"] + "\n" + "\n".join(m.get("teacher", {}).values())
            modules = _decontam(dc, modules, all_desc, "description", contaminated, funnel, prog, cache)

        # --- quality
        with timed("quality"):
            _quality_stage(cfg, modules, cache, prog)
            kept = []
            for m in modules:
                if m["quality"] < cfg.quality.threshold:
                    funnel.drop("quality", f"score < {cfg.quality.threshold}")
                else:
                    kept.append(m)
            modules = kept
        funnel.after("quality ≥ threshold", len(modules))

        # --- problems
        problems = []
        if cfg.problems.enabled:
            with timed("problems"):
                problems = _problem_stage(cfg, modules, dc, cache, funnel, contaminated, prog)
        # --- knowledge passages: license + decontamination
        knowledge = []
        for k in knowledge_raw:
            if allowed(k["license"], cfg.license.allow):
                knowledge.append(k)
            else:
                funnel.drop("knowledge", "license not allowed or unknown")
        knowledge = _decontam(dc, knowledge, lambda k: k["text"], "knowledge", contaminated, funnel, prog, cache,
                              idkey="source")
    cache.close()

    from data_pipeline.export import export

    by_repo = Counter(m["repo"] for m in modules)
    prob_repo = Counter(p["repo"] for p in problems)
    for s in sources:
        s["modules"] = by_repo.get(s["name"], 0)
        s["problems"] = prob_repo.get(s["name"], 0)
    funnel.seconds["total"] = round(time.monotonic() - t_all, 2)
    return export(cfg, out, modules, problems, knowledge, testbenches, held_out, sources, funnel, contaminated,
                  dict(parsers), len(bench_texts))


def _cross_source_includes(includes: dict[str, dict[str, str]], wanted: dict[str, set[str]]) -> None:
    """An `include "common_cells/registers.svh"` that no file of its own source provides is
    looked up in the other sources (pulp-platform designs include headers of their sibling
    repositories, which the build also reads): the first source holding a file whose path ends
    with that name supplies it, stored under the name as written so `-Iinc` resolves it. Compile
    context only: the header is never output."""
    index: dict[str, tuple[str, str]] = {}
    for src in sorted(includes):
        for path, text in sorted(includes[src].items()):
            parts = path.split("/")
            for i in range(len(parts)):
                index.setdefault("/".join(parts[i:]), (src, text))
    for src, names in wanted.items():
        own = includes.get(src, {})
        for name in sorted(names):
            if name.startswith("/") or ".." in name.split("/"):
                continue
            if any(p == name or p.endswith("/" + name) for p in own):
                continue
            hit = index.get(name)
            if hit and hit[0] != src:
                includes[src][name] = hit[1]


def _comment_lines(code: str) -> int:
    return len(code.splitlines()) - len(strip_comments(code).splitlines()) + code.count("//")


def _decontam(dc, items, text_of, what, contaminated, funnel, prog, cache, idkey="id"):
    """The decontamination step: `dc.check` (eval.contamination) on every item, verdicts cached by
    benchmark set + thresholds + text hash, hits recorded in `contaminated` and the funnel."""
    kept = []
    tag = sha(str([(b.id, len(b.tokens)) for b in dc.bench]) + str((dc.rt, dc.n, dc.nt)), 12)
    keys = [f"{tag}:{sha(text_of(it), 24)}" for it in items]
    got = cache.get_many("decontam", list(set(keys)))
    t = prog.add_task(f"decontaminate {what}", total=len(items)) if prog else None
    for it, key in zip(items, keys):
        if key in got:
            hit = got[key]["hit"]
        else:
            hit = dc.check(text_of(it))
            cache.put("decontam", key, {"hit": hit})
            got[key] = {"hit": hit}
        if hit:
            contaminated.append({"what": what, "id": it.get(idkey), "name": it.get("name"),
                                 "source": it.get("repo", it.get("source")), "path": it.get("path"), **hit})
            funnel.drop("decontam", f"{what} matches a benchmark ({hit['metric']})")
        else:
            kept.append(it)
        if prog:
            prog.advance(t)
    cache.commit()
    return kept


CHUNK = 60  # target modules per compile: bounds Icarus's memory on big repos


def compile_chunk(targets: list[dict], first: dict[str, dict]) -> list[dict]:
    """The modules of one compile job: the targets plus the transitive closure of the sibling
    modules they instantiate (`first` maps a name to its first definition in the repo)."""
    names = {m["name"] for m in targets}
    extra, stack = [], [d for m in targets for d in m["instances"]]
    while stack:
        d = stack.pop()
        if d in names or d not in first:
            continue
        names.add(d)
        extra.append(first[d])
        stack.extend(first[d]["instances"])
    return [{"id": m["id"], "code": m["code"], "preamble": m["preamble"], "name": m["name"],
             "instances": m["instances"], "target": m in targets} for m in targets + extra]


def _icarus_hash(fc) -> str:
    """The compile filter's knobs that change an Icarus job (so adding the Verilator fallback
    knob did not invalidate every cached Icarus compile)."""
    import dataclasses

    return section_hash({k: v for k, v in dataclasses.asdict(fc).items() if k != "fallback"})


_FALLBACK_REASONS = ("compile: syntax error", "compile: other error")


def _common_dirs(a: str, b: str) -> int:
    da, db = a.split("/")[:-1], b.split("/")[:-1]
    n = 0
    while n < min(len(da), len(db)) and da[n] == db[n]:
        n += 1
    return n


def nearest_closures(targets: list[dict], first: dict[str, dict], defs: dict[str, list[dict]]):
    """Where a source defines a module name more than once (Tiny Tapeout collections: every
    project has its own `uart_tx`), the definition a target means is the one nearest to it in the
    tree, not the first by path. Returns (extra modules, {target id: closure ids}) for the targets
    whose nearest-definition closure differs from the first-definition one; empty when none does."""
    extra, resolve, have = [], {}, set()

    def closure(m, pick):
        ids, seen, stack = [m["id"]], {m["name"]}, [(d, m["path"]) for d in m["instances"]]
        out = []
        while stack:
            d, near = stack.pop()
            if d in seen:
                continue
            x = pick(d, near)
            if x is None:
                continue
            seen.add(d)
            ids.append(x["id"])
            out.append(x)
            stack.extend((dd, x["path"]) for dd in x["instances"])
        return ids, out

    def by_first(d, _near):
        return first.get(d)

    def by_nearest(d, near):
        cands = defs.get(d) or ([first[d]] if d in first else [])
        return max(cands, key=lambda c: _common_dirs(c["path"], near), default=None)

    for t in targets:
        ids_first, _ = closure(t, by_first)
        ids_near, mods = closure(t, by_nearest)
        if ids_near != ids_first:
            resolve[t["id"]] = ids_near
            for x in mods:
                if x["id"] not in have:
                    have.add(x["id"])
                    extra.append(x)
    return extra, resolve


def _compile_stage(cfg, modules, contexts, includes, cache, funnel, prog, siblings=None, all_defs=None):
    """Icarus per chunk (targets plus the siblings they instantiate: first from the kept modules,
    else from any design module of the same source), then Verilator for what Icarus cannot parse."""
    siblings = siblings or {}
    all_defs = all_defs or {}
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for m in modules:
        by_repo[m["repo"]].append(m)
    jobs, job_keys, repo_chunks = [], {}, []
    for repo, ms in by_repo.items():
        # layer k holds the k-th definition of each module name, so names are unique per compile
        layers: list[list[dict]] = []
        count: Counter = Counter()
        for m in sorted(ms, key=lambda m: (m["path"], m["line_start"])):
            k = count[m["name"]]
            count[m["name"]] += 1
            while len(layers) <= k:
                layers.append([])
            layers[k].append(m)
        ctx = [code for _, code in sorted(contexts.get(repo, {}).items())]
        first = {**siblings.get(repo, {}), **({m["name"]: m for m in layers[0]} if layers else {})}
        chunks_of_repo = []
        for layer in layers:
            # chunks of targets, each with the transitive closure of the siblings it instantiates
            for i in range(0, len(layer), CHUNK):
                targets = layer[i:i + CHUNK]
                payload = {"modules": compile_chunk(targets, first),
                           "context": ctx, "includes": includes.get(repo, {}), "timeout": cfg.filter.compile_timeout_s,
                           "rounds": cfg.filter.compile_rounds}
                key = "c" + sha(repr(sorted((x["id"], sha(x["code"]), sha(x["preamble"])) for x in payload["modules"]))
                                + sha(repr(ctx)) + sha(repr(sorted(payload["includes"].items())))
                                + _icarus_hash(cfg.filter) + COMPILE_VERSION, 24)
                job_keys[key] = {m["id"] for m in targets}
                jobs.append((key, payload))
                chunks_of_repo.append((repo, targets, payload, first))
        repo_chunks.extend(chunks_of_repo)
    got = cache.get_many("compile", [k for k, _ in jobs])
    todo = [j for j in jobs if j[0] not in got]
    todo.sort(key=lambda j: -len(j[1]["modules"]))  # big groups first balances the two workers
    for key, res in _pool_map(compile_job, todo, cfg.workers, prog, "compile (iverilog)"):
        cache.put("compile", key, res)
        got[key] = res
    cache.commit()
    ok_ids, fails = set(), {}
    for key, ids in job_keys.items():
        res = got[key]
        ok_ids.update(set(res["ok"]) & ids)
        for mid, why in res["fail"].items():
            if mid in ids:
                fails[mid] = why
    _nearest_retry(cfg, repo_chunks, all_defs, ok_ids, fails, cache, prog)
    if cfg.filter.fallback == "verilator":
        rescued = _verilator_fallback(cfg, repo_chunks, ok_ids, fails, cache, prog)
        for mid in rescued:
            fails.pop(mid, None)
    else:
        rescued = set()
    kept = []
    for m in modules:
        if m["id"] in ok_ids or m["id"] in rescued:
            m["compiler"] = "verilator" if m["id"] in rescued else "iverilog"
            kept.append(m)
        else:
            why = fails.get(m["id"], "compile: failed")
            funnel.drop("compile", _compile_reason(why))
    return kept


def _nearest_retry(cfg, repo_chunks, all_defs, ok_ids, fails, cache, prog) -> None:
    """Icarus again, for the targets that failed and whose submodule names resolve to other
    definitions when the nearest one in the tree is taken (`nearest_closures`). A retry rather
    than the first plan, so every compile that passed stays cached and unchanged."""
    jobs, job_ids = [], {}
    for repo, targets, payload, first in repo_chunks:
        # a wrong same-named sibling shows as "port x is not a port of y" and the like ("other
        # error"); a missing module or include, a macro or a syntax error is not cured by it
        failed = [m for m in targets if m["id"] not in ok_ids and m["instances"]
                  and _compile_reason(fails.get(m["id"], "compile: failed")) in ("compile: other error",
                                                                                  "compile: port mismatch")]
        if not failed:
            continue
        extra, resolve = nearest_closures(failed, first, all_defs.get(repo, {}))
        if not resolve:
            continue
        part = [m for m in failed if m["id"] in resolve]
        mods = [{"id": m["id"], "code": m["code"], "preamble": m["preamble"], "name": m["name"],
                 "instances": m["instances"], "target": True} for m in part]
        have = {m["id"] for m in part}
        mods += [{"id": x["id"], "code": x["code"], "preamble": x["preamble"], "name": x["name"],
                  "instances": x["instances"], "target": False} for x in extra if x["id"] not in have]
        job = {**payload, "modules": mods, "resolve": resolve}
        key = "n" + sha(repr(sorted((x["id"], sha(x["code"]), sha(x["preamble"])) for x in mods))
                        + sha(repr(sorted(resolve.items()))) + sha(repr(job["context"]))
                        + sha(repr(sorted(job["includes"].items()))) + _icarus_hash(cfg.filter) + COMPILE_VERSION, 24)
        job_ids[key] = set(resolve)
        jobs.append((key, job))
    got = cache.get_many("compile", list(job_ids))
    todo = [j for j in jobs if j[0] not in got]
    for key, res in _pool_map(compile_job, todo, cfg.workers, prog, "compile (nearest definitions)"):
        cache.put("compile", key, res)
        got[key] = res
    cache.commit()
    for key, ids in job_ids.items():
        for mid in set(got[key]["ok"]) & ids:
            ok_ids.add(mid)
            fails.pop(mid, None)


def _verilator_fallback(cfg, repo_chunks, ok_ids, fails, cache, prog) -> set:
    """Ids Verilator's --lint-only accepts among the targets Icarus failed to parse; their
    Verilator error replaces the Icarus one in `fails` when it also fails."""
    from data_pipeline.filters import VERILATOR_VERSION, verilator_job

    jobs, job_ids = [], {}
    for repo, targets, payload, _first in repo_chunks:
        again = [m for m in targets if m["id"] not in ok_ids
                 and _compile_reason(fails.get(m["id"], "compile: failed")) in _FALLBACK_REASONS]
        for i in range(0, len(again), CHUNK):
            part = again[i:i + CHUNK]
            first = {x["name"]: x for x in payload["modules"] if not x["target"]}
            first.update({x["name"]: x for x in payload["modules"] if x["target"]})
            vp = {**payload, "modules": compile_chunk(part, first)}
            key = "v" + sha(repr(sorted((x["id"], sha(x["code"]), sha(x["preamble"])) for x in vp["modules"]))
                            + sha(repr(vp["context"])) + sha(repr(sorted(vp["includes"].items())))
                            + VERILATOR_VERSION, 24)
            job_ids[key] = {m["id"] for m in part}
            jobs.append((key, vp))
    got = cache.get_many("verilator", list(job_ids))
    todo = [j for j in jobs if j[0] not in got]
    todo.sort(key=lambda j: -len(j[1]["modules"]))
    for key, res in _pool_map(verilator_job, todo, cfg.workers, prog, "compile fallback (verilator)"):
        cache.put("verilator", key, res)
        got[key] = res
    cache.commit()
    rescued = set()
    for key, ids in job_ids.items():
        res = got[key]
        rescued.update(set(res["ok"]) & ids)  # a module Verilator rejects too keeps its Icarus reason
    return rescued


def _compile_reason(msg: str) -> str:
    low = msg.lower()
    if "unknown module" in low:
        return "compile: missing submodule"
    if "is not a port of" in low:  # before the macro test: Icarus quotes the port name with ``...''
        return "compile: port mismatch"
    if "syntax error" in low:
        return "compile: syntax error"
    if "include" in low:
        return "compile: missing include"
    if "timeout" in low:
        return "compile: timeout"
    if "macro" in low or "`" in msg:
        return "compile: undefined macro"
    return "compile: other error"


def _teacher_stage(cfg, modules, cache, prog):
    import httpx

    from data_pipeline.describe import teacher_describe

    todo = modules[: cfg.teacher.max_items] if cfg.teacher.max_items else modules
    t = prog.add_task("teacher descriptions", total=len(todo) * len(cfg.teacher.grains)) if prog else None
    with httpx.Client(timeout=cfg.teacher.timeout_s) as client:
        for m in todo:
            m["teacher"] = {}
            for grain in cfg.teacher.grains:
                key = sha(f"{cfg.teacher.model}|{grain}|{m['code']}", 24)
                hit = cache.get("teacher", key)
                if hit is None:
                    try:
                        hit = teacher_describe(m["code"], grain, cfg.teacher, client)
                    except httpx.HTTPError as exc:
                        raise UserError(f"teacher endpoint {cfg.teacher.base_url} failed: {exc}") from None
                    cache.put("teacher", key, hit)
                m["teacher"][grain] = hit
                if prog:
                    prog.advance(t)
    cache.commit()


def _quality_stage(cfg, modules, cache, prog):
    tool = cfg.quality.lint or cfg.quality.synth
    extra: dict[str, dict] = {}
    if tool:
        keys = {m["id"]: "q" + sha(f"{cfg.quality.lint}{cfg.quality.synth}|{m['name']}|{m['code']}", 24) for m in modules}
        extra = cache.get_many("quality", list(set(keys.values())))
        jobs = {keys[m["id"]]: (keys[m["id"]], {"code": m["code"], "name": m["name"], "lint": cfg.quality.lint,
                                                 "synth": cfg.quality.synth}) for m in modules if keys[m["id"]] not in extra}
        for key, res in _pool_map(tool_job, list(jobs.values()), cfg.workers, prog, "quality (lint/synth)"):
            cache.put("quality", key, res)
            extra[key] = res
        cache.commit()
    for m in modules:
        parts = static_score(m["code"], m["info"]["ports"])
        if tool:
            parts.update(extra[keys[m["id"]]])
        m["quality_parts"] = parts
        m["quality"] = combine(parts)


def _problem_stage(cfg, modules, dc, cache, funnel, contaminated, prog):
    pc = cfg.problems
    cands = []
    for m in sorted(modules, key=lambda m: (-m["quality"], m["repo"], m["path"], m["line_start"])):
        why = P.eligible(m["info"], m["instances"], m["code"], pc)
        if why is None and m.get("compiler") == "verilator":
            why = "Icarus cannot compile it (kept by the Verilator fallback)"
        if why is None and len(m["code"]) > pc.max_tokens * 6:
            why = "too long for a problem"
        if why:
            funnel.drop("problems", f"not eligible: {why}")
            continue
        ports = m["info"]["ports"]
        prompt = P.prompt_text(ports, m["description"])
        ref = P.rename(P.strip_delays(m["code"]), m["name"], "RefModule")
        test = P.testbench(ports, pc.cycles, pc.seed)
        cands.append({"m": m, "prompt": prompt, "ref": ref, "test": test, "ports": ports})
    funnel.after("problem candidates", len(cands))
    # the prompt is new text: decontaminate it before anyone trains on it
    cands = _decontam(dc, cands, lambda c: c["prompt"], "problem prompt", contaminated, funnel, prog, cache,
                      idkey="prompt")
    # the reference becomes a completion named TopModule (as benchmark references are): check that text too
    cands = _decontam(dc, cands, lambda c: P.rename(c["ref"], "RefModule", "TopModule"), "problem solution",
                      contaminated, funnel, prog, cache, idkey="prompt")
    keyed = {}
    for c in cands:
        key = "p" + sha(c["ref"] + c["test"] + c["prompt"], 24)
        keyed[key] = c
    got = cache.get_many("problem", list(keyed))
    jobs = []
    for key, c in keyed.items():
        if key not in got:
            jobs.append((key, {"id": "P" + key[1:13], "ref": c["ref"], "test": c["test"], "prompt": c["prompt"],
                               "ports": c["ports"]}))
    if pc.max_problems:
        # validate in quality order and stop early once the cap is reachable
        need = max(0, pc.max_problems - sum(1 for k in keyed if got.get(k, {}).get("ok")))
        jobs = jobs[: max(need * 3, 0)] if need else []
    for key, res in _pool_map(P.validate_job, jobs, cfg.workers, prog, "synthesise + validate problems"):
        cache.put("problem", key, res)
        got[key] = res
    cache.commit()
    problems = []
    for key, c in keyed.items():
        res = got.get(key)
        if res is None:
            funnel.drop("problems", "not validated (cap reached)")
            continue
        if not res["ok"]:
            funnel.drop("problems", res["reason"])
            continue
        if pc.max_problems and len(problems) >= pc.max_problems:
            funnel.drop("problems", "cap reached")
            continue
        m = c["m"]
        name = re.sub(r"[^A-Za-z0-9_]", "_", m["name"])[:40]
        problems.append({"id": f"Prob{len(problems) + 1:05d}_{name}", "prompt": c["prompt"], "ref": c["ref"],
                         "test": c["test"], "module_id": m["id"], "repo": m["repo"], "path": m["path"],
                         "license": m["license"], "samples": res["samples"], "killed": res["killed"]})
    funnel.after("validated problems", len(problems))
    return problems
