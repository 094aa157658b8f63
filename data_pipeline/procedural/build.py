"""`rtlgen data procedural`: generate -> dedup -> compile (Icarus, batched, cached) -> decontaminate
-> round-2 rows (spec-to-rtl and code-complete) -> tested problems -> report.

Determinism: design i of a run is a pure function of (seed, i): the family is drawn from
`Random(f"{seed}:pick:{i}")` and the design from `Random(f"{family}:{seed}:{i}")`; workers only
check, never generate, and results are re-ordered by index, so a seed always yields the same files.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from data_pipeline.procedural.common import FAMILIES, TOP, Design
from data_pipeline.procedural.narrate import narrate
from data_pipeline.util import Cache, sha
from eval.errors import UserError

BUILD_VERSION = "proc-1"


@dataclass
class ProceduralConfig:
    """Knobs of a procedural build (YAML: data_pipeline/configs/procedural.yaml)."""

    n: int = 20000  # target rows (after dedup, before compile/decontam drops)
    seed: int = 0
    problems: int = 1500  # validated problems to write (0 = none)
    workers: int = 2
    families: list[str] = field(default_factory=list)  # empty = all registered families
    exclude_families: list[str] = field(default_factory=list)
    kinds: str = "mix"  # mix (one row per design, kind drawn 50/50) | both (two rows) | spec-to-rtl | code-complete
    narrated: float = 0.0  # share of code-complete rows whose behaviour is retold in the narrated voice (narrate.py)
    compile_batch: int = 150  # designs per Icarus run
    drop_warnings: bool = True  # a reference whose compile prints a warning is dropped too
    problem_cycles: int = 200
    problem_seed: int = 1
    decontam_problem_refs: bool = True  # drop problems whose full reference matches a benchmark text
    problem_wave: int = 200  # problems validated per wave (the build stops once `problems` are accepted)
    max_attempts_factor: int = 10  # stop generating after n * factor draws (families that run out of variety)
    cache_dir: str = ""  # default <out>/.cache
    decontam: dict = field(default_factory=lambda: {
        "verilogeval-v1-human": "/work/bench/verilog-eval-v1",
        "verilogeval-v1-machine": "/work/bench/verilog-eval-v1",
        "verilogeval-v2-spec": "/work/bench/verilog-eval-v2",
        "verilogeval-v2-complete": "/work/bench/verilog-eval-v2",
        "rtllm-v1.1": "/work/bench/rtllm-v1.1"})
    decontam_required: bool = True  # a missing benchmark is an error (False: skip it, noted in the report)
    rouge_threshold: float = 0.5


# ---------------------------------------------------------------- generation

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class Generator:
    """Draws unique designs in index order; `take(k)` continues where the last call stopped, so the
    build can ask for more designs in waves until enough rows survive the checks."""

    def __init__(self, cfg: ProceduralConfig):
        names = sorted(cfg.families) if cfg.families else sorted(FAMILIES)
        unknown = [n for n in names + list(cfg.exclude_families) if n not in FAMILIES]
        if unknown:
            raise UserError(f"unknown procedural families: {', '.join(unknown)} (known: {', '.join(sorted(FAMILIES))})")
        self.names = [n for n in names if n not in set(cfg.exclude_families)]
        if not self.names:
            raise UserError("no procedural families left to generate")
        self.cfg = cfg
        self.i = 0
        self.max_draws = cfg.n * cfg.max_attempts_factor
        self.seen: set[str] = set()
        self.dups: Counter = Counter()
        self.errors: Counter = Counter()
        self.draws: Counter = Counter()

    @property
    def exhausted(self) -> bool:
        return self.i >= self.max_draws

    def take(self, k: int) -> list[tuple[int, Design]]:
        out: list[tuple[int, Design]] = []
        seed = self.cfg.seed
        while len(out) < k and not self.exhausted:
            i = self.i
            self.i += 1
            fam = random.Random(f"{seed}:pick:{i}").choice(self.names)
            self.draws[fam] += 1
            try:
                d = FAMILIES[fam][0](random.Random(f"{fam}:{seed}:{i}"))
            except Exception as exc:  # noqa: BLE001 - a generator bug must not stop the build; it is counted
                self.errors[f"{fam}: {type(exc).__name__}: {exc}"[:160]] += 1
                continue
            key = sha(_norm(d.code) + "\0" + _norm(d.spec), 24)
            if key in self.seen:
                self.dups[fam] += 1
                continue
            self.seen.add(key)
            out.append((i, d))
        return out

    def stats(self) -> dict:
        return {"draws": self.i, "duplicates": dict(self.dups), "generator_errors": dict(self.errors),
                "draws_by_family": dict(self.draws)}


def generate(cfg: ProceduralConfig) -> tuple[list[tuple[int, Design]], dict]:
    """`cfg.n` unique designs in index order (fewer if the draw budget runs out), and their stats."""
    g = Generator(cfg)
    return g.take(cfg.n), g.stats()


# ---------------------------------------------------------------- compile check

_LOC = re.compile(r"^(d\d+)\.sv:\d+:\s*(.*)$", re.M)


def compile_batch(codes: list[str]) -> list[dict]:
    """Compile many references in one Icarus run (each in its own file, renamed apart); files named
    in an error are re-checked alone so one bad design cannot sink its batch. Returns per code
    {"ok", "warnings", "error"}."""
    from eval.sandbox import Limits, RunDir
    from eval.simulators import iverilog_compile

    def once(d: Path, idx: list[int]) -> tuple[int, str]:
        files = []
        for i in idx:
            name = f"d{i}.sv"
            (d / name).write_text(re.sub(rf"\bmodule\s+{TOP}\b", f"module {TOP}_{i}", codes[i], count=1))
            files.append(name)
        r = iverilog_compile(d, files, out="batch.vvp", top=None, limits=Limits(wall_s=120))
        for f in files:
            (d / f).unlink()
        return (r.returncode if not r.timed_out else -1), r.stdout + r.stderr

    res = [{"ok": True, "warnings": "", "error": ""} for _ in codes]
    with RunDir(prefix="rtlgen-proc-") as d:
        live = list(range(len(codes)))
        for _round in range(6):  # a syntax error hides later elaboration errors: repeat until clean
            rc, log = once(d, live)
            msgs: dict[int, list[str]] = defaultdict(list)
            for m in _LOC.finditer(log):
                msgs[int(m.group(1)[1:])].append(m.group(2))
            if rc == 0:
                for i, ms in msgs.items():
                    res[i]["warnings"] = "\n".join(ms)[:400]
                return res
            suspects = sorted(msgs) or list(live)  # unattributed failure: check each alone
            for i in suspects:
                rc1, log1 = once(d, [i])
                text = "\n".join(m.group(2) for m in _LOC.finditer(log1)) or log1.strip()[-300:]
                if rc1 != 0:
                    res[i] = {"ok": False, "warnings": "", "error": text[:400]}
                elif text:
                    res[i]["warnings"] = text[:400]
            bad = {i for i in suspects if not res[i]["ok"]}
            if not bad:  # the batch failed but no file fails alone: fall back to singles for all
                for i in live:
                    rc1, log1 = once(d, [i])
                    text = "\n".join(m.group(2) for m in _LOC.finditer(log1)) or log1.strip()[-300:]
                    res[i] = {"ok": rc1 == 0, "warnings": text[:400] if rc1 == 0 else "", "error": "" if rc1 == 0 else text[:400]}
                return res
            live = [i for i in live if i not in bad]
            if not live:
                return res
    return res


def _compile_job(args):
    key, codes = args
    try:
        return key, compile_batch(codes)
    except Exception as exc:  # noqa: BLE001
        return key, [{"ok": False, "warnings": "", "error": f"checker error: {type(exc).__name__}"}] * len(codes)


def _pool(fn, jobs, workers, progress, label):
    from data_pipeline.pipeline import _pool_map

    yield from _pool_map(fn, jobs, workers, progress, label)


# ---------------------------------------------------------------- rows and problems

def rows_for(idx: int, d: Design, cfg: ProceduralConfig) -> list[dict]:
    """Round-2 rows of one design. spec-to-rtl: the whole spec -> the module; code-complete: the
    behaviour + the header -> the body after the header (through endmodule), VerilogEval style."""
    r = random.Random(f"{cfg.seed}:kind:{idx}")
    kinds = {"mix": [r.choice(["spec-to-rtl", "code-complete"])], "both": ["spec-to-rtl", "code-complete"],
             "spec-to-rtl": ["spec-to-rtl"], "code-complete": ["code-complete"]}.get(cfg.kinds)
    if kinds is None:
        raise UserError(f"procedural kinds must be mix, both, spec-to-rtl or code-complete, not {cfg.kinds!r}")
    out = []
    base = sha(d.code + d.spec, 12)
    for k in kinds:
        if k == "spec-to-rtl":
            prompt, completion = d.spec, d.code
        else:
            lead = r.choice(["", "Complete the module below.\n\n", "Finish this Verilog module.\n\n", "Fill in the body.\n\n"])
            narrated = r.random() < cfg.narrated
            prompt = lead + (narrate(d, r) if narrated else d.behaviour.strip()) + "\n\n" + d.header + "\n"
            completion = d.body.lstrip("\n")
        out.append({"prompt": prompt, "completion": completion, "kind": k, "family": d.family, "source": "procedural",
                    "id": f"proc-{d.family}-{base}-{'s' if k == 'spec-to-rtl' else 'c'}", "tags": d.kind_tags})
        if k == "code-complete" and narrated:
            out[-1]["voice"] = "narrated"
    return out


PROBLEM_NOTE = "All ports are listed above with their widths; the module must be named TopModule.\n"


def problem_files(d: Design, cfg: ProceduralConfig) -> dict:
    """prompt / ref / test texts of one problem (the prompt is the design's own spec)."""
    from data_pipeline import problems as P

    ref = P.rename(d.code, TOP, "RefModule")
    test = P.testbench(d.ports, cfg.problem_cycles, cfg.problem_seed)
    return {"prompt": d.spec.rstrip() + "\n\n" + PROBLEM_NOTE, "ref": ref, "test": test, "ports": d.ports}


# ---------------------------------------------------------------- the build

_DC = None  # the Decontaminator, set before the worker pool forks (workers inherit it)


def _decontam_job(args):
    """(key, hit) for one row: the completion is checked first, the prompt only if it is clean."""
    key, prompt, completion = args
    hit = _DC.check(completion)
    if hit:
        hit = dict(hit, field="completion")
    else:
        hit = _DC.check(prompt)
        if hit:
            hit = dict(hit, field="prompt")
    return key, hit


def _compile_wave(designs, cfg, cache, pr, wave_no):
    keys = [sha(BUILD_VERSION + d.code, 24) for _, d in designs]
    got = cache.get_many("compile", list(set(keys)))
    todo = sorted({k: d.code for k, (_, d) in zip(keys, designs) if k not in got}.items())
    jobs = [(i, [c for _, c in todo[i:i + cfg.compile_batch]]) for i in range(0, len(todo), cfg.compile_batch)]
    for start, res in _pool(_compile_job, jobs, cfg.workers, pr, f"wave {wave_no}: compile references (iverilog)"):
        for (k, _), r in zip(todo[start:start + cfg.compile_batch], res):
            cache.put("compile", k, r)
            got[k] = r
    cache.commit()
    return [got[k] for k in keys]


def _decontam_rows(rows, dc, tag, cache, cfg, pr, wave_no):
    global _DC
    keys = [f"{tag}:{sha(r['prompt'] + chr(0) + r['completion'], 24)}" for r in rows]
    got = cache.get_many("decontam", list(set(keys)))
    todo = {k: (k, r["prompt"], r["completion"]) for k, r in zip(keys, rows) if k not in got}
    _DC = dc
    for k, hit in _pool(_decontam_job, list(todo.values()), cfg.workers, pr, f"wave {wave_no}: decontaminate (5 benchmarks)"):
        got[k] = {"hit": hit}
        cache.put("decontam", k, got[k])
    cache.commit()
    return [got[k]["hit"] for k in keys]


def build(cfg: ProceduralConfig, out: Path, *, progress: bool = True, log=print) -> dict:
    """Generate in waves until `cfg.n` rows survive compile and decontamination (or the draw budget
    ends), then validate problems from the surviving designs, then write everything."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from data_pipeline import problems as P
    from eval.contamination import Decontaminator, load_benchmark_texts

    if cfg.n < 1:
        raise UserError("--n must be at least 1")
    if cfg.problems < 0:
        raise UserError("--problems must be 0 or more")
    if cfg.kinds not in ("mix", "both", "spec-to-rtl", "code-complete"):
        raise UserError(f"procedural kinds must be mix, both, spec-to-rtl or code-complete, not {cfg.kinds!r}")
    if not 0.0 <= cfg.narrated <= 1.0:
        raise UserError(f"procedural narrated must be a share between 0 and 1, not {cfg.narrated!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Cache((Path(cfg.cache_dir).expanduser() if cfg.cache_dir else out / ".cache") / "procedural.sqlite")
    secs: Counter = Counter()
    t_all = time.monotonic()
    drops: dict[str, Counter] = defaultdict(Counter)
    warn_examples: dict[str, str] = {}
    hits: list[dict] = []
    clean_rows: list[dict] = []
    clean_designs: list[tuple[int, Design]] = []
    n_designs = n_compiled = 0
    cols = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    prog = Progress(*cols, transient=False, disable=not progress)
    with prog:
        pr = prog if progress else None
        t = time.monotonic()
        bench_texts = load_benchmark_texts(cfg.decontam, required=cfg.decontam_required)
        dc = Decontaminator(bench_texts, rouge_threshold=cfg.rouge_threshold)
        tag = sha(str([(b.id, len(b.tokens)) for b in dc.bench]) + str((dc.rt, dc.n, dc.nt)), 12)
        secs["load benchmarks"] += time.monotonic() - t
        gen = Generator(cfg)
        per_design = 2 if cfg.kinds == "both" else 1
        rows_task = pr.add_task("rows kept (target)", total=cfg.n) if pr else None
        wave_no, yield_est = 0, 0.5
        while len(clean_rows) < cfg.n and not gen.exhausted:
            wave_no += 1
            need = cfg.n - len(clean_rows)
            t = time.monotonic()
            designs = gen.take(max(200, int(need / per_design / max(yield_est, 0.05) * 1.1)))
            secs["generate"] += time.monotonic() - t
            if not designs:
                break
            n_designs += len(designs)
            t = time.monotonic()
            results = _compile_wave(designs, cfg, cache, pr, wave_no)
            kept = []
            for (i, d), r in zip(designs, results):
                if not r["ok"]:
                    drops["compile"][d.family] += 1
                    warn_examples.setdefault(d.family, r["error"][:200])
                elif r["warnings"] and cfg.drop_warnings:
                    drops["compile warnings"][d.family] += 1
                    warn_examples.setdefault(d.family, r["warnings"][:200])
                else:
                    kept.append((i, d))
            n_compiled += len(kept)
            secs["compile"] += time.monotonic() - t
            t = time.monotonic()
            rows = [(i, d, row) for i, d in kept for row in rows_for(i, d, cfg)]
            verdicts = _decontam_rows([r for _, _, r in rows], dc, tag, cache, cfg, pr, wave_no)
            before = len(clean_rows)
            ok_ids = set()
            for (i, d, r), h in zip(rows, verdicts):
                if h:
                    drops["decontam"][r["family"]] += 1
                    hits.append({"id": r["id"], "family": r["family"], "kind": r["kind"], **h})
                elif len(clean_rows) < cfg.n:
                    clean_rows.append(r)
                    ok_ids.add(i)
            clean_designs += [(i, d) for i, d in kept if i in ok_ids]
            secs["decontaminate"] += time.monotonic() - t
            yield_est = max(0.05, (len(clean_rows) - before) / max(1, len(designs) * per_design))
            if pr:
                pr.update(rows_task, completed=len(clean_rows))

        # --- problems: candidates spread over families (round-robin in index order)
        t = time.monotonic()
        problems = []
        pdrops: Counter = Counter()
        if cfg.problems:
            by_fam: dict[str, list] = defaultdict(list)
            for i, d in clean_designs:
                if "hier" in d.kind_tags:  # a submodule would clash between reference and candidate
                    continue
                by_fam[d.family].append((i, d))
            order = []
            while any(by_fam.values()):
                for f in sorted(by_fam):
                    if by_fam[f]:
                        order.append(by_fam[f].pop(0))
            ptask = pr.add_task("validate problems (ref passes, mutants fail)", total=cfg.problems) if pr else None
            pos = 0
            accepted: list[tuple[Design, dict, dict]] = []
            while len(accepted) < cfg.problems and pos < len(order):
                need = cfg.problems - len(accepted)
                wave = []
                # small waves: the keep rate is ~99%, so a big first wave would validate hundreds too many
                while pos < len(order) and len(wave) < min(cfg.problem_wave, max(4, int(need * 1.1) + 2)):
                    i, d = order[pos]
                    pos += 1
                    pf = problem_files(d, cfg)
                    h = dc.check(pf["prompt"])
                    if h:
                        pdrops["prompt matches a benchmark"] += 1
                        hits.append({"id": f"problem-{d.family}-{i}", "family": d.family, "kind": "problem", "field": "prompt", **h})
                        continue
                    # a code-complete row only vetted the body: the whole reference (named TopModule, as it
                    # would be answered) is checked too, as the corpus build checks its problem solutions
                    h = dc.check(d.code) if cfg.decontam_problem_refs else None
                    if h:
                        pdrops["reference matches a benchmark"] += 1
                        hits.append({"id": f"problem-{d.family}-{i}", "family": d.family, "kind": "problem", "field": "reference", **h})
                        continue
                    key = "p" + sha(BUILD_VERSION + pf["ref"] + pf["test"] + pf["prompt"], 24)
                    wave.append((key, d, pf))
                got = cache.get_many("problem", [k for k, _, _ in wave])
                jobs = [(k, {"id": "P" + k[1:13], "ref": pf["ref"], "test": pf["test"], "prompt": pf["prompt"], "ports": pf["ports"]})
                        for k, _, pf in wave if k not in got]
                for key, res in _pool(P.validate_job, jobs, cfg.workers, None, ""):
                    cache.put("problem", key, res)
                    got[key] = res
                    if res.get("ok") and pr:
                        pr.advance(ptask)
                cache.commit()
                for k, d, pf in wave:
                    res = got[k]
                    if not res["ok"]:
                        pdrops[res["reason"]] += 1
                        drops["problem rejected"][d.family] += 1
                    elif len(accepted) < cfg.problems:
                        accepted.append((d, pf, res))
            if pr:
                pr.update(ptask, completed=len(accepted))
            for d, pf, res in accepted:
                problems.append({"id": f"Proc{len(problems) + 1:05d}_{d.family}", "family": d.family, **pf,
                                 "samples": res["samples"], "killed": res["killed"]})
        secs["problems"] += time.monotonic() - t
        gen_stats = gen.stats()

    # --- write
    t = time.monotonic()
    clean_rows.sort(key=lambda r: r["id"])
    _write_jsonl(out / "round2.jsonl", clean_rows)
    _write_jsonl(out / "contamination.jsonl", hits)
    pdir = out / "problems"
    P.reset_dir(pdir)
    for p in problems:
        P.write_problem(pdir, p["id"], p["prompt"], p["ref"], p["test"])
    (pdir / "problems.txt").write_text("".join(p["id"] + "\n" for p in problems))
    secs["write"] += time.monotonic() - t
    secs["total"] = time.monotonic() - t_all
    fam_rows = Counter(r["family"] for r in clean_rows)
    report = {
        "kind": "procedural",  # `rtlgen data stats` can dispatch on this to render_md below
        "name": out.name,
        "config": asdict(cfg),
        "counts": {"designs_generated": n_designs, "designs_compiled": n_compiled, "rows": len(clean_rows),
                   "rows_by_kind": dict(Counter(r["kind"] for r in clean_rows)),
                   "rows_narrated": sum(r.get("voice") == "narrated" for r in clean_rows), "problems": len(problems),
                   "families": len({r["family"] for r in clean_rows}), "benchmark_texts": len(bench_texts),
                   "waves": wave_no},
        "rows_by_family": dict(sorted(fam_rows.items())),
        "problems_by_family": dict(sorted(Counter(p["family"] for p in problems).items())),
        "generation": gen_stats,
        "drops": {k: dict(sorted(v.items())) for k, v in drops.items()},
        "drop_examples": warn_examples,
        "problem_rejections": dict(pdrops),
        "decontam_hits": len(hits),
        "decontam_hits_by_field": dict(Counter(f"{h['kind']}/{h.get('field', 'prompt')}/{h['metric']}" for h in hits)),
        "decontam_examples": hits[:20],
        "seconds": {k: round(v, 1) for k, v in secs.items()},
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "report.md").write_text(render_md(report))
    cache.close()
    return report


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, path)


def render_md(rep: dict) -> str:
    c = rep["counts"]
    L = ["# Procedural instruction data", "",
         f"- seed {rep['config']['seed']}, target n {rep['config']['n']}, kinds `{rep['config']['kinds']}`",
         f"- designs generated (unique): {c['designs_generated']} from {rep['generation']['draws']} draws; compiled clean: {c['designs_compiled']}",
         f"- round-2 rows: {c['rows']} ({', '.join(f'{k} {v}' for k, v in sorted(c['rows_by_kind'].items()))}; "
         f"{c.get('rows_narrated', 0)} code-complete rows in the narrated voice)",
         f"- validated problems: {c['problems']}",
         f"- decontamination against {c['benchmark_texts']} benchmark texts: {rep['decontam_hits']} hits "
         f"({sum(rep['drops'].get('decontam', {}).values())} rows dropped, the rest problem candidates)",
         f"- seconds: " + ", ".join(f"{k} {v}" for k, v in rep["seconds"].items()), "",
         "## Per family", "", "| family | draws | duplicates | compile drops | warning drops | decontam drops | rows | problems |",
         "|---|---|---|---|---|---|---|---|"]
    g = rep["generation"]
    fams = sorted(set(g["draws_by_family"]) | set(rep["rows_by_family"]))
    for f in fams:
        L.append(f"| {f} | {g['draws_by_family'].get(f, 0)} | {g['duplicates'].get(f, 0)} | "
                 f"{rep['drops'].get('compile', {}).get(f, 0)} | {rep['drops'].get('compile warnings', {}).get(f, 0)} | "
                 f"{rep['drops'].get('decontam', {}).get(f, 0)} | {rep['rows_by_family'].get(f, 0)} | "
                 f"{rep['problems_by_family'].get(f, 0)} |")
    if rep["problem_rejections"]:
        L += ["", "## Problems rejected by the keep rule", ""] + [f"- {k}: {v}" for k, v in sorted(rep["problem_rejections"].items())]
    if g["generator_errors"]:
        L += ["", "## Generator errors", ""] + [f"- {k}: {v}" for k, v in sorted(g["generator_errors"].items())]
    if rep["drop_examples"]:
        L += ["", "## Compile drop examples", ""] + [f"- {k}: `{v}`" for k, v in sorted(rep["drop_examples"].items())]
    if rep["decontam_examples"]:
        L += ["", "## Decontamination hits (first 20)", ""] + [
            f"- {h['id']} ({h['kind']}): {h['bench']} {h['metric']} {h['score']}" for h in rep["decontam_examples"]]
    return "\n".join(L) + "\n"
