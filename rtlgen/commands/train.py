"""`rtlgen train round1|round2|dpo|pairs|extract|split|soup`: the fine-tuning stages from the command line.

Each stage reads one YAML config (`finetune/configs/<stage>.yaml` by default) and takes trl-style
`key=value` overrides after it: `rtlgen train round1 max_steps=100 lora.r=32`. Heavy imports
(torch, trl) happen inside the command bodies so `rtlgen --help` stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

train_app = typer.Typer(help="Fine-tuning: round 1 (code LM), round 2 (instruction SFT), DPO on testbench outcomes.",
                        no_args_is_help=True)
console = Console()
CONFIG_DIR = Path(__file__).resolve().parents[2] / "finetune" / "configs"

_CONFIG = typer.Option(None, "--config", "-c", help="YAML config (default: finetune/configs/<stage>.yaml)")
_RESUME = typer.Option(False, "--resume", help="continue from the last checkpoint-N in output_dir")
_OVERRIDES = typer.Argument(None, help="key=value overrides, e.g. max_steps=100 lora.r=32")


def _load(stage: str, config: Path | None, overrides: list[str] | None):
    from finetune.config import STAGES
    from rtlgen.config import load_config

    path = config if config is not None else CONFIG_DIR / f"{stage}.yaml"
    return load_config(STAGES[stage], path, list(overrides or []))


def _show(summary: dict) -> None:
    table = Table("metric", "value", title=f"{summary.get('stage')} done")
    for key in ("output", "global_step", "train_loss", "final_logged_loss", "tokens", "tokens_per_s", "seconds",
                "trainable_params", "pairs", "reward_margin_first", "reward_margin_last", "resumed_from"):
        if summary.get(key) is not None:
            v = summary[key]
            table.add_row(key, f"{v:,.4g}" if isinstance(v, float) else str(v))
    console.print(table)


@train_app.command("round1")
def round1(config: Path = _CONFIG, resume: bool = _RESUME, overrides: list[str] = _OVERRIDES) -> None:
    """Causal-LM training on raw Verilog (packed blocks), LoRA or full."""
    cfg = _load("round1", config, overrides)
    from finetune import round1 as stage

    _show(stage.train(cfg, resume=resume))


@train_app.command("round2")
def round2(config: Path = _CONFIG, resume: bool = _RESUME, overrides: list[str] = _OVERRIDES) -> None:
    """Instruction SFT on prompt/completion pairs, loss on the completion only, from round 1 merged."""
    cfg = _load("round2", config, overrides)
    from finetune import round2 as stage

    _show(stage.train(cfg, resume=resume))


@train_app.command("dpo")
def dpo(config: Path = _CONFIG, resume: bool = _RESUME, overrides: list[str] = _OVERRIDES) -> None:
    """Sample, simulate, pair by testbench outcome, then DPO (β=0.1, sigmoid by default)."""
    cfg = _load("dpo", config, overrides)
    from finetune import dpo as stage

    _show(stage.train(cfg, resume=resume))


@train_app.command("pairs")
def pairs(problems: str = typer.Option(..., "--problems", help="synthesised problems dir (VerilogEval v2 layout)"),
          samples: Path = typer.Option(..., "--samples", help="samples JSONL: task_id, completion[, sample_idx]"),
          out: Path = typer.Option(..., "--out", help="folder for pairs.jsonl, scored.jsonl, pairs_stats.json"),
          max_pairs_per_problem: int = typer.Option(4, help="cap of pairs per problem"),
          require_passing_chosen: bool = typer.Option(False, help="only pairs whose chosen sample passes"),
          workers: int = typer.Option(0, help="simulation workers (0: one per core)")) -> None:
    """Build DPO preference pairs from samples by simulating them (no training)."""
    from finetune.pairs import make_pairs

    path, stats = make_pairs(problems, samples, out, max_pairs_per_problem=max_pairs_per_problem,
                             require_passing_chosen=require_passing_chosen, workers=workers)
    console.print(json.dumps(stats, indent=2))
    console.print(f"pairs written to {path}")


@train_app.command("extract")
def extract(tuned: str = typer.Option(..., "--tuned", help="fully fine-tuned model dir (a stage's output_dir/model)"),
            out: Path = typer.Option(..., "--out", help="folder for the adapter and extract_report.json"),
            base: str = typer.Option("smollm2-135m", "--base", help="the model the run started from"),
            init_adapter: list[str] = typer.Option([], "--init-adapter",
                                                   help="adapters merged into --base before the run (repeatable)"),
            rank: int = typer.Option(24, "--rank", help="LoRA rank (24 keeps a 135M model's adapter under 16 MiB)"),
            dtype: str = typer.Option("bfloat16", "--dtype", help="dtype of the saved adapter")) -> None:
    """Turn a full fine-tune (full_scope=linear) into a LoRA adapter by truncated SVD of each layer's change."""
    from finetune.extract import extract_adapter

    report = extract_adapter(base, tuned, out, rank, init_adapters=init_adapter, dtype=dtype)
    console.print(f"rank {rank}: kept {report['kept_energy']:.1%} of the change's energy over {report['layers']} "
                  f"layers (worst layer {report['kept_energy_min']:.1%}); {report['file_bytes'] / 2**20:.1f} MiB "
                  f"written to {out}")


@train_app.command("split")
def split(adapter: Path = typer.Option(..., "--adapter", help="LoRA adapter dir to cut"),
          out: Path = typer.Option(..., "--out", help="folder for part1 … partN"),
          parts: int = typer.Option(..., "--parts",
                                    help="how many adapters to write (ranks as equal as possible)")) -> None:
    """Cut a LoRA adapter into N stacked adapters whose ranks sum to r (exact), e.g. to keep files under 16 MiB."""
    from finetune.extract import split_adapter

    for p in split_adapter(adapter, out, parts):
        console.print(f"{p}: {(p / 'adapter_model.safetensors').stat().st_size / 2**20:.1f} MiB")


@train_app.command("soup")
def soup(member: list[str] = typer.Option(..., "--member",
                                          help="a LoRA adapter dir, or a folder of part*/ adapters (repeatable, ≥ 2)"),
         out: Path = typer.Option(..., "--out", help="folder for the soup adapter (or its parts) and soup_report.json"),
         weight: list[float] = typer.Option([], "--weight", help="one weight per member, in order (default: equal)"),
         rank: int = typer.Option(128, "--rank", help="rank of the written adapter (truncated SVD of the mean change)"),
         parts: int = typer.Option(1, "--parts", help="also cut the soup into N stacked adapters (files under 16 MiB)"),
         dtype: str = typer.Option("bfloat16", "--dtype", help="dtype of the saved adapter")) -> None:
    """Average the weight changes of LoRA runs that share a starting point (a model soup), written at --rank."""
    from finetune.extract import split_adapter
    from finetune.soup import soup_adapters

    report = soup_adapters(member, out, rank, weights=weight, dtype=dtype)
    cosine = ", ".join(f"{k} {v:.2f}" for k, v in report["member_cosine"].items())
    console.print(f"soup of {len(member)} over {report['layers']} layers: rank {rank} kept {report['kept_energy']:.2%} "
                  f"of the mean change (worst layer {report['kept_energy_min']:.1%}); member cosines {cosine}; "
                  f"{report['file_bytes'] / 2**20:.1f} MiB written to {out}")
    if parts > 1:
        for p in split_adapter(out, out, parts):
            console.print(f"{p}: {(p / 'adapter_model.safetensors').stat().st_size / 2**20:.1f} MiB")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
