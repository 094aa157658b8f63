"""A run SIGKILLed after a checkpoint and resumed with --resume ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

import train_helpers as h  # noqa: E402
from finetune import round1  # noqa: E402
from finetune.config import Round1Config  # noqa: E402
from rtlgen.config import load_config  # noqa: E402

STEPS, SAVE = 8, 3


def _losses(out: Path) -> dict[int, float]:
    rows = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    torch.set_num_threads(2)
    model = h.build_tiny(tmp_path / "model")
    data = h.write_round1(tmp_path / "r1.jsonl", n=60)
    common = dict(max_steps=STEPS, save_steps=SAVE, data=str(data), batch_size=2, adapter_save_dtype="float32")

    straight = tmp_path / "straight"
    cfg = load_config(Round1Config, None, h.tiny_overrides(model, straight, **common))
    round1.train(cfg)

    killed = tmp_path / "killed"
    argv = [sys.executable, "-m", "rtlgen.cli", "train", "round1",
            *h.tiny_overrides(model, killed, throttle_s=0.5, **common)]
    env = dict(os.environ, PYTHONPATH=str(h.REPO), OMP_NUM_THREADS="2")
    proc = subprocess.Popen(argv, cwd=h.REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = killed / f"checkpoint-{SAVE}" / "trainer_state.json"
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # let the checkpoint's last file close; the next one is seconds away (throttle)
    assert proc.poll() is None, "run ended before it could be killed: " + proc.stderr.read().decode()[-500:]
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    assert not (killed / "adapter").exists()
    assert not (killed / f"checkpoint-{2 * SAVE}").exists()

    cfg2 = load_config(Round1Config, None, h.tiny_overrides(model, killed, **common))
    summary = round1.train(cfg2, resume=True)
    assert summary["global_step"] == STEPS
    assert summary["resumed_from"].endswith(f"checkpoint-{SAVE}")

    a = h.load_adapter_state(straight / "adapter")
    b = h.load_adapter_state(killed / "adapter")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k], b[k], atol=1e-6, rtol=1e-5), f"{k} differs after resume"
    la, lb = _losses(straight), _losses(killed)
    assert lb[STEPS] == pytest.approx(la[STEPS], rel=1e-5)
    # and the adapter really trained: LoRA B starts at zero
    assert any(v.abs().sum() > 0 for k, v in a.items() if "lora_B" in k)
