#!/usr/bin/env python
"""Round-1 training throughput: naive trl defaults vs. rtlgen's tuned settings, in one process.

Measures useful (non-padding) tokens/s over timed steps after a warm-up, and model-FLOPs
utilisation = achieved model FLOPs / peak. Model FLOPs per token: 6·N for full fine-tuning and 4·N
under LoRA (no weight gradients for frozen weights), N = parameters that take part in matmuls
(embedding lookup excluded, the LM head included), plus 12·layers·hidden·context for attention.

Timing: every rank counts the tokens of its own batches; the clock starts after the warm-up steps
and stops after the last step, each time after a device synchronise and a barrier over all ranks, so
global tokens/s = (sum of per-rank tokens in the window) / (slowest rank's window). trl's own
gathered `num_tokens` over the same window is recorded as a cross-check. Only rank 0 prints/writes.

1 vs. N GPUs in one lease (`--world-sizes 1,2`): this process converts a GGUF (or builds the tiny
model) once, so ranks never race on the cache, then runs the benchmark once on the first device
alone and once per larger world size through `accelerate launch --config_file
scripts/accelerate/ddp.yaml --num_processes N` (on a machine without CUDA the same launch trains on
CPU over gloo), and reports scaling efficiency = tok/s(N) / (N · tok/s(1)).

  GPU:  python scripts/bench_train.py --model /root/cache/smollm2 --data .carry/data/round1.jsonl --out $OUT/bench.json
  2 GPUs: python scripts/bench_train.py --model /root/m/smollm2.gguf --world-sizes 1,2 --variants tuned,tuned-lora --out $OUT/bench_multi.json
  CPU:  python scripts/bench_train.py --tiny --steps 3 --warmup 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
DDP_CONFIG = REPO / "scripts" / "accelerate" / "ddp.yaml"
PEAK_BF16_TFLOPS = {"H100": 989.4, "H200": 989.4, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def synthetic_verilog(n: int, seed: int = 0) -> list[str]:
    """Short modules like the ones the issue's "28 samples/s on short samples" refers to."""
    rng = random.Random(seed)
    ops = ["&", "|", "^", "+", "-"]
    out = []
    for i in range(n):
        w = rng.randint(2, 32)
        body = "\n".join(f"  assign y{j} = a {rng.choice(ops)} b;" for j in range(rng.randint(1, 12)))
        ports = ",\n".join(f"  output [{w - 1}:0] y{j}" for j in range(body.count("assign")))
        out.append(f"// module {i}\nmodule m{i} (\n  input [{w - 1}:0] a,\n  input [{w - 1}:0] b,\n{ports}\n);\n{body}\nendmodule\n")
    return out


def load_texts(path: str | None, limit: int) -> list[str]:
    if not path:
        return synthetic_verilog(limit)
    texts = []
    with open(path) as fh:
        for line in fh:
            if line.strip():
                texts.append(json.loads(line)["text"])
            if len(texts) >= limit:
                break
    return texts


def peak_tflops(override: float | None) -> tuple[float | None, str]:
    import torch

    if override:
        return override, "given"
    if not torch.cuda.is_available():
        return None, "cpu"
    name = torch.cuda.get_device_name(0)
    for key, val in PEAK_BF16_TFLOPS.items():
        if key in name:
            return val, name
    return None, name


def matmul_params(model) -> int:
    emb = model.get_input_embeddings().weight
    total = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
    tied = model.get_output_embeddings() is not None and model.get_output_embeddings().weight is emb
    return total if tied else total - emb.numel()  # tied: the one matrix is used once, as the LM head


