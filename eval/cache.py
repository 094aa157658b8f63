"""Result cache keyed by (benchmark content, task, normalised candidate, simulator version).

Sampling at n=20 produces many identical candidates (small models especially); each distinct one
is simulated once. Entries are small JSON files so concurrent workers never corrupt each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from eval.extract import strip_comments



def _harness_sha() -> str:
    """Hash of the code that builds and judges runs: a harness change invalidates old results."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted([*root.glob("benchmarks/*.py"), root / "failures.py", root / "sandbox.py",
                     root / "simulators.py", root / "extract.py"]):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


CACHE_VERSION = "1-" + _harness_sha()


def cache_dir() -> Path:
    base = os.environ.get("RTLGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "rtlgen")
    return Path(base)


def normalise(candidate: str) -> str:
    return re.sub(r"\s+", " ", strip_comments(candidate)).strip()


class ResultCache:
    def __init__(self, root: Path | None = None, enabled: bool = True):
        self.root = (root or cache_dir()) / "eval"
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def key(self, bench_id: str, task_id: str, candidate: str, sim_version: str, mode: str = "") -> str:
        h = hashlib.sha256()
        for part in (CACHE_VERSION, bench_id, task_id, normalise(candidate), sim_version, mode):
            h.update(part.encode("utf-8", "replace"))
            h.update(b"\0")
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        if not self.enabled:
            return None
        try:
            value = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: dict) -> None:
        if not self.enabled:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{id(value)}.tmp")
        tmp.write_text(json.dumps(value))
        os.replace(tmp, path)

    # Per-task durations from earlier runs, to schedule the longest tasks first. They are scheduling
    # hints, not results, so they are kept even when result caching is off (`--no-cache`).
    def timings(self, bench_id: str) -> dict[str, float]:
        try:
            return json.loads((self.root / "timings" / f"{bench_id}.json").read_text())
        except (OSError, ValueError):
            return {}

    def save_timings(self, bench_id: str, timings: dict[str, float]) -> None:
        path = self.root / "timings" / f"{bench_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = self.timings(bench_id)
        old.update(timings)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(old))
        os.replace(tmp, path)
