"""A run on disk: `samples.jsonl` (one result per line) and `summary.json`, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eval.errors import UserError


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_run(out_dir: str | Path, results: list[dict], summary: dict) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "samples.jsonl", "".join(json.dumps(r) + "\n" for r in results))
    _atomic_write(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return out


def read_summary(run_dir: str | Path) -> dict:
    p = Path(run_dir)
    f = p / "summary.json" if p.is_dir() else p
    if not f.exists():
        raise UserError(f"no summary.json in {p}")
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{f} is not a valid summary ({exc})") from None
