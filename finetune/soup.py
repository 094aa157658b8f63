"""A model soup of LoRA fine-tunes: average the weight changes of runs that share a starting point.

Why: round-2 runs over the same round 1 that differ only in their data mix win on different
benchmarks (run 9f on VerilogEval v1 Machine, run 10n on Human and code-complete), and fine-tunes
from one start lie in one basin, where the average of their weights tends to keep what each learned
and lose some of what each overfit (Wortsman et al., "Model soups", 2022). A LoRA adapter is only a
factored change B·A, so the soup is taken over the changes themselves: every member's ΔW = (α/r)·B·A,
summed over its stacked parts, then weighted and averaged per layer. Averaging factors instead would
be meaningless, since each run's A starts from its own random init. The average has rank up to the
sum of the members' ranks; it is written back at a chosen rank by truncated SVD (the Eckart–Young
optimum, as `extract_adapter` does), and the report says how much of the average's energy the rank
kept, how large each member's change is and how alike the members are (cosine of their changes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from finetune.common import UserError
from finetune.extract import lowrank_factors

_A, _B = ".lora_A.weight", ".lora_B.weight"


def member_dirs(member: str | Path) -> list[Path]:
    """The adapter dirs a soup member stands for: one LoRA adapter, or a folder of stacked `part*/`
    adapters (how `split_adapter` ships a large rank)."""
    path = Path(member)
    if (path / "adapter_config.json").is_file():
        return [path]
    parts = sorted((p for p in path.glob("part*") if (p / "adapter_config.json").is_file()),
                   key=lambda p: (len(p.name), p.name))
    if not parts:
        raise UserError(f"{member} is neither a LoRA adapter dir nor a folder of part*/ adapters")
    return parts


def adapter_delta(member: str | Path) -> dict:
    """Per adapted layer, the change the member adds to the base weight: Σ over its parts of (α/r)·B·A (fp32)."""
    from safetensors.torch import load_file

    deltas: dict = {}
    for d in member_dirs(member):
        try:
            config = json.loads((d / "adapter_config.json").read_text())
            tensors = load_file(str(d / "adapter_model.safetensors"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{d} is not a readable LoRA adapter: {exc}") from None
        if config.get("peft_type", "LORA") != "LORA" or config.get("use_dora") or config.get("rank_pattern") \
                or config.get("alpha_pattern"):
            raise UserError(f"{d}: only plain LoRA adapters (one rank and alpha, no DoRA) can be souped")
        rank = int(config["r"])
        scale = float(config["lora_alpha"]) / (rank ** 0.5 if config.get("use_rslora") else rank)
        for key, a in tensors.items():
            if key.endswith(_A):
                layer = key[: -len(_A)]
                b = tensors.get(layer + _B)
                if b is None:
                    raise UserError(f"{d}: {layer} has lora_A but no lora_B")
                change = scale * (b.float() @ a.float())
                if layer in deltas and deltas[layer].shape != change.shape:
                    raise UserError(f"{d}: {layer} is {tuple(change.shape)} here but "
                                    f"{tuple(deltas[layer].shape)} in another part")
                deltas[layer] = deltas[layer] + change if layer in deltas else change
            elif not key.endswith(_B):
                raise UserError(f"{d}: tensor {key} is neither lora_A nor lora_B; a soup cannot carry it")
    if not deltas:
        raise UserError(f"{member} holds no LoRA weights")
    return deltas


def _norm2(deltas: dict) -> float:
    return sum(float(t.pow(2).sum()) for t in deltas.values())


def soup_adapters(members: list[str | Path], out: str | Path, rank: int, *, weights: list[float] | None = None,
                  dtype: str = "bfloat16") -> dict:
    """Write `out/adapter_model.safetensors` + `adapter_config.json` holding the weighted mean of the
    members' changes at `rank`, and return the report (also `out/soup_report.json`)."""
    import torch
    from peft import LoraConfig
    from safetensors.torch import save_file

    if len(members) < 2:
        raise UserError(f"a soup needs at least two members (got {len(members)})")
    weights = [1.0] * len(members) if not weights else [float(w) for w in weights]
    if len(weights) != len(members):
        raise UserError(f"{len(weights)} weights for {len(members)} members")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise UserError(f"weights must be ≥ 0 with a positive sum (got {weights})")
    if rank < 1:
        raise UserError(f"rank must be ≥ 1 (got {rank})")
    share = [w / sum(weights) for w in weights]
    changes = [adapter_delta(m) for m in members]
    layers = sorted(set().union(*changes))
    tensors, per_layer, kept_total, energy_total = {}, {}, 0.0, 0.0
    with torch.no_grad():
        for layer in layers:
            present = [(s, c[layer]) for s, c in zip(share, changes) if layer in c]
            shapes = {tuple(t.shape) for _, t in present}
            if len(shapes) > 1:
                raise UserError(f"{layer} has shapes {sorted(shapes)} across members: not runs of one model")
            mean = sum(s * t for s, t in present)  # a member that left a layer alone adds zero there
            a, b, kept, energy = lowrank_factors(mean, rank)
            if energy == 0.0:
                continue
            tensors[layer + _A], tensors[layer + _B] = a, b
            per_layer[layer] = {"kept_energy": round(kept / energy, 5), "delta_norm": round(energy ** 0.5, 5)}
            kept_total += kept
            energy_total += energy
        norms = [_norm2(c) ** 0.5 for c in changes]
        cosine = {f"{i}-{j}": round(sum(float((changes[i][k] * changes[j][k]).sum())
                                        for k in changes[i].keys() & changes[j].keys()) / (norms[i] * norms[j]), 4)
                  for i in range(len(changes)) for j in range(i + 1, len(changes))}
    if not tensors:
        raise UserError("the members' weighted changes cancel out: nothing to write")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "adapter_model.safetensors"
    tmp = path.with_suffix(".tmp")
    save_file({k: v.to(getattr(torch, dtype)) for k, v in tensors.items()}, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)
    modules = sorted({k.rsplit(".", 1)[-1] for k in per_layer})
    first = json.loads((member_dirs(members[0])[0] / "adapter_config.json").read_text())
    # alpha = r: peft scales B·A by alpha/r, and the factors already carry the singular values
    LoraConfig(r=rank, lora_alpha=rank, lora_dropout=0.0, target_modules=modules, task_type="CAUSAL_LM",
               bias="none", base_model_name_or_path=first.get("base_model_name_or_path")).save_pretrained(str(out))
    report = {
        "members": [str(m) for m in members], "weights": share, "rank": rank, "dtype": dtype,
        "layers": len(per_layer), "kept_energy": round(kept_total / energy_total, 5),
        "kept_energy_min": min(v["kept_energy"] for v in per_layer.values()),
        "member_norms": [round(n, 4) for n in norms], "soup_norm": round(energy_total ** 0.5, 4),
        "member_cosine": cosine, "file_bytes": path.stat().st_size, "per_layer": per_layer,
    }
    (out / "soup_report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
