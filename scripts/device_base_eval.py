#!/usr/bin/env python3
"""GPU job: sample the base model (no adapter) on every benchmark, in one command.

Protocols (VerilogEval's): `greedy` — n = 1, temperature 0 (pass@1); `sampled` — n = 20,
T = 0.85, top_p = 0.95 (pass@1/5/10). Prompts are 0-shot in upstream's format, 1024 new tokens.
Benchmarks: VerilogEval v2 spec-to-rtl and code-complete, v1 Human and Machine, RTLLM v1.1.

The GPU image has no simulators, so this job only *generates*; scoring runs where Icarus is
(`scripts/score_base_eval.py`). Samples go to resumable JSONL files under `--work` (kept between
calls of one device lease); the job stops starting new prompts at `--time-budget-s` and a rerun
continues where it stopped (`--resume-tar` restores an earlier call's tarball on a fresh machine).
What comes back under `$OUT`: `<tag>_samples.tar.gz` (all JSONL) and `<tag>_eval_gen.json` (stats); tag `base` by default.

GPU (model and benchmarks moved as /work/shared/device/README.md says):
    python scripts/device_base_eval.py --model /root/m/smollm2.gguf --bench-root .carry/bench --out $OUT
CPU smoke run:
    python scripts/device_base_eval.py --tiny --bench-root /work/bench --benches verilogeval-v2-spec \
        --limit-tasks 3 --n-sampled 2 --max-new-tokens 16 --out /tmp/base_eval
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, SCORED  # noqa: E402

FOLDERS = {n: DEFAULT_DIRS[n] for n in SCORED}  # name -> folder under --bench-root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--tiny", action="store_true", help="tiny random Llama (CPU smoke test)")
    ap.add_argument("--bench-root", required=True, help="folder holding verilog-eval-v1, verilog-eval-v2, rtllm-v1.1")
    ap.add_argument("--benches", default=",".join(FOLDERS))
    ap.add_argument("--protocols", default="greedy,sampled")
    ap.add_argument("--n-sampled", type=int, default=20)
    ap.add_argument("--temperature", type=float, default=0.85)
    ap.add_argument("--top-p", type=float, default=0.95)
    ap.add_argument("--max-new-tokens", type=int, default=1024)
    ap.add_argument("--batch-rows", type=int, default=None)
    ap.add_argument("--limit-tasks", type=int, default=None)
    ap.add_argument("--time-budget-s", type=float, default=540.0)
    ap.add_argument("--work", default=None, help="samples folder (default /root/m/base_eval on GPU, else a temp dir)")
    ap.add_argument("--resume-tar", default=None, help="base_samples.tar.gz of an earlier call to continue from")
    ap.add_argument("--adapter", action="append", default=[], help="LoRA adapter dir, merged in order (repeatable)")
    ap.add_argument("--contexts", default=None, help="retrieval contexts per task (scripts/rag_contexts.py) "
                    "to put into every prompt: the RAG variant where no index can be loaded")
    ap.add_argument("--scaffold", action="store_true", help="write spec-to-rtl headers from the specs' port lists "
                    "(rtlgen.spec_ports) and ask for bodies")
    ap.add_argument("--tag", default="base", help="name of the output files: <tag>_samples.tar.gz, <tag>_eval_gen.json")
    ap.add_argument("--out", default=os.environ.get("OUT", "results/generate"))
    args = ap.parse_args()
    start = time.time()
    deadline = start + args.time_budget_s

    import torch

    from eval.benchmarks import get_benchmark
    from rtlgen.backends.hf import HFBackend
    from rtlgen.eval_sampling import generate_benchmark_samples
    from rtlgen.runtime import load_model

    work = Path(args.work or (f"/root/m/{args.tag}_eval" if torch.cuda.is_available() else tempfile.mkdtemp()))
    work.mkdir(parents=True, exist_ok=True)
    if args.resume_tar:
        with tarfile.open(args.resume_tar) as tf:
            tf.extractall(work, filter="data")
    if args.tiny:
        sys.path.insert(0, str(REPO / "tests"))
        from gen_helpers import build_tiny_llama

        model_spec = str(build_tiny_llama(Path(tempfile.mkdtemp()) / "tiny"))
    else:
        model_spec = args.model
    lm = load_model(model_spec, adapters=args.adapter or None)
    load_s = time.time() - start
    be = HFBackend(loaded=lm, batch_size=args.batch_rows)
    protocols = {"greedy": dict(n=1, temperature=0.0, top_p=1.0),
                 "sampled": dict(n=args.n_sampled, temperature=args.temperature, top_p=args.top_p)}
    report = {"model": "tiny-random-llama" if args.tiny else args.model, "adapters": args.adapter, "backend": be.describe(),
              "load_seconds": round(load_s, 2), "max_new_tokens": args.max_new_tokens, "shots": 0,
              "scaffold": args.scaffold,
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "runs": {}}
    table = None
    if args.contexts:
        from rag_index.contexts import load_contexts

        table = load_contexts(args.contexts)
        report["rag_contexts"] = {"file": args.contexts, "manifest": table.manifest}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for proto in [p for p in args.protocols.split(",") if p]:
        for name in [b for b in args.benches.split(",") if b]:
            key = f"{name}/{proto}"
            if time.time() > deadline:
                report["runs"][key] = {"complete": False, "skipped": "time budget"}
                continue
            bench = get_benchmark(name, Path(args.bench_root) / FOLDERS[name])
            tasks = list(bench.load().values())[:args.limit_tasks]
            f = work / "samples" / name / f"{proto}.jsonl"
            stats = generate_benchmark_samples(tasks, f, model=report["model"], adapters=args.adapter, backend="hf",
                                               max_new_tokens=args.max_new_tokens, shots=0, seed=0,
                                               backend_instance=be, deadline=deadline, progress=False,
                                               contexts=table.for_tasks(name, tasks) if table else None,
                                               scaffold=args.scaffold,
                                               **protocols[proto])
            stats.pop("backend_info", None)
            stats["tasks"] = len(tasks)
            report["runs"][key] = stats
            print(f"{key}: {stats['samples_written']} new samples, {stats['tokens']} tokens, "
                  f"{stats['seconds']} s, {stats['tokens_per_s']} tok/s, complete={stats['complete']}", flush=True)
    report["seconds"] = round(time.time() - start, 1)
    report["backend"] = be.describe()
    with tarfile.open(out / f"{args.tag}_samples.tar.gz", "w:gz") as tf:
        tf.add(work / "samples", arcname="samples")
    (out / f"{args.tag}_eval_gen.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'run':<36}{'samples':>9}{'tokens':>10}{'tok/s':>10}  done")
    for k, r in report["runs"].items():
        print(f"{k:<36}{r.get('samples_written', 0):>9}{r.get('tokens', 0):>10}{r.get('tokens_per_s') or 0:>10,.0f}"
              f"  {r.get('complete')}")
    print(f"wrote {out / (args.tag + '_samples.tar.gz')} and {out / (args.tag + '_eval_gen.json')} in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
