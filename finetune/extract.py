"""Ship a full fine-tune as LoRA adapters: each linear layer's change, cut to rank r by SVD.

Why: the repository's file limit (16 MiB a file) holds a rank-24 adapter of a 135M model, and
`split_adapter` stacks several files for more, but full fine-tuning learns more than a low-rank
update can hold. Training fully (with `full_scope:
linear`, so only the decoder's linear layers move) and then writing the best rank-r approximation
of every layer's change (truncated SVD: the Eckart–Young optimum in Frobenius norm) keeps what the
full run learned in the directions that matter most, in a file that stacks on the base model like
any other stage's adapter. `extract_report.json` says how much of each change the rank kept, so the
cost of the cut is a measured number, not a hope.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from finetune.common import UserError, decoder_linear_names, load_model, resolve_model_path
from finetune.config import TrainCommon


def extract_adapter(base: str, tuned: str, out: str | Path, rank: int, *, init_adapters: list[str] | None = None,
                    dtype: str = "bfloat16") -> dict:
    """Write `out/adapter_model.safetensors` + `adapter_config.json` such that base (+ init adapters)
    + this adapter ≈ `tuned`, and return the report (also written to `out/extract_report.json`)."""
    import torch
    from peft import LoraConfig
    from safetensors.torch import save_file

    if rank < 1:
        raise UserError(f"rank must be ≥ 1 (got {rank})")
    tuned_path = resolve_model_path(tuned)
    # rebuild the starting point in the dtype the run trained in (what its checkpoint says), so that
    # the difference is the training's and not rounding between dtypes
    weights = getattr(torch, trained_dtype(tuned_path), torch.float32)
    cfg = TrainCommon(model=base, init_adapters=list(init_adapters or []))
    start = load_model(cfg, resolve_model_path(base), dtype=weights).float()
    end = load_model(TrainCommon(model=tuned), tuned_path, dtype=weights).float()
    start_p, end_p = dict(start.named_parameters()), dict(end.named_parameters())
    if start_p.keys() != end_p.keys():
        raise UserError(f"{tuned} is not the same architecture as {base}: their parameter names differ")
    linear = set(decoder_linear_names(start))
    for name, p in start_p.items():  # a change outside the linear layers cannot ride in a LoRA adapter
        if name.removesuffix(".weight") not in linear and not torch.equal(p, end_p[name]):
            raise UserError(f"{tuned} changed {name}, which a LoRA adapter cannot carry "
                            "(train with full_scope=linear)")
    tensors, layers, kept_total, energy_total = {}, {}, 0.0, 0.0
    with torch.no_grad():
        for name in sorted(linear):
            a, b, kept, energy = lowrank_factors(end_p[f"{name}.weight"] - start_p[f"{name}.weight"], rank)
            if energy == 0.0:
                continue
            key = f"base_model.model.{name}"
            tensors[f"{key}.lora_A.weight"], tensors[f"{key}.lora_B.weight"] = a, b
            layers[name] = {"kept_energy": round(kept / energy, 5), "delta_norm": round(energy ** 0.5, 5)}
            kept_total += kept
            energy_total += energy
    if not tensors:
        raise UserError(f"{tuned} does not differ from {base} in any linear layer: nothing to extract")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = getattr(torch, dtype)
    path = out / "adapter_model.safetensors"
    tmp = path.with_suffix(".tmp")
    save_file({k: v.to(target) for k, v in tensors.items()}, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)
    modules = sorted({n.rsplit(".", 1)[-1] for n in layers})
    # alpha = r: peft scales B·A by alpha/r, and the factors above already carry the singular values
    LoraConfig(r=rank, lora_alpha=rank, lora_dropout=0.0, target_modules=modules, task_type="CAUSAL_LM",
               bias="none", base_model_name_or_path=base).save_pretrained(str(out))
    report = {
        "base": base, "init_adapters": cfg.init_adapters, "tuned": tuned, "rank": rank, "dtype": dtype,
        "layers": len(layers), "kept_energy": round(kept_total / energy_total, 5),
        "kept_energy_min": min(v["kept_energy"] for v in layers.values()),
        "file_bytes": path.stat().st_size, "per_layer": layers,
    }
    (out / "extract_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def lowrank_factors(delta, rank: int):
    """The best rank-`rank` LoRA factors of one layer's change, by truncated SVD (Eckart–Young).

    Returns (A, B, kept, energy): B·A is the approximation with the singular values split evenly
    between the factors (√s on each side, so neither dwarfs the other in bf16), `energy` is ‖ΔW‖²
    and `kept` the part of it the rank holds. A layer narrower than `rank` is zero-padded to the
    adapter's one rank; zeros add nothing."""
    import torch
    import torch.nn.functional as F

    energy = float(delta.pow(2).sum())
    if energy == 0.0:
        return None, None, 0.0, 0.0
    u, s, vh = torch.linalg.svd(delta, full_matrices=False)
    r = min(rank, s.numel())
    root = s[:r].sqrt()
    a = F.pad(root[:, None] * vh[:r], (0, 0, 0, rank - r)).contiguous()
    b = F.pad(u[:, :r] * root[None, :], (0, rank - r)).contiguous()
    return a, b, float(s[:r].pow(2).sum()), energy


