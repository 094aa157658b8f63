"""What every training stage shares: model loading (with earlier stages' adapters merged in), trl
argument building, logging (JSONL, TensorBoard, a rich progress bar, tokens/s), checkpoints and resume.

Design choices, and why:
- Stages chain by *merging*: round 2 starts from base + round-1 adapter merged into the weights and
  trains a fresh adapter; DPO starts from base + R1 + R2 merged. Each stage therefore ships one small
  adapter (≤ a few MB for 135M at r=16), the ablations the issue asks for (R2 alone, R1+R2, …) are
  just different adapter lists, and under LoRA the DPO reference model is exactly the SFT policy
  (the merged model with the DPO adapter disabled), which is what DPO's KL anchor should be.
- Checkpoints are plain HF Trainer checkpoints (`checkpoint-N/` with optimizer, scheduler, RNG and
  data position), so `--resume` continues bit-for-bit where the run stopped.
- A run never writes over another run's checkpoints: an output dir that already holds checkpoints
  needs `--resume` or a new `output_dir`.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from eval.errors import UserError
from finetune.config import TrainCommon

# --------------------------------------------------------------------------- data


def read_jsonl(path: str | Path, required: tuple[str, ...]) -> list[dict]:
    """Records with the required string fields; a malformed file is a one-line UserError naming the line."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"training data not found: {p}")
    if p.is_dir():
        raise UserError(f"training data {p} is a directory, expected a JSONL file")
    rows: list[dict] = []
    with p.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise UserError(f"{p}:{lineno}: not a JSON object line ({type(exc).__name__})") from None
            if not isinstance(rec, dict):
                raise UserError(f"{p}:{lineno}: expected a JSON object")
            for key in required:
                if not isinstance(rec.get(key), str):
                    raise UserError(f"{p}:{lineno}: field {key!r} missing or not a string")
            rows.append(rec)
    if not rows:
        raise UserError(f"training data {p} holds no records")
    return rows


# --------------------------------------------------------------------------- devices


def has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available()


def settle_device(cfg: TrainCommon) -> None:
    """On a machine without a GPU, train on CPU in fp32 (trl's bf16 default fails there)."""
    if not has_accelerator():
        cfg.use_cpu = True
        cfg.bf16 = False
        cfg.torch_compile = False
        if cfg.optim == "adamw_torch_fused":
            cfg.optim = "adamw_torch"


# --------------------------------------------------------------------------- models


def resolve_model_path(ref: str) -> str:
    """What `from_pretrained` opens for a `--model` string: alias, .gguf (dequantized once), local HF
    dir or hub id — through the generation runtime, so training and generation agree on names."""
    from rtlgen.runtime.models import materialize, resolve_model

    return materialize(resolve_model(ref), log=lambda msg: print(msg, flush=True))


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
    except OSError as exc:
        raise UserError(f"cannot load a tokenizer from {path}: {str(exc).splitlines()[0]}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(cfg: TrainCommon, path: str, dtype=None):
    """The model in the training dtype, with `cfg.init_adapters` merged into its weights, in order.

    Under LoRA the frozen base sits in bf16. A full run keeps fp32 master weights and computes in bf16
    under autocast: stored in bf16, an Adam step of lr 1e-4 on a weight of 0.05 is below half an ulp
    (2^-9 · 0.05) and would mostly round away."""
    import torch
    from transformers import AutoModelForCausalLM

    if dtype is None:
        half = cfg.bf16 and not cfg.use_cpu and cfg.lora.enabled
        dtype = torch.bfloat16 if half else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, attn_implementation=cfg.attn_implementation)
    except OSError as exc:
        raise UserError(f"cannot load model {path}: {str(exc).splitlines()[0]}") from None
    for adapter in cfg.init_adapters:
        model = merge_adapter(model, adapter)
    if not cfg.lora.enabled:
        restrict_full_training(model, cfg.full_scope)
    return model


def decoder_linear_names(model) -> list[str]:
    """The linear layers inside the decoder blocks: what LoRA's all-linear targets, minus the head."""
    import torch

    return [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and ".layers." in f".{n}"]


def restrict_full_training(model, scope: str) -> None:
    """Full fine-tuning of `scope`: "all" trains every parameter, "linear" only the decoder's linear layers.

    Both set every flag explicitly: peft's merge of an init adapter leaves the base frozen, so a full
    round 2 started from a merged round 1 would otherwise train nothing."""
    if scope not in ("linear", "all"):
        raise UserError(f"full_scope {scope!r}: expected 'linear' or 'all'")
    keep = {f"{n}.weight" for n in decoder_linear_names(model)}
    if scope == "linear" and not keep:
        raise UserError("full_scope=linear found no linear layers under model.layers; use full_scope=all")
    for name, param in model.named_parameters():
        param.requires_grad = scope == "all" or name in keep


