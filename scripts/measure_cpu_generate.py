#!/usr/bin/env python3
"""CPU measurements of the default model: cold/warm load time and tokens/s of `rtlgen generate`.

* cold load — a fresh process, empty cache: GGUF read, dequantized, saved, loaded (what the first
  `rtlgen generate` of a user pays once);
* warm load — a fresh process, the converted checkpoint already cached;
* generate — `rtlgen generate` on example specs (2 candidates, 1 repair round), tokens/s from its
  report; and the raw backend rate at n = 1 and n = 4 with a fixed 64-token answer.

The machine is shared, so the load average and thread count are recorded next to every number.
Writes results/generate/cpu_load.json and results/generate/cpu_generate.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "results" / "generate"
PY = sys.executable

LOAD_SNIPPET = """
import json, time, sys
t = time.time()
from rtlgen.runtime import load_model
lm = load_model("smollm2-135m", log=lambda *a: None)
import torch
print(json.dumps({"load_seconds": round(time.time() - t, 2), "threads": torch.get_num_threads(), "path": lm.path}))
"""


def child(code: str, env: dict) -> dict:
    t = time.time()
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    if p.returncode != 0:
        raise SystemExit(p.stderr[-2000:])
    d = json.loads(p.stdout.strip().splitlines()[-1])
    d["process_seconds"] = round(time.time() - t, 2)
    return d


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    with tempfile.TemporaryDirectory() as cache:
        env_cold = dict(env, RTLGEN_CACHE=cache)
        la = os.getloadavg()[0]
        cold = child(LOAD_SNIPPET, env_cold)
        cold["loadavg_before"] = la
        warm = []
        for _ in range(3):
            la = os.getloadavg()[0]
            w = child(LOAD_SNIPPET, env_cold)
            w["loadavg_before"] = la
            warm.append(w)
    load = {"model": "smollm2-135m", "cold": cold, "warm": warm,
            "warm_median_load_seconds": sorted(w["load_seconds"] for w in warm)[1], "machine": machine}
    (OUT / "cpu_load.json").write_text(json.dumps(load, indent=2) + "\n")
    print(json.dumps(load, indent=2))

    # raw backend rate, fixed-length answers
    sys.path.insert(0, str(REPO))
    import torch

    from rtlgen.backends import SamplingParams, get_backend
    from rtlgen.prompts import build_prompt

    be = get_backend("hf", model="smollm2-135m", log=lambda *a: None)
    spec = (REPO / "examples" / "counter" / "spec.txt").read_text()
    raw = {}
    for n in (1, 4):
        la = os.getloadavg()[0]
        t = time.time()
        res = be.generate([build_prompt(spec, shots=1)], SamplingParams(n=n, temperature=0.8, max_new_tokens=64,
                                                                         stop=(), ignore_eos=True), progress=False)
        sec = time.time() - t
        tok = sum(c.tokens for c in res[0])
        raw[f"n={n}"] = {"tokens": tok, "seconds": round(sec, 2), "tokens_per_s": round(tok / sec, 1),
                         "loadavg_before": la, "threads": torch.get_num_threads()}
        print(n, raw[f"n={n}"], flush=True)
    runs = []
    for ex in ("and_gate", "counter"):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / f"{ex}.v"
            la = os.getloadavg()[0]
            t = time.time()
            p = subprocess.run([PY, "-m", "rtlgen.cli", "generate", f"examples/{ex}/spec.txt", "-o", str(out), "-n", "2",
                                "--repair", "1", "--max-new-tokens", "256", "--tb", f"examples/{ex}/tb.v", "-q"],
                               capture_output=True, text=True, env=env, cwd=REPO)
            wall = time.time() - t
            rep = json.loads(out.with_suffix(".report.json").read_text())
            runs.append({"example": ex, "exit_code": p.returncode, "wall_seconds": round(wall, 1),
                         "candidates": len(rep["candidates"]), "best_status": rep["best_status"],
                         "generation": rep["generation"], "loadavg_before": la})
            print(runs[-1], flush=True)
    gen = {"model": "smollm2-135m", "device": "cpu", "backend": be.describe(), "raw_backend_fixed_64_tokens": raw,
           "rtlgen_generate": runs, "machine": machine,
           "note": "shared 2-core machine: other jobs ran at the same time (see loadavg_before)"}
    (OUT / "cpu_generate.json").write_text(json.dumps(gen, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