def rank_info() -> tuple[int, int]:
    """(rank, world size) from the launcher's environment (torchrun and accelerate set both)."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def run_variant(name: str, model_dir: str, texts: list[str], settings: dict, steps: int, warmup: int,
                cpu: bool, peak: float | None) -> dict | None:
    """Train `warmup + steps` steps with `settings`; rank 0 gets the measured row, other ranks None."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    rank, world = rank_info()
    tok = AutoTokenizer.from_pretrained(model_dir)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.float32 if cpu else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, attn_implementation="sdpa")
    n_params = matmul_params(model)
    lora = settings.pop("lora", None)
    peft_config = None
    if lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=lora, lora_alpha=2 * lora, target_modules="all-linear", task_type="CAUSAL_LM")

    class CountingTrainer(SFTTrainer):
        """Counts this rank's own useful tokens (trl's rule: attention-mask ones, or the whole
        padding-free row), so the global figure is a sum we compute, not one we are handed."""

        local_tokens = 0

        def training_step(self, model, inputs, *args, **kwargs):
            if "attention_mask" in inputs:
                self.local_tokens += int(inputs["attention_mask"].sum())
            else:
                self.local_tokens += int(inputs["input_ids"].numel())
            return super().training_step(model, inputs, *args, **kwargs)

    marks: list[tuple[float, int, int]] = []  # (time, local tokens so far, trl's gathered tokens so far)

    class WindowClock(TrainerCallback):
        """Marks the window's two ends after a device synchronise and a barrier on every rank."""

        def _mark(self):
            if not cpu:
                torch.cuda.synchronize()
            trainer.accelerator.wait_for_everyone()
            marks.append((time.perf_counter(), trainer.local_tokens, int(getattr(trainer, "_total_train_tokens", 0))))

        def on_train_begin(self, args, state, control, **kw):
            if warmup == 0:
                self._mark()

        def on_step_end(self, args, state, control, **kw):
            if state.global_step in (warmup, warmup + steps) and state.global_step > 0:
                self._mark()

    out = tempfile.mkdtemp(prefix=f"bench-{name}-")
    args = dict(output_dir=out, max_steps=warmup + steps, logging_steps=1, save_strategy="no", report_to=[],
                disable_tqdm=True, use_cpu=cpu, bf16=not cpu, seed=0)
    args.update(settings)
    if cpu:
        args["bf16"] = False
        args.pop("torch_compile", None)
        if args.get("optim") == "adamw_torch_fused":
            args["optim"] = "adamw_torch"
        args["dataloader_num_workers"] = 0  # spare the shared CPU cores
        args["dataloader_pin_memory"] = False
    trainer = CountingTrainer(model=model, args=SFTConfig(**args), train_dataset=Dataset.from_dict({"text": texts}),
                              processing_class=tok, peft_config=peft_config, callbacks=[WindowClock()])
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    if not cpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    if len(marks) != 2:
        raise RuntimeError(f"{name}: expected 2 clock marks, got {len(marks)} (steps={steps}, warmup={warmup})")
    (t0, l0, g0), (t1, l1, g1) = marks
    dev = trainer.accelerator.device
    mem = torch.cuda.max_memory_allocated() / 2**30 if not cpu else 0.0
    # one row per rank: [window tokens, window seconds, peak memory]
    local = torch.tensor([[float(l1 - l0), t1 - t0, mem]], dtype=torch.float64, device=dev)
    rows = trainer.accelerator.gather(local).cpu().tolist() if world > 1 else local.cpu().tolist()
    if rank != 0:
        return None
    per_rank = [int(r[0]) for r in rows]
    elapsed = max(r[1] for r in rows)
    tps = sum(per_rank) / elapsed if elapsed > 0 else float("nan")
    seq = args.get("max_length") or 1024
    if not args.get("packing"):
        lens = [len(x) for x in trainer.train_dataset["input_ids"]]
        seq = sum(lens) / len(lens)
    cfg = model.config
    per_token = (4 if peft_config else 6) * n_params + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq
    mfu = (tps * per_token / (world * peak * 1e12)) if peak else None  # per GPU: N GPUs have N× the peak
    samples_per_s = None
    if not args.get("packing"):
        samples_per_s = tps / seq
    return {"variant": name, "world_size": world, "tokens_per_s": round(tps, 1),
            "tokens_per_s_per_gpu": round(tps / world, 1), "mfu": round(mfu, 4) if mfu is not None else None,
            "samples_per_s": round(samples_per_s, 1) if samples_per_s else None, "context": round(seq, 1),
            "flops_per_token": per_token, "params": n_params, "timed_steps": steps,
            "window_s": round(elapsed, 6), "window_s_per_rank": [round(r[1], 6) for r in rows],
            "global_tokens": sum(per_rank), "per_rank_tokens": per_rank, "trl_window_tokens": g1 - g0,
            "peak_mem_gib": round(max(r[2] for r in rows), 2) if not cpu else None,
            "settings": {k: v for k, v in args.items() if k not in ("output_dir",)} | ({"lora_r": lora} if lora else {})}


def print_table(results: list[dict], device: str) -> None:
    base = results[0]["tokens_per_s"] if results else None
    print(f"\n{'variant':<15}{'tokens/s':>12}{'MFU':>8}{'speed-up':>10}{'samples/s':>11}   device: {device}")
    for r in results:
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        sp = f"{r['tokens_per_s'] / base:.1f}x" if base else ""
        sps = f"{r['samples_per_s']}" if r["samples_per_s"] else "-"
        print(f"{r['variant']:<15}{r['tokens_per_s']:>12,.0f}{mfu:>8}{sp:>10}{sps:>11}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_cmd(n: int, cpu: bool, launcher: str, config: Path) -> tuple[list[str], dict]:
    """The command prefix and environment that start this script on `n` ranks."""
    env = dict(os.environ)
    script = [str(Path(__file__).resolve())]
    if cpu:
        env["OMP_NUM_THREADS"] = "1"  # one thread per rank at every size: a fair CPU comparison, shared cores spared
    if n == 1:
        # one plain process on the first visible device; never DataParallel over all of them
        if not cpu:
            env["CUDA_VISIBLE_DEVICES"] = env.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0]
        return [sys.executable] + script, env
    if launcher == "accelerate":
        # the DDP config as is; on a machine without CUDA its ranks train on CPU over gloo (the tests'
        # path). Not `--cpu`: accelerate then starts a single process.
        return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config),
                "--num_processes", str(n), "--main_process_port", str(free_port())] + script, env
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(n),
            "--master_addr", "127.0.0.1", "--master_port", str(free_port())] + script, env


