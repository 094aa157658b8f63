"""What produced a result: commit, tool versions, isolation, flags, benchmark content hash."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from eval.sandbox import isolation_mode
from eval.simulators import tool_versions

REPO_ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (sha or "unknown") + ("+dirty" if dirty else "")


def provenance(flags: dict, benchmark_sha: str | None = None, extra: dict | None = None) -> dict:
    return {
        "git_commit": git_commit(),
        "tool_versions": tool_versions() | {"python": sys.version.split()[0]},
        "isolation": isolation_mode(),
        "flags": flags,
        "benchmark_sha": benchmark_sha,
        "host": platform.node(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **(extra or {}),
    }
