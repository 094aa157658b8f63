"""Stage 8: datasets out (JSONL + HF `datasets.save_to_disk`), problems/ in the v2 layout, and the
report (report.json for machines, report.md with the funnel, license mix, length histogram and
top sources for people).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from data_pipeline import problems as P
from data_pipeline.describe import port_lines
from data_pipeline.util import code_tokens, write_jsonl


def _round2_prompt(m: dict) -> str:
    ports = "\n".join(port_lines(m["info"]["ports"]))
    return (f"Write a synthesizable Verilog module named `{m['name']}`.\n\nInterface:\n{ports}\n\n"
            f"Description: {m['description']}\n")


def export(cfg, out: Path, modules, problems, knowledge, testbenches, held_out, sources, funnel, contaminated,
           parsers, n_bench_texts) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    mods = [{"id": m["id"], "name": m["name"], "code": m["code"], "description": m["description"],
             "repo": m["repo"], "commit": m["commit"], "path": m["path"], "license": m["license"],
             "line_start": m["line_start"], "line_end": m["line_end"], "quality": m["quality"],
             "compiler": m.get("compiler", "iverilog"),
             **({"teacher": m["teacher"]} if m.get("teacher") else {})} for m in modules]
    round1 = [{"text": m["code"], "source": f"{m['repo']}:{m['path']}:{m['line_start']}", "license": m["license"]}
              for m in modules]
    round2 = []
    for m in modules:
        src = f"{m['repo']}:{m['path']}:{m['line_start']}"
        round2.append({"prompt": _round2_prompt(m), "completion": m["code"], "source": src})
        for grain, text in (m.get("teacher") or {}).items():
            round2.append({"prompt": f"Implement this Verilog module `{m['name']}`.\n\n{text}\n",
                           "completion": m["code"], "source": src + f"#teacher-{grain}"})
    for p in problems:
        round2.append({"prompt": p["prompt"], "completion": P.rename(p["ref"], "RefModule", "TopModule"),
                       "source": f"{p['repo']}:{p['path']}#problem"})
    counts = {
        "modules": write_jsonl(out / "modules.jsonl", mods),
        "round1": write_jsonl(out / "round1.jsonl", round1),
        "round2": write_jsonl(out / "round2.jsonl", round2),
        "knowledge": write_jsonl(out / "knowledge.jsonl", knowledge),
        "testbenches": write_jsonl(out / "testbenches.jsonl", [
            {"name": t["name"], "code": t["code"], "repo": t["repo"], "path": t["path"], "license": t["license"]}
            for t in testbenches]),
    }
    held = out / "held_out"
    held.mkdir(exist_ok=True)
    write_jsonl(held / "unknown_license.jsonl", [{"name": m["name"], "repo": m["repo"], "path": m["path"],
                                                   "commit": m["commit"]} for m in held_out])
    write_jsonl(out / "contamination.jsonl", contaminated)
    # problems/ in the VerilogEval v2 layout
    pdir = out / "problems"
    tmp = out / "problems.tmp"
    P.reset_dir(tmp)
    for p in problems:
        P.write_problem(tmp, p["id"], p["prompt"], p["ref"], p["test"])
    (tmp / "problems.txt").write_text("".join(p["id"] + "\n" for p in problems))
    write_jsonl(tmp / "problems_meta.jsonl", [{k: p[k] for k in ("id", "module_id", "repo", "path", "license",
                                                                   "samples", "killed")} for p in problems])
    if pdir.exists():
        import shutil

        shutil.rmtree(pdir)
    tmp.rename(pdir)
    counts["problems"] = len(problems)
    _save_hf(out, {"modules": mods, "round1": round1, "round2": round2, "knowledge": knowledge,
                   "problems": [{k: p[k] for k in ("id", "prompt", "ref", "test", "repo", "path", "license")}
                                for p in problems]})
    report = _report(cfg, out, modules, problems, knowledge, sources, funnel, contaminated, parsers, counts,
                     n_bench_texts, held_out, testbenches)
    return report


def _save_hf(out: Path, tables: dict) -> None:
    """Each table also as an HF dataset (`datasets.load_from_disk(out/'hf'/name)`)."""
    import shutil

    from datasets import Dataset

    hf = out / "hf"
    hf.mkdir(exist_ok=True)
    for name, rows in tables.items():
        target = hf / name
        tmp = hf / (name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        if rows:
            ds = Dataset.from_list([{k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in r.items()}
                                    for r in rows])
        else:
            ds = Dataset.from_dict({})
        ds.save_to_disk(str(tmp))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)


def _report(cfg, out, modules, problems, knowledge, sources, funnel, contaminated, parsers, counts, n_bench,
            held_out, testbenches) -> dict:
    lengths = [len(code_tokens(m["code"])) for m in modules]
    lic = Counter(m["license"] for m in modules)
    top = Counter(m["repo"] for m in modules).most_common(25)
    report = {
        "name": cfg.name,
        "counts": counts,
        "funnel": [{"stage": s, "count": n} for s, n in funnel.stages],
        "drops": {stage: dict(c.most_common()) for stage, c in funnel.drops.items()},
        "license_mix": dict(lic.most_common()),
        "held_out_unknown_license": len(held_out),
        "testbenches_kept_apart": len(testbenches),
        "length_tokens": _hist_stats(lengths),
        "top_sources": [{"repo": r, "modules": n} for r, n in top],
        "sources": sources,
        "n_sources": len(sources),
        "parsers": parsers,
        "decontamination": {"benchmark_texts": n_bench, "benchmarks": list(cfg.decontam.benchmarks),
                            "removed": len(contaminated),
                            "by_benchmark": dict(Counter(c["bench"].split("/")[0] for c in contaminated)),
                            "examples": contaminated[:50]},
        "problems": {"count": len(problems), "mutants_killed": dict(Counter(k for p in problems for k in p["killed"]))},
        "seconds": funnel.seconds,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    plot = _plot(lengths, out / "length_hist.png")
    (out / "report.md").write_text(render_md(report, plot))
    return report


def _hist_stats(xs: list[int]) -> dict:
    if not xs:
        return {"n": 0}
    s = sorted(xs)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"n": len(s), "min": s[0], "p10": pick(0.1), "median": pick(0.5), "p90": pick(0.9), "max": s[-1],
            "mean": round(sum(s) / len(s), 1)}


def _plot(lengths: list[int], path: Path) -> str | None:
    if not lengths:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 3.5))
    bins = np.logspace(np.log10(max(1, min(lengths))), np.log10(max(lengths) + 1), 40)
    ax.hist(lengths, bins=bins, color="#3b6ea5")
    ax.set_xscale("log")
    ax.set_xlabel("module length (tokens)")
    ax.set_ylabel("modules")
    ax.set_title("Length of kept design modules")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def render_md(r: dict, plot: str | None = None) -> str:
    L = [f"# Data build report: {r['name']}", ""]
    c = r["counts"]
    L.append(f"**{c['modules']} unique design modules**, {c['problems']} validated problems, {c['round1']} round-1 "
             f"texts, {c['round2']} round-2 pairs, {c['knowledge']} knowledge passages, from {r['n_sources']} sources.")
    L += ["", "## Funnel", "", "| stage | count |", "| --- | ---: |"]
    L += [f"| {f['stage']} | {f['count']} |" for f in r["funnel"]]
    L += ["", "## Why items left", ""]
    for stage, reasons in r["drops"].items():
        L.append(f"- **{stage}**: " + ", ".join(f"{k} ({v})" for k, v in reasons.items()))
    L += ["", "## License mix (kept modules)", "", "| license | modules |", "| --- | ---: |"]
    L += [f"| {k} | {v} |" for k, v in r["license_mix"].items()]
    L.append(f"\nUnknown-license modules held out (not trained on): {r['held_out_unknown_license']}. "
             f"Testbenches kept apart: {r['testbenches_kept_apart']}.")
    lt = r["length_tokens"]
    L += ["", "## Length (tokens)", "", ", ".join(f"{k} {v}" for k, v in lt.items())]
    if plot:
        L += ["", f"![length histogram]({plot})"]
    L += ["", "## Top sources", "", "| repo | modules |", "| --- | ---: |"]
    L += [f"| {t['repo']} | {t['modules']} |" for t in r["top_sources"]]
    d = r["decontamination"]
    L += ["", "## Decontamination", "",
          f"Checked against {d['benchmark_texts']} benchmark texts ({', '.join(d['benchmarks'])}); "
          f"removed {d['removed']} items: " + ", ".join(f"{k} {v}" for k, v in d["by_benchmark"].items()), ""]
    if d["examples"]:
        L += ["| removed | source | matched | metric | score |", "| --- | --- | --- | --- | ---: |"]
        for e in d["examples"][:30]:
            L.append(f"| {e['what']} {e.get('name') or ''} | {e.get('source')}:{e.get('path') or ''} | {e['bench']} | "
                     f"{e['metric']} | {e['score']} |")
    p = r["problems"]
    L += ["", "## Problems", "", f"{p['count']} problems kept; mutants killed: {p['mutants_killed']}"]
    L += ["", "## Timing (s)", "", ", ".join(f"{k} {v}" for k, v in r["seconds"].items()), ""]
    return "\n".join(L)
