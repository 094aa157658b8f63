"""1 vs. 2 ranks through `scripts/bench_train.py --world-sizes 1,2` on CPU (gloo), tiny model.

Why: the GPU run of issue #5 ("throughput of 1 vs. 2 GPUs in the same lease") gets one device call;
this proves on CPU that the same command starts both world sizes through `accelerate launch` with the
repository's DDP config, that each rank trains on its own share of the data, that global tokens are
the sum of the per-rank counts and agree with trl's own gathered token counter, and that the scaling
figures are computed from the measured numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from train_helpers import REPO, write_round1


@pytest.fixture(scope="module")
def multi_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench-multi")
    data = write_round1(tmp / "round1.jsonl", n=80)
    out = tmp / "multi.json"
    cmd = [sys.executable, "scripts/bench_train.py", "--tiny", "--data", str(data), "--docs", "80",
           "--steps", "2", "--warmup", "1", "--batch", "2", "--seq", "128", "--variants", "tuned,tuned-lora",
           "--world-sizes", "1,2", "--out", str(out)]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=400, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_both_world_sizes_and_global_tokens(multi_report):
    rep, _ = multi_report
    assert rep["world_sizes"] == [1, 2]
    assert [r["world_size"] for r in rep["runs"]] == [1, 2]
    assert "accelerate.commands.launch" in rep["runs"][1]["command"]
    assert "scripts/accelerate/ddp.yaml" in rep["runs"][1]["command"]
    for run in rep["runs"]:
        n = run["world_size"]
        assert [r["variant"] for r in run["results"]] == ["tuned", "tuned-lora"]
        for r in run["results"]:
            assert r["world_size"] == n
            assert len(r["per_rank_tokens"]) == n and len(r["window_s_per_rank"]) == n
            assert r["global_tokens"] == sum(r["per_rank_tokens"])
            # trl gathers its own token count across ranks; our per-rank sum must agree with it
            assert r["trl_window_tokens"] == r["global_tokens"]
            # at most 2 timed steps x batch 2 x 128 packed tokens per rank (the corpus's last packed
            # row is short, and the shuffled sampler may hand it to any rank)
            assert all(2 * 128 < t <= 2 * 2 * 128 for t in r["per_rank_tokens"])
            assert r["tokens_per_s"] == pytest.approx(r["global_tokens"] / r["window_s"], rel=1e-3)
            assert r["tokens_per_s_per_gpu"] == pytest.approx(r["tokens_per_s"] / n, rel=1e-3)
            assert r["window_s"] == pytest.approx(max(r["window_s_per_rank"]), rel=1e-3)
            assert r["settings"]["ddp_find_unused_parameters"] is False


def test_scaling_efficiency_from_measurements(multi_report):
    rep, stdout = multi_report
    by = {(s["variant"], s["world_size"]): s for s in rep["scaling"]}
    assert set(by) == {(v, n) for v in ("tuned", "tuned-lora") for n in (1, 2)}
    for v in ("tuned", "tuned-lora"):
        one, two = by[(v, 1)], by[(v, 2)]
        assert one["scaling_efficiency"] == pytest.approx(1.0)
        assert two["scaling_efficiency"] == pytest.approx(two["tokens_per_s"] / (2 * one["tokens_per_s"]), rel=1e-3)
        assert two["speedup"] == pytest.approx(2 * two["scaling_efficiency"], rel=1e-2)
    assert "efficiency" in stdout and "tuned-lora" in stdout


def test_refuses_gguf_inside_ranks(tmp_path):
    """A rank must never convert the GGUF itself (ranks would race on the cache)."""
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", WORLD_SIZE="2", RANK="1", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "scripts/bench_train.py", "--model", str(gguf)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2 and "convert the GGUF before launching ranks" in proc.stderr


def test_hung_launch_is_killed_and_reported(tmp_path):
    """A launch past --launch-timeout is killed with its whole process group; the JSON still comes back."""
    out = tmp_path / "multi.json"
    cmd = [sys.executable, "scripts/bench_train.py", "--tiny", "--docs", "40", "--steps", "1", "--warmup", "1",
           "--variants", "tuned", "--world-sizes", "1,2", "--launch-timeout", "1", "--out", str(out)]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=200, env=env)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    rep = json.loads(out.read_text())
    assert rep["failed"] == [1, 2] and all(r["error"] == "exit timeout" for r in rep["runs"])
    assert rep["scaling"] == []
    for run in rep["runs"]:  # no rank of a killed launch survives it
        ps = subprocess.run(["pgrep", "-f", run["command"].split(" --out ")[1]], capture_output=True, text=True)
        assert ps.stdout.strip() == ""
