"""Shared helpers for the data-pipeline tests: a fixture config builder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FIX = Path(__file__).parent / "fixtures" / "data"


def git_repo(src: Path, dest: Path) -> Path:
    """A real git repository (one commit) holding a copy of `src`."""
    shutil.copytree(src, dest)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "PATH": "/usr/bin:/bin", "HOME": str(dest)}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "fixture"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    return dest


def fixture_config(tmp: Path, **over) -> "DataConfig":  # noqa: F821
    from data_pipeline.config import DataConfig, SourceSpec

    mirror = git_repo(FIX / "repo_mit", tmp / "repo_mit_git")
    subprocess.run(["git", "clone", "-q", "--bare", str(mirror), str(tmp / "mirror.git")], check=True)
    cfg = DataConfig(
        name="fixture", workers=1,
        sources=[SourceSpec(kind="git", name="fixture/repo_mit", path=str(tmp / "mirror.git")),
                 SourceSpec(kind="local", name="fixture/nolicense", path=str(FIX / "repo_nolicense"))],
    )
    cfg.decontam.benchmarks = {f"local:{FIX / 'bench'}": None}
    cfg.filter.min_tokens = 10
    cfg.quality.threshold = 0.3
    for k, v in over.items():
        setattr(cfg, k, v)
    return cfg