def merge_adapter(model, adapter: str):
    from peft import PeftModel

    p = Path(adapter).expanduser()
    if not (p / "adapter_config.json").exists():
        raise UserError(f"init adapter {p} has no adapter_config.json (expected a stage's output adapter dir)")
    return PeftModel.from_pretrained(model, str(p)).merge_and_unload()


def peft_config(cfg: TrainCommon):
    if not cfg.lora.enabled:
        return None
    from peft import LoraConfig

    targets: Any = cfg.lora.target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    return LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=targets, task_type="CAUSAL_LM", bias="none")


# --------------------------------------------------------------------------- arguments


def common_args(cfg: TrainCommon) -> dict:
    """The TrainingArguments shared by all stages, from our config."""
    report = ["tensorboard"] if (cfg.tensorboard and tensorboard_available()) else []
    args = dict(
        output_dir=cfg.output_dir, seed=cfg.seed, data_seed=cfg.seed, max_steps=cfg.max_steps,
        num_train_epochs=cfg.epochs, learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup_ratio, weight_decay=cfg.weight_decay,
        per_device_train_batch_size=cfg.batch_size, gradient_accumulation_steps=cfg.grad_accum,
        bf16=cfg.bf16 and not cfg.use_cpu, use_cpu=cfg.use_cpu,
        gradient_checkpointing=cfg.gradient_checkpointing, torch_compile=cfg.torch_compile, optim=cfg.optim,
        save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=cfg.save_total_limit,
        logging_strategy="steps", logging_steps=cfg.logging_steps, logging_first_step=True,
        report_to=report,
        disable_tqdm=True, dataloader_num_workers=cfg.dataloader_workers,
        dataset_num_proc=cfg.dataset_workers or None,
    )
    args.update(cfg.extra_args)
    return args


def tensorboard_available() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        try:
            import tensorboardX  # noqa: F401
        except ImportError:
            return False
    return True


# --------------------------------------------------------------------------- callbacks


def make_callbacks(cfg: TrainCommon, stage: str, token_scale: int = 1) -> list:
    """`token_scale`: trl's `num_tokens` counts one row per step for row-packed batches (see
    finetune/round2.row_packed_collator); the logged counts and tokens/s are multiplied back."""
    from transformers import TrainerCallback

    # transformers' TensorBoard callback reads its folder from the environment when the trainer is built
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(cfg.output_dir) / "tb")

    class JsonlLogger(TrainerCallback):
        """Every log event as one JSON line (loss, lr, grad norm, tokens/s, DPO reward margins…)."""

        def __init__(self):
            self.path = Path(cfg.output_dir) / "log.jsonl"
            self.t0 = None
            self.last = None  # (time, num_tokens, step)

        def on_train_begin(self, args, state, control, **kw):
            self.t0 = time.monotonic()
            self.last = (self.t0, None, state.global_step)

        def on_log(self, args, state, control, logs=None, **kw):
            if not state.is_world_process_zero or not logs:
                return
            now = time.monotonic()
            rec = {"stage": stage, "step": state.global_step, "epoch": state.epoch, "time": time.time()}
            rec.update({k: v for k, v in logs.items() if isinstance(v, (int, float, str, bool))})
            tokens = logs.get("num_tokens")
            if isinstance(tokens, (int, float)):
                tokens = rec["num_tokens"] = tokens * token_scale
            t_prev, tok_prev, _ = self.last
            if isinstance(tokens, (int, float)):
                if tok_prev is not None and tokens >= tok_prev and now > t_prev:
                    rec["tokens_per_s"] = (tokens - tok_prev) / (now - t_prev)
                self.last = (now, tokens, state.global_step)
            if "train_runtime" not in logs:
                with self.path.open("a") as fh:
                    fh.write(json.dumps(rec) + "\n")
            else:
                with self.path.open("a") as fh:
                    fh.write(json.dumps(rec | {"final": True}) + "\n")

    class RichProgress(TrainerCallback):
        """A rich progress bar with the latest loss; the default tqdm bar is turned off."""

        def __init__(self):
            self.prog = None
            self.bar = None
            self.loss = ""

        def on_train_begin(self, args, state, control, **kw):
            if not (cfg.progress and state.is_world_process_zero):
                return
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self.prog.start()
            self.bar = self.prog.add_task(f"train {stage}", total=state.max_steps, completed=state.global_step)

        def on_step_end(self, args, state, control, **kw):
            if self.prog is not None:
                self.prog.update(self.bar, completed=state.global_step, description=f"train {stage}{self.loss}")

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                self.loss = f" loss {logs['loss']:.4f}"
                if "rewards/margins" in logs:
                    self.loss += f" margin {logs['rewards/margins']:.3f}"

        def on_train_end(self, args, state, control, **kw):
            if self.prog is not None:
                self.prog.stop()

    class Throttle(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            time.sleep(cfg.throttle_s)

    class TimeLimit(TrainerCallback):
        """Ends training after `time_limit_s`, saving a checkpoint first so `--resume` can go on."""

        def __init__(self):
            self.t0 = None

        def on_train_begin(self, args, state, control, **kw):
            self.t0 = time.monotonic()

        def on_step_end(self, args, state, control, **kw):
            if time.monotonic() - self.t0 >= cfg.time_limit_s:
                control.should_training_stop = True
                control.should_save = True

    cbs = [JsonlLogger(), RichProgress()]
    if cfg.throttle_s > 0:
        cbs.append(Throttle())
    if cfg.time_limit_s > 0:
        cbs.append(TimeLimit())
    return cbs


# --------------------------------------------------------------------------- checkpoints


def checkpoint_to_resume(cfg: TrainCommon, resume: bool) -> str | None:
    """The checkpoint to continue from; refuses to start over an existing run unless asked to resume."""
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(cfg.output_dir)
    last = get_last_checkpoint(str(out)) if out.is_dir() else None
    if resume:
        if last is None:
            raise UserError(f"--resume: no checkpoint-N folder under {out} (nothing to resume)")
        return last
    if last is not None:
        raise UserError(f"{out} already holds checkpoints ({Path(last).name}); pass --resume to continue "
                        f"that run or set output_dir to a new folder")
    return None


def prepare_output(cfg: TrainCommon, stage: str) -> Path:
    from rtlgen.config import to_dict

    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stage}_config.json").write_text(json.dumps(to_dict(cfg), indent=2))
    return out