def run_scaling(a, model_dir: str, cpu: bool, peak: float | None, device: str) -> int:
    """Run the benchmark at each world size (one launch each, same lease) and compare."""
    sizes = sorted({int(x) for x in a.world_sizes.split(",") if x.strip()})
    if not sizes or sizes[0] < 1:
        raise SystemExit(f"--world-sizes wants positive integers, got {a.world_sizes!r}")
    if not cpu:
        import torch

        have = torch.cuda.device_count()
        if sizes[-1] > have:
            raise SystemExit(f"--world-sizes {a.world_sizes}: only {have} GPU(s) visible")
    work = Path(tempfile.mkdtemp(prefix="bench-multi-"))
    child = ["--model", model_dir, "--docs", str(a.docs), "--steps", str(a.steps), "--warmup", str(a.warmup),
             "--batch", str(a.batch), "--seq", str(a.seq), "--variants", a.variants]
    if a.data:
        child += ["--data", a.data]
    if a.peak_tflops:
        child += ["--peak-tflops", str(a.peak_tflops)]
    runs = []
    for n in sizes:
        part = work / f"ws{n}.json"
        prefix, env = launch_cmd(n, cpu, a.launcher, Path(a.accelerate_config))
        cmd = prefix + child + ["--out", str(part)]
        print(f"=== world size {n}: {' '.join(cmd)}", flush=True)
        start = time.time()
        # own session, so a hung rank (NCCL) is killed with its launcher and frees its GPU for the next size
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True)
        try:
            code = proc.wait(timeout=a.launch_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            code = "timeout"
        # each variant is written as it finishes: a failed or timed-out launch still reports what it measured
        rep = json.loads(part.read_text()) if part.exists() else {"results": []}
        rep["world_size"] = n
        rep["launch_s"] = round(time.time() - start, 1)
        rep["command"] = " ".join(cmd)
        if code != 0:
            rep["error"] = f"exit {code}"
            print(f"!!! world size {n} failed ({rep['error']}); its output is above", flush=True)
        runs.append(rep)
    one = {r["variant"]: r for r in runs[0]["results"]} if sizes[0] == 1 else {}
    scaling = []
    for rep in runs:
        for r in rep["results"]:
            b = one.get(r["variant"])
            eff = r["tokens_per_s"] / (r["world_size"] * b["tokens_per_s"]) if b and b["tokens_per_s"] else None
            scaling.append({"variant": r["variant"], "world_size": r["world_size"], "tokens_per_s": r["tokens_per_s"],
                            "tokens_per_s_per_gpu": r["tokens_per_s_per_gpu"], "mfu": r["mfu"],
                            "speedup": round(eff * r["world_size"], 3) if eff is not None else None,
                            "scaling_efficiency": round(eff, 4) if eff is not None else None,
                            "global_tokens": r["global_tokens"], "per_rank_tokens": r["per_rank_tokens"]})
    report = {"device": device, "peak_tflops": peak, "model": model_dir, "world_sizes": sizes,
              "scaling": scaling, "runs": runs, "failed": [r["world_size"] for r in runs if "error" in r]}
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(report, indent=2))
    print(f"\n{'variant':<12}{'GPUs':>5}{'tokens/s':>12}{'per GPU':>11}{'MFU':>7}{'speed-up':>10}{'efficiency':>12}"
          f"   device: {device}")
    for r in sorted(scaling, key=lambda r: (r["variant"], r["world_size"])):
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        sp = f"{r['speedup']:.2f}x" if r["speedup"] is not None else "-"
        eff = f"{100 * r['scaling_efficiency']:.1f}%" if r["scaling_efficiency"] is not None else "-"
        print(f"{r['variant']:<12}{r['world_size']:>5}{r['tokens_per_s']:>12,.0f}{r['tokens_per_s_per_gpu']:>11,.0f}"
              f"{mfu:>7}{sp:>10}{eff:>12}")
    return 1 if report["failed"] else 0


