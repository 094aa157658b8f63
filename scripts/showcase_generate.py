#!/usr/bin/env python3
"""Showcase deliverable 5: generate the MoE offload controller hierarchically and report honestly.

Runs `testbenches/offload_controller/plan.yaml` through `rtlgen.hierarchical.run_plan`: each
sub-block (victim selector, tag store, DMA request buffer, CSR block) is generated with N
candidates, checked with Icarus + Verilator + its port list, unit-tested against its
golden-model-derived cocotb bench (`oc_runner.run_bench`), repaired from the tool output, and the
top is generated against the accepted blocks' interfaces; the assembled design runs the full bench.

    .venv/bin/python scripts/showcase_generate.py                       # smollm2-135m on CPU
    .venv/bin/python scripts/showcase_generate.py --model runs/sft/merged --device cuda -n 8 --repair 2
    .venv/bin/python scripts/showcase_generate.py --endpoint http://localhost:8000/v1 --model Qwen/Qwen2.5-Coder-7B-Instruct

Writes <out>/report.json (every candidate, its checks and the errors behind each repair),
<out>/report.md, <out>/offload_controller.sv (the assembled design) and <out>/blocks/<name>.sv.
The machine's load average and thread count go into the report: the CPU numbers are from a shared box.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m", help="alias, HF id, local dir or .gguf (or the endpoint's model)")
    ap.add_argument("--backend", default=None, help="hf, openai or vllm (default: openai with --endpoint, else hf)")
    ap.add_argument("--endpoint", default=None, help="OpenAI-compatible URL")
    ap.add_argument("--adapter", action="append", default=[], help="peft LoRA adapter dir (repeatable)")
    ap.add_argument("-n", type=int, default=2, help="candidates per block")
    ap.add_argument("--repair", type=int, default=1, help="repair rounds per block")
    ap.add_argument("--max-new-tokens", type=int, default=768)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--shots", type=int, default=1)
    ap.add_argument("--rag", default=None, help="retrieval index (rtlgen rag build)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--dtype", default=None)
    ap.add_argument("--scale", type=float, default=0.3, help="bench length (1.0 = the full tests)")
    ap.add_argument("--plan", type=Path, default=REPO / "testbenches" / "offload_controller" / "plan.yaml")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "showcase" / "generated")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)

    from rich.console import Console

    from eval.errors import UserError
    from eval.simulators import tool_versions
    from rtlgen.generate import GenerateConfig
    from rtlgen.hierarchical import load_plan, render_markdown, run_plan

    console = Console(stderr=True)
    log = (lambda *x: None) if a.quiet else (lambda msg: console.print(msg, highlight=False))
    backend = a.backend or ("openai" if a.endpoint else "hf")
    try:
        cfg = GenerateConfig(model=a.model, adapters=a.adapter, backend=backend, endpoint=a.endpoint, n=a.n,
                             temperature=a.temperature, max_new_tokens=a.max_new_tokens, repair_rounds=a.repair,
                             shots=a.shots, rag=a.rag, device=a.device, dtype=a.dtype, seed=a.seed)
        plan = load_plan(a.plan)
        for b in plan.blocks:
            if b.test and "python" in b.test:
                b.test.setdefault("args", {})["scale"] = a.scale
        load_before = os.getloadavg()[0]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()  # the code that runs, read before the run
        t0 = time.time()
        res = run_plan(plan, cfg, log=log, progress=not a.quiet)
    except UserError as exc:
        console.print(f"error: {exc}")
        return 2
    rep = res.report
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:  # pragma: no cover - openai-only installs
        threads = None
    rep["run"] = {"command": "scripts/showcase_generate.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  "plan": str(a.plan.resolve().relative_to(REPO)) if a.plan.resolve().is_relative_to(REPO) else str(a.plan),
                  "bench_scale": a.scale, "wall_seconds": round(time.time() - t0, 1),
                  "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2),
                  "torch_threads": threads, "cpu_count": os.cpu_count(), "git_commit": commit,
                  "tool_versions": tool_versions()}
    out = a.out
    (out / "blocks").mkdir(parents=True, exist_ok=True)
    for old in (out / "blocks").glob("*.sv"):  # a previous run's blocks must not mix with this one's
        old.unlink()
    files = [(out / "report.json", json.dumps(rep, indent=2) + "\n"),
             (out / "report.md", render_markdown(rep, "Showcase: hierarchical generation of the offload controller")
              + f"\nRun: `{rep['run']['command']}` at commit {commit}, bench scale {a.scale}, "
                f"{rep['run']['wall_seconds']:.0f} s wall, load average {rep['run']['loadavg_before']} → "
                f"{rep['run']['loadavg_after']} on {os.cpu_count()} CPUs.\n"),
             (out / f"{plan.top}.sv", res.assembled)]
    files += [(out / "blocks" / f"{n}.sv", c) for n, c in res.block_codes.items()]
    for path, text in files:
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    s = rep["summary"]
    console.print(f"{s['blocks_accepted']}/{s['blocks']} blocks accepted, assembled: {rep['assembled']['status']}; "
                  f"{s['candidates_tried']} candidates, {s['repair_rounds_used']} repair rounds, "
                  f"{rep['run']['wall_seconds']:.0f} s → {out}/report.md", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