def finish(trainer, cfg: TrainCommon, stage: str, resume_from: str | None, tokenizer, extra: dict | None = None) -> dict:
    """Train (resuming if asked), save the final adapter or model, and write `summary.json`."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # our JSONL log and progress bar replace its dict dumps
    start = time.monotonic()
    result = trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.monotonic() - start
    out = Path(cfg.output_dir)
    final = out / ("adapter" if cfg.lora.enabled else "model")
    trainer.save_model(str(final))
    tokenizer.save_pretrained(str(final))
    if cfg.lora.enabled and cfg.adapter_save_dtype:
        cast_adapter(final / "adapter_model.safetensors", cfg.adapter_save_dtype)
    logs = [r for r in trainer.state.log_history if "loss" in r]
    tps = None
    scale = (extra or {}).get("token_scale", 1)
    toks = [r["num_tokens"] * scale for r in trainer.state.log_history if isinstance(r.get("num_tokens"), (int, float))]
    if toks and seconds > 0:
        tps = toks[-1] / seconds if resume_from is None else None
    summary = {
        "stage": stage, "output": str(final), "global_step": trainer.state.global_step,
        "train_loss": result.training_loss, "final_logged_loss": logs[-1]["loss"] if logs else None,
        "seconds": round(seconds, 2), "tokens": toks[-1] if toks else None, "tokens_per_s": tps,
        "resumed_from": resume_from, "trainable_params": count_trainable(trainer.model),
    }
    if extra:
        summary.update(extra)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def cast_adapter(path: Path, dtype: str) -> None:
    """Rewrite a saved adapter in `dtype` (peft keeps adapters in fp32; bf16 halves the file)."""
    import torch
    from safetensors.torch import load_file, save_file

    if not path.exists():
        return
    target = getattr(torch, dtype, None)
    if not isinstance(target, torch.dtype):
        raise UserError(f"adapter_save_dtype {dtype!r} is not a torch dtype (float32, bfloat16, float16)")
    tensors = load_file(str(path))
    if all(t.dtype == target for t in tensors.values()):
        return
    tmp = path.with_suffix(".tmp")
    save_file({k: v.to(target).contiguous() for k, v in tensors.items()}, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)


def count_trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def fmt_rate(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f}"


def quiet_libraries() -> None:
    """Keep transformers/datasets chatter out of the terminal; our bar and JSONL log say what matters."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
    warnings.filterwarnings("ignore", message=r".*gradient_checkpointing.*deprecated.*")
    try:
        import datasets

        datasets.disable_progress_bars()
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:
        pass
