"""Fixture data and helpers for the finetune tests: small round-1/round-2 datasets in the data
pipeline's formats, the tiny model, and weight snapshots to prove what training touched."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "train"
PROBLEMS = FIXTURES / "problems"
REPO = Path(__file__).resolve().parents[1]

_OPS = [("and", "&"), ("or", "|"), ("xor", "^"), ("add", "+"), ("sub", "-")]


def verilog_modules(n: int = 40) -> list[str]:
    out = []
    for i in range(n):
        name, op = _OPS[i % len(_OPS)]
        w = 2 + i % 7
        if i % 3 == 0:
            out.append(f"module {name}_reg{i} (\n  input clk,\n  input rst,\n  input [{w-1}:0] a,\n  input [{w-1}:0] b,\n"
                       f"  output reg [{w-1}:0] q\n);\n  always @(posedge clk)\n    if (rst) q <= {w}'d0;\n"
                       f"    else q <= a {op} b;\nendmodule\n")
        else:
            out.append(f"module {name}{i} (\n  input [{w-1}:0] a,\n  input [{w-1}:0] b,\n  output [{w-1}:0] y\n);\n"
                       f"  assign y = a {op} b;\nendmodule\n")
    return out


def write_round1(path: Path, n: int = 40) -> Path:
    with path.open("w") as fh:
        for i, text in enumerate(verilog_modules(n)):
            fh.write(json.dumps({"text": text, "source": f"fixture/{i}", "license": "MIT"}) + "\n")
    return path


def write_round2(path: Path, n: int = 16) -> Path:
    mods = verilog_modules(n)
    with path.open("w") as fh:
        for i, text in enumerate(mods):
            name, op = _OPS[i % len(_OPS)]
            prompt = f"Write a Verilog module that computes a {op} b for {2 + i % 7}-bit inputs a and b."
            fh.write(json.dumps({"prompt": prompt, "completion": text, "source": f"fixture/{i}"}) + "\n")
    return path


def build_tiny(out: Path) -> Path:
    from finetune.tiny import build_tiny_model

    texts = verilog_modules(60) + [p.read_text() for p in PROBLEMS.glob("*.txt")]
    return build_tiny_model(out, texts, vocab_size=400, hidden=32, layers=2, heads=2)


def snapshot(state: dict) -> dict:
    return {k: v.detach().clone().float() for k, v in state.items()}


def load_adapter_state(adapter_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(adapter_dir) / "adapter_model.safetensors"))


def tiny_overrides(model_dir: Path, out_dir: Path, **extra) -> list[str]:
    base = {"model": str(model_dir), "output_dir": str(out_dir), "bf16": False, "use_cpu": True,
            "optim": "adamw_torch", "batch_size": 4, "logging_steps": 1, "save_steps": 1000, "progress": False,
            "lora.r": 4, "lora.alpha": 8, "max_length": 128, "dataloader_workers": 0, "learning_rate": 1e-2}
    base.update(extra)
    return [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in base.items()]
