"""Stage 6: a documented quality score in [0, 1], in the spirit of AutoVCoder's code scorer.

    score = 0.30 * structure + 0.20 * comments + 0.20 * naming + 0.15 * lint + 0.15 * synth

* structure (0..1): has inputs and outputs (0.4); size between 5 and 400 non-blank lines (0.3);
  no `initial` blocks or delays (`#`) inside a design, which synthesis ignores (0.3).
* comments (0..1): 1 when 5-50% of non-blank lines carry comments, falling off linearly to 0 at
  0% and 100%.
* naming (0..1): share of port names longer than one character.
* lint (0..1): Verilator `--lint-only -Wall` warnings per 100 lines w: max(0, 1 - w / 10); 0 on
  errors. Only when `quality.lint` is on; otherwise the neutral 0.5.
* synth (0..1): 1 when Yosys `synth` succeeds, else 0. Only when `quality.synth` is on; otherwise
  the neutral 0.5.
Modules below `quality.threshold` (0.3 by default) are dropped.
"""

from __future__ import annotations

import re

from data_pipeline.util import strip_comments


def static_score(code: str, ports: list[dict]) -> dict:
    lines = [l for l in code.splitlines() if l.strip()]
    n = max(1, len(lines))
    body = strip_comments(code)
    has_io = any(p["dir"] == "input" for p in ports) and any(p["dir"] == "output" for p in ports)
    structure = (0.4 if has_io else 0.0) + (0.3 if 5 <= n <= 400 else 0.0) + \
                (0.3 if not re.search(r"\binitial\b|#\s*\d", body) else 0.0)
    commented = sum(1 for l in lines if "//" in l or "/*" in l or l.strip().startswith("*"))
    frac = commented / n
    comments = 1.0 if 0.05 <= frac <= 0.5 else (frac / 0.05 if frac < 0.05 else max(0.0, (1 - frac) / 0.5))
    naming = (sum(1 for p in ports if len(p["name"]) > 1) / len(ports)) if ports else 0.0
    return {"structure": round(structure, 3), "comments": round(comments, 3), "naming": round(naming, 3)}


def combine(parts: dict) -> float:
    return round(0.30 * parts["structure"] + 0.20 * parts["comments"] + 0.20 * parts["naming"]
                 + 0.15 * parts.get("lint", 0.5) + 0.15 * parts.get("synth", 0.5), 4)


def tool_scores(job: dict) -> dict:
    """Lint and/or synthesis scores for one module (worker side; each its own sandboxed run)."""
    from eval.sandbox import RunDir
    from eval.simulators import lint_summary, verilator_lint, yosys_check

    out = {}
    code, name = job["code"], job["name"]
    n = max(1, len([l for l in code.splitlines() if l.strip()]))
    with RunDir(prefix="rtlgen-q-") as rd:
        (rd / "m.sv").write_text(code)
        if job.get("lint"):
            s = lint_summary(verilator_lint(rd, ["m.sv"], top=name))
            out["lint"] = 0.0 if s["errors"] else round(max(0.0, 1 - (s["warnings"] * 100 / n) / 10), 3)
        if job.get("synth"):
            r = yosys_check(rd, ["m.sv"], top=name)
            out["synth"] = 1.0 if r.ok else 0.0
    return out


def tool_job(args):
    key, job = args
    return key, tool_scores(job)