def main(argv: list[str] | None = None) -> int:
    from finetune.common import quiet_libraries

    quiet_libraries()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="HF model directory, or a .gguf file (converted once into RTLGEN_CACHE)")
    ap.add_argument("--tiny", action="store_true", help="build a tiny random Llama (CPU smoke run)")
    ap.add_argument("--data", help="round1.jsonl (default: synthetic short Verilog modules)")
    ap.add_argument("--docs", type=int, default=20000, help="documents to load")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per variant")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation, allocator)")
    ap.add_argument("--batch", type=int, default=32, help="tuned per-device batch (packed sequences)")
    ap.add_argument("--seq", type=int, default=2048, help="tuned packed sequence length")
    ap.add_argument("--variants", default="naive,tuned,tuned-compile,tuned-lora",
                    help="comma list of naive, tuned, tuned-compile, tuned-lora")
    ap.add_argument("--peak-tflops", type=float, help="peak bf16 TFLOPS when the GPU is not recognised")
    ap.add_argument("--world-sizes", help="e.g. 1,2: run once per world size (one launch each) and report scaling")
    ap.add_argument("--launcher", choices=["accelerate", "torchrun"], default="accelerate",
                    help="multi-process launcher for --world-sizes")
    ap.add_argument("--accelerate-config", default=str(DDP_CONFIG), help="accelerate config for --world-sizes")
    ap.add_argument("--launch-timeout", type=float, default=1800, help="seconds one world size may take")
    ap.add_argument("--out", help="write results JSON here")
    a = ap.parse_args(argv)
    import torch

    rank, world = rank_info()
    cpu = not torch.cuda.is_available()
    if cpu:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "0")) or min(4, torch.get_num_threads()))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    texts = load_texts(a.data, a.docs)
    if a.tiny:
        from finetune.tiny import build_tiny_model

        model_dir = str(build_tiny_model(tempfile.mkdtemp(prefix="tiny-"), texts[:300], vocab_size=512, hidden=64))
        if a.seq == 2048:
            a.seq, a.batch = 256, 4
    elif a.model and a.model.lower().endswith(".gguf"):
        if world > 1:
            ap.error("convert the GGUF before launching ranks (use --world-sizes, or pass the converted directory)")
        from rtlgen.runtime.models import convert_gguf

        model_dir = str(convert_gguf(Path(a.model)))
    elif a.model:
        model_dir = a.model
    else:
        ap.error("give --model DIR or --tiny")
    peak, device = peak_tflops(a.peak_tflops)
    if a.world_sizes:
        if world > 1:
            ap.error("--world-sizes starts its own launches; run it as one plain process")
        return run_scaling(a, model_dir, cpu, peak, device)
    tuned = dict(per_device_train_batch_size=a.batch, max_length=a.seq, packing=True, packing_strategy="wrapped",
                 gradient_checkpointing=False, optim="adamw_torch_fused", learning_rate=2e-4,
                 dataloader_num_workers=2, dataloader_pin_memory=True,
                 # DDP only (ignored on one process): every parameter gets a gradient each step, so skip
                 # the per-step graph walk that find_unused_parameters=True (Trainer's default here) costs
                 ddp_find_unused_parameters=False)
    variants = {
        # what `SFTTrainer(model, train_dataset=…)` does with no arguments: batch 8, no packing,
        # max_length 1024, gradient checkpointing on, AdamW (unfused), bf16
        "naive": dict(learning_rate=2e-5),
        "tuned": dict(tuned),
        "tuned-compile": dict(tuned, torch_compile=True),
        "tuned-lora": dict(tuned, lora=64),
    }
    results = []
    for name in [v.strip() for v in a.variants.split(",") if v.strip()]:
        if name not in variants:
            ap.error(f"unknown variant {name}")
        if cpu and name == "tuned-compile":
            continue
        if rank == 0:
            print(f"== {name} (world size {world})", flush=True)
        row = run_variant(name, model_dir, texts, dict(variants[name]), a.steps, a.warmup, cpu, peak)
        if rank == 0:
            results.append(row)
            print(json.dumps({k: row[k] for k in ("variant", "world_size", "tokens_per_s", "mfu", "samples_per_s")}),
                  flush=True)
            report = {"device": device, "peak_tflops": peak, "model": model_dir, "docs": len(texts),
                      "world_size": world, "results": results, "torch": torch.__version__}
            if a.out:  # after every variant, so a later crash loses nothing measured
                Path(a.out).parent.mkdir(parents=True, exist_ok=True)
                Path(a.out).write_text(json.dumps(report, indent=2))
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        # leave together: a rank that tears gloo down while its peer still talks to it can abort at exit
        # ("terminate called without an active exception"), seen once under a loaded 2-core CPU
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        print_table(results, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
