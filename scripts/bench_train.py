#!/usr/bin/env python
"""Round-1 training throughput: naive trl defaults vs. rtlgen's tuned settings, in one process.

Measures useful (non-padding) tokens/s over timed steps after a warm-up, and model-FLOPs
utilisation = achieved model FLOPs / peak. Model FLOPs per token: 6·N for full fine-tuning and 4·N
under LoRA (no weight gradients for frozen weights), N = parameters that take part in matmuls
(embedding lookup excluded, the LM head included), plus 12·layers·hidden·context for attention.

  GPU:  python scripts/bench_train.py --model /root/cache/smollm2 --data .carry/data/round1.jsonl --out $OUT/bench.json
  CPU:  python scripts/bench_train.py --tiny --steps 3 --warmup 1
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def run_variant(name: str, model_dir: str, texts: list[str], settings: dict, steps: int, warmup: int,
                cpu: bool, peak: float | None) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

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
    marks: list[tuple[float, float]] = []

    class Clock(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "num_tokens" in logs:
                if not cpu:
                    torch.cuda.synchronize()
                marks.append((time.perf_counter(), float(logs["num_tokens"])))

    out = tempfile.mkdtemp(prefix=f"bench-{name}-")
    args = dict(output_dir=out, max_steps=warmup + steps, logging_steps=1, save_strategy="no", report_to=[],
                disable_tqdm=True, use_cpu=cpu, bf16=not cpu, seed=0)
    args.update(settings)
    if cpu:
        args["bf16"] = False
        args.pop("torch_compile", None)
        if args.get("optim") == "adamw_torch_fused":
            args["optim"] = "adamw_torch"
    trainer = SFTTrainer(model=model, args=SFTConfig(**args), train_dataset=Dataset.from_dict({"text": texts}),
                         processing_class=tok, peft_config=peft_config, callbacks=[Clock()])
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    if not cpu:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    timed = marks[warmup:] if len(marks) > warmup + 1 else marks
    (t0, k0), (t1, k1) = timed[0], timed[-1]
    tps = (k1 - k0) / (t1 - t0) if t1 > t0 else float("nan")
    seq = args.get("max_length") or 1024
    if not args.get("packing"):
        lens = [len(x) for x in trainer.train_dataset["input_ids"]]
        seq = sum(lens) / len(lens)
    cfg = model.config
    per_token = (4 if peft_config else 6) * n_params + 12 * cfg.num_hidden_layers * cfg.hidden_size * seq
    mfu = (tps * per_token / (peak * 1e12)) if peak else None
    samples_per_s = None
    if not args.get("packing"):
        samples_per_s = tps / seq
    return {"variant": name, "tokens_per_s": round(tps, 1), "mfu": round(mfu, 4) if mfu is not None else None,
            "samples_per_s": round(samples_per_s, 1) if samples_per_s else None, "context": round(seq, 1),
            "flops_per_token": per_token, "params": n_params, "timed_steps": len(timed) - 1,
            "peak_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if not cpu else None,
            "settings": {k: v for k, v in args.items() if k not in ("output_dir",)} | ({"lora_r": lora} if lora else {})}


def main(argv: list[str] | None = None) -> int:
    from finetune.common import quiet_libraries

    quiet_libraries()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="HF model directory (the converted SmolLM2 on GPU)")
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
    ap.add_argument("--out", help="write results JSON here")
    a = ap.parse_args(argv)
    import torch

    cpu = not torch.cuda.is_available()
    if cpu:
        torch.set_num_threads(min(4, torch.get_num_threads()))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    texts = load_texts(a.data, a.docs)
    if a.tiny:
        from finetune.tiny import build_tiny_model

        model_dir = str(build_tiny_model(tempfile.mkdtemp(prefix="tiny-"), texts[:300], vocab_size=512, hidden=64))
        if a.seq == 2048:
            a.seq, a.batch = 256, 4
    elif a.model:
        model_dir = a.model
    else:
        ap.error("give --model DIR or --tiny")
    peak, device = peak_tflops(a.peak_tflops)
    tuned = dict(per_device_train_batch_size=a.batch, max_length=a.seq, packing=True, packing_strategy="wrapped",
                 gradient_checkpointing=False, optim="adamw_torch_fused", learning_rate=2e-4,
                 dataloader_num_workers=2, dataloader_pin_memory=True)
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
        print(f"== {name}", flush=True)
        results.append(run_variant(name, model_dir, texts, dict(variants[name]), a.steps, a.warmup, cpu, peak))
        print(json.dumps({k: results[-1][k] for k in ("variant", "tokens_per_s", "mfu", "samples_per_s")}), flush=True)
    report = {"device": device, "peak_tflops": peak, "model": model_dir, "docs": len(texts), "results": results,
              "torch": torch.__version__}
    if a.out:
        Path(a.out).write_text(json.dumps(report, indent=2))
    base = results[0]["tokens_per_s"] if results else None
    print(f"\n{'variant':<15}{'tokens/s':>12}{'MFU':>8}{'speed-up':>10}{'samples/s':>11}   device: {device}")
    for r in results:
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        sp = f"{r['tokens_per_s'] / base:.1f}x" if base else ""
        sps = f"{r['samples_per_s']}" if r["samples_per_s"] else "-"
        print(f"{r['variant']:<15}{r['tokens_per_s']:>12,.0f}{mfu:>8}{sp:>10}{sps:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
