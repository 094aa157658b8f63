"""The showcase page of `rtlgen report`: spec, per-sub-block outcome of hierarchical generation,
the synthesis table and the plots, read from the files the showcase scripts commit."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from eval.errors import UserError


def _first_paragraph(md: str) -> str:
    paras = [p.strip() for p in md.split("\n\n") if p.strip() and not p.lstrip().startswith("#")]
    return paras[0] if paras else ""


def _blocks_table(report: dict) -> list[str]:
    rows = ["| block | status | candidates | repair rounds | compiles | lint-clean | test |",
            "|---|---|---|---|---|---|---|"]
    yes = {True: "yes", False: "no", None: "–"}
    for b in report.get("blocks", []):
        rows.append(f"| {b['name']} | {b.get('status', '?')} | {b.get('candidates_tried', '–')} | "
                    f"{b.get('repair_rounds_used', '–')} | {yes[b.get('compiles')]} | {yes[b.get('lint_clean')]} | "
                    f"{yes[b.get('tests_passed')]} |")
    a = report.get("assembled", {})
    rows.append(f"| **assembled top** | {a.get('status', '?')} | – | – | {yes[a.get('compiles')]} | "
                f"{yes[a.get('lint_clean')]} | {yes[a.get('tests_passed')]} |")
    return rows


def showcase_markdown(showcase_dir: Path, spec: Path | None) -> tuple[str, list[Path]]:
    """(Markdown, plots to embed) for a showcase results folder."""
    d = Path(showcase_dir)
    if not d.is_dir():
        raise UserError(f"showcase folder not found: {d}")
    lines = ["# Showcase: MoE expert-offload controller", ""]
    if spec and spec.exists():
        lines += [f"Spec (`{spec}`): " + _first_paragraph(spec.read_text(encoding="utf-8")), ""]
    gen = d / "generated" / "report.json"
    if gen.exists():
        rep = json.loads(gen.read_text())
        s = rep.get("summary", {})
        lines += ["## Generated with rtlgen (hierarchical)", "",
                  f"Model `{rep.get('config', {}).get('model', '?')}`: {s.get('blocks_accepted', 0)}/{s.get('blocks', 0)} "
                  f"sub-blocks accepted, {s.get('candidates_tried', 0)} candidates, {s.get('repair_rounds_used', 0)} "
                  f"repair rounds; assembled design passes the full bench: {'yes' if s.get('assembled_passes') else 'no'}.",
                  ""] + _blocks_table(rep) + [""]
    else:
        lines += ["## Generated with rtlgen (hierarchical)", "", "No generation report yet.", ""]
    sweep = d / "synth_sweep.md"
    if sweep.exists():
        body = [ln for ln in sweep.read_text().splitlines() if not ln.startswith("# ")]
        lines += ["## Synthesis of the reference RTL", ""] + body + [""]
    plots = [p for p in (d / "synth_sweep.png", d / "policy_study.png") if p.exists()]
    if (d / "policy_study.json").exists():
        lines += ["## Cache-policy study (golden model)", "", "See `policy_study.png`.", ""]
    return "\n".join(lines) + "\n", plots


def write_showcase(showcase_dir: Path, out_dir: Path, spec: Path | None = None) -> tuple[Path, Path]:
    md, plots = showcase_markdown(showcase_dir, spec)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "showcase.md").write_text(md)
    imgs = "".join(f'<figure><img alt="{html.escape(p.name)}" src="data:image/png;base64,'
                   f'{base64.b64encode(p.read_bytes()).decode()}"><figcaption>{html.escape(p.name)}</figcaption></figure>'
                   for p in plots)
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>rtlgen showcase</title></head>'
            f'<body style="font-family:sans-serif;max-width:1100px;margin:2em auto"><pre style="white-space:pre-wrap">'
            f"{html.escape(md)}</pre>{imgs}</body></html>")
    (out / "showcase.html").write_text(page)
    return out / "showcase.md", out / "showcase.html"
