"""Leaderboard from run summaries: Markdown for reading in the repo, static HTML with charts."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from eval.failures import CLASSES
from eval.store import read_summary


def _rows(runs: list[tuple[str, dict]]) -> list[dict]:
    rows = []
    for label, summ in runs:
        for bench, s in summ["benchmarks"].items():
            rows.append({"run": label, "bench": bench, **s, "provenance": summ.get("provenance", {})})
    return rows


def _fmt(x) -> str:
    return f"{100 * x:.1f}" if isinstance(x, (int, float)) else "–"


def markdown(runs: list[tuple[str, dict]]) -> str:
    rows = _rows(runs)
    ks = sorted({k for r in rows for k in r["pass@k"]}, key=lambda k: int(k.split("@")[1]))
    lines = ["# rtlgen leaderboard", "",
             "pass@k in percent (unbiased estimator); syntax = share of samples that compile.", "",
             "| run | benchmark | tasks | samples | syntax % | " + " | ".join(f"{k} %" for k in ks) +
             " | ceiling | top failures |",
             "|---|---|---|---|---|" + "---|" * len(ks) + "---|---|"]
    for r in rows:
        ceiling = r.get("ceiling")
        ceil = f"{ceiling['passed']}/{ceiling['of']}" if ceiling else "–"
        fails = ", ".join(f"{c}×{n}" for c, n in list(r["failures"].items())[:4]) or "–"
        lines.append(f"| {r['run']} | {r['bench']} | {r['n_tasks']} | {r['n_samples']} | {_fmt(r['syntax_rate'])} | "
                     + " | ".join(_fmt(r["pass@k"].get(k)) for k in ks) + f" | {ceil} | {fails} |")
    by_run: dict[str, list[dict]] = {}
    for r in rows:
        by_run.setdefault(r["run"], []).append(r)
    multi = {run: rs for run, rs in by_run.items() if len(rs) > 1}
    if multi:
        lines += ["", "## Mean over benchmarks", "",
                  "Unweighted mean of the per-benchmark numbers (each benchmark counts once).", "",
                  "| run | benchmarks | syntax % | " + " | ".join(f"{k} %" for k in ks) + " |",
                  "|---|---|---|" + "---|" * len(ks)]
        def mean(vals: list[float], n: int) -> float | None:  # only when every benchmark has the number
            return sum(vals) / len(vals) if vals and len(vals) == n else None

        for run, rs in multi.items():
            lines.append(f"| {run} | {len(rs)} | {_fmt(mean([r['syntax_rate'] for r in rs], len(rs)))} | " +
                         " | ".join(_fmt(mean([r['pass@k'][k] for r in rs if k in r['pass@k']], len(rs))) for k in ks) + " |")
    lines += ["", "## Failure classes", ""] + [f"- `{c}` {d}" for c, d in CLASSES.items()]
    lines += ["", "## Provenance", ""]
    for label, summ in runs:
        p = summ.get("provenance", {})
        tv = ", ".join(f"{k} {v}" for k, v in p.get("tool_versions", {}).items())
        lines.append(f"- **{label}**: commit `{p.get('git_commit', '?')}`, benchmark sha `{p.get('benchmark_sha', '?')}`, "
                     f"isolation: {p.get('isolation', '?')}; tools: {tv}; flags: `{p.get('flags', {})}`")
    return "\n".join(lines) + "\n"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def charts(runs: list[tuple[str, dict]]) -> list[tuple[str, str]]:
    """(title, base64 PNG): one pass@k bar chart and one failure breakdown per benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _rows(runs)
    out = []
    for bench in dict.fromkeys(r["bench"] for r in rows):
        sel = [r for r in rows if r["bench"] == bench]
        ks = sorted({k for r in sel for k in r["pass@k"]}, key=lambda k: int(k.split("@")[1]))
        fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(sel) * max(1, len(ks))), 3))
        width = 0.8 / max(1, len(ks))
        for i, k in enumerate(ks):
            ax.bar([j + i * width for j in range(len(sel))], [100 * r["pass@k"].get(k, 0) for r in sel], width, label=k)
        ax.set_xticks([j + width * (len(ks) - 1) / 2 for j in range(len(sel))], [r["run"] for r in sel], rotation=20)
        ax.set_ylabel("%")
        ax.set_title(f"{bench}: pass@k")
        ax.legend(fontsize=8)
        out.append((f"{bench} pass@k", _png(fig)))
        plt.close(fig)
        codes = sorted({c for r in sel for c in r["failures"]})
        if codes:
            fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(sel)), 3))
            bottom = [0] * len(sel)
            for c in codes:
                vals = [r["failures"].get(c, 0) for r in sel]
                ax.bar([r["run"] for r in sel], vals, bottom=bottom, label=f"{c} {CLASSES.get(c, '')}"[:28])
                bottom = [b + v for b, v in zip(bottom, vals)]
            ax.set_title(f"{bench}: failure classes (samples)")
            ax.legend(fontsize=6, bbox_to_anchor=(1.02, 1), loc="upper left")
            out.append((f"{bench} failures", _png(fig)))
            plt.close(fig)
    return out


def html_page(runs: list[tuple[str, dict]], md: str) -> str:
    imgs = "\n".join(f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b}"><figcaption>'
                     f"{html.escape(t)}</figcaption></figure>" for t, b in charts(runs))
    rows = _rows(runs)
    ks = sorted({k for r in rows for k in r["pass@k"]}, key=lambda k: int(k.split("@")[1]))
    head = "".join(f"<th>{h}</th>" for h in ["run", "benchmark", "tasks", "samples", "syntax %", *ks, "ceiling"])
    body = ""
    for r in rows:
        c = r.get("ceiling")
        cells = [r["run"], r["bench"], r["n_tasks"], r["n_samples"], _fmt(r["syntax_rate"]),
                 *[_fmt(r["pass@k"].get(k)) for k in ks], f"{c['passed']}/{c['of']}" if c else "–"]
        body += "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in cells) + "</tr>\n"
    prov = "".join(f"<li><b>{html.escape(l)}</b>: commit {html.escape(str(s.get('provenance', {}).get('git_commit')))}, "
                   f"tools {html.escape(str(s.get('provenance', {}).get('tool_versions')))}, flags "
                   f"{html.escape(str(s.get('provenance', {}).get('flags')))}</li>" for l, s in runs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>rtlgen leaderboard</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}figure{{display:inline-block;margin:1em}}</style></head><body>
<h1>rtlgen leaderboard</h1><table><tr>{head}</tr>{body}</table>{imgs}<h2>Provenance</h2><ul>{prov}</ul>
</body></html>"""


def write_report(run_dirs: list[str | Path], out_dir: str | Path) -> tuple[Path, Path]:
    runs = []
    for d in run_dirs:
        s = read_summary(d)
        runs.append((s.get("run") or Path(d).name, s))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(runs)
    (out / "leaderboard.md").write_text(md)
    (out / "leaderboard.html").write_text(html_page(runs, md))
    return out / "leaderboard.md", out / "leaderboard.html"