def trained_dtype(path: str) -> str:
    """The dtype a saved checkpoint was written in ("float32" when its config does not say)."""
    try:
        config = json.loads((Path(path) / "config.json").read_text())
    except (OSError, ValueError):
        return "float32"
    return str(config.get("dtype") or config.get("torch_dtype") or "float32")


def split_adapter(adapter: str | Path, out: str | Path, parts: int) -> list[Path]:
    """Cut one rank-r LoRA adapter into `parts` adapters whose ranks sum to r and stack to the same change.

    B·A = Σ B[:, i]·A[i] over any partition of the rank, and each part keeps the original alpha/r
    scale, so merging the parts in any order gives exactly the original update: the rank-128 round 2
    ships as five files under the 16 MiB limit with nothing lost. Ranks that do not divide evenly
    give the first parts one more (128 in 5 parts: 26, 26, 26, 25, 25), so the fewest files fit."""
    from safetensors.torch import load_file, save_file

    src = Path(adapter)
    try:
        config = json.loads((src / "adapter_config.json").read_text())
        tensors = load_file(str(src / "adapter_model.safetensors"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{src} is not a LoRA adapter dir: {exc}") from None
    rank = int(config["r"])
    if parts < 1 or parts > rank:
        raise UserError(f"cannot cut rank {rank} into {parts} parts (1 to {rank})")
    if config.get("rank_pattern") or config.get("alpha_pattern") or config.get("use_rslora") or config.get("use_dora"):
        raise UserError(f"{src}: per-module ranks, rsLoRA and DoRA adapters cannot be split exactly")
    base, extra = divmod(rank, parts)
    sizes = [base + (i < extra) for i in range(parts)]
    scale = float(config["lora_alpha"]) / rank
    written, start = [], 0
    for i, size in enumerate(sizes):
        cut = slice(start, start + size)
        start += size
        part = {}
        for key, t in tensors.items():
            if ".lora_A." in key:
                part[key] = t[cut].contiguous()
            elif ".lora_B." in key:
                part[key] = t[:, cut].contiguous()
            else:
                raise UserError(f"{src}: tensor {key} is neither lora_A nor lora_B; cannot split")
        dest = Path(out) / f"part{i + 1}"
        dest.mkdir(parents=True, exist_ok=True)
        save_file(part, str(dest / "adapter_model.safetensors"), metadata={"format": "pt"})
        alpha = scale * size
        config_part = {**config, "r": size, "lora_alpha": int(alpha) if alpha.is_integer() else alpha}
        (dest / "adapter_config.json").write_text(json.dumps(config_part, indent=2))
        written.append(dest)
    return written
