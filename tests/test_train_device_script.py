"""The GPU job's single command runs end to end on CPU with a tiny model and returns ≤ 8 files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

pytest.importorskip("trl")

import train_helpers as h  # noqa: E402


def test_device_train_all_tiny(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    h.write_round1(data / "round1.jsonl")
    h.write_round2(data / "round2.jsonl")
    shutil.copytree(h.PROBLEMS, data / "problems")
    out = tmp_path / "out"
    cmd = [sys.executable, str(h.REPO / "scripts" / "device_train_all.py"), "--tiny", "--data", str(data),
           "--out", str(out), "--work", str(tmp_path / "work"), "--r1-steps", "2", "--r2-steps", "2",
           "--dpo-steps", "2", "--samples", str(h.FIXTURES / "samples.jsonl")]
    proc = subprocess.run(cmd, cwd=h.REPO, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS="2"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["dpo_adapter.tar.gz", "round1_adapter.tar.gz", "round2_adapter.tar.gz", "train_logs.tar.gz",
                     "train_report.json"]
    report = json.loads((out / "train_report.json").read_text())
    assert [report[s]["global_step"] for s in ("round1", "round2", "dpo")] == [2, 2, 2]
    with tarfile.open(out / "round2_adapter.tar.gz") as tar:
        assert "round2/adapter/adapter_model.safetensors" in tar.getnames()
    cfg = json.loads(tarfile.open(out / "train_logs.tar.gz").extractfile("dpo/dpo_config.json").read())
    assert len(cfg["init_adapters"]) == 2  # DPO starts from R1 + R2 merged


def test_failing_stage_still_returns_earlier_adapters(tmp_path):
    """A crash in a late stage (here DPO with a missing pairs file) must not cost the GPU time spent
    on the stages before it: their adapters come back and the report names the error."""
    data = tmp_path / "data"
    data.mkdir()
    h.write_round1(data / "round1.jsonl")
    shutil.copytree(h.PROBLEMS, data / "problems")
    out = tmp_path / "out"
    cmd = [sys.executable, str(h.REPO / "scripts" / "device_train_all.py"), "--tiny", "--data", str(data),
           "--out", str(out), "--work", str(tmp_path / "work"), "--stages", "round1,dpo", "--r1-steps", "1",
           "--pairs", str(tmp_path / "missing.jsonl")]
    proc = subprocess.run(cmd, cwd=h.REPO, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS="2"))
    assert proc.returncode == 1
    assert (out / "round1_adapter.tar.gz").exists()
    report = json.loads((out / "train_report.json").read_text())
    assert "pairs file not found" in report["error"] and report["round1"]["global_step"] == 1
