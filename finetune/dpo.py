"""DPO on testbench outcomes: sample k candidates per synthesised problem from the SFT policy,
simulate them, pair better against worse (`finetune/pairs.py`), then trl's `DPOTrainer`.

The policy is base + `init_adapters` (R1, R2) merged; a fresh LoRA adapter is trained on top, so the
reference model is that merged SFT policy with the adapter switched off — no second model copy in
memory. With `rounds > 1`, each round samples from the previous round's result (on-policy DPO) and
writes `round-<i>/` under `output_dir`.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from eval.errors import UserError
from finetune import common, pairs as pairs_mod
from finetune.config import DPOStageConfig
from finetune.round2 import as_messages, marked_answer, top_of, use_chat

console = Console(stderr=True)


def sample_candidates(cfg: DPOStageConfig, problems: Path, adapters: list[str], out_file: Path) -> Path:
    """k samples per problem from model + adapters, through the generation helper's batch sampler."""
    try:
        from rtlgen.eval_sampling import generate_benchmark_samples
    except ImportError:
        raise UserError("this install has no sampling backend (rtlgen.eval_sampling); pass samples=FILE "
                        "(JSONL of task_id/completion) or pairs=FILE instead") from None
    from eval.benchmarks import get_benchmark

    from finetune.scaffold import picked

    tasks = get_benchmark("local:" + str(problems)).load()
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if out_file.exists():
        out_file.unlink()  # the sampler appends; a half file from a killed run would double-count
    backend = None
    for scaffold in (False, True):
        group = [t for t in tasks.values() if picked(t.task_id, cfg.scaffold_fraction) == scaffold]
        if not group:
            continue
        if backend is None:
            from rtlgen.backends import get_backend

            backend = get_backend("hf", model=cfg.model, adapters=list(adapters))
        generate_benchmark_samples(group, str(out_file), model=cfg.model, adapters=list(adapters),
                                   n=cfg.k, temperature=cfg.temperature, top_p=cfg.top_p,
                                   max_new_tokens=cfg.max_new_tokens, scaffold=scaffold, backend_instance=backend)
    return out_file


def obtain_pairs(cfg: DPOStageConfig, round_dir: Path, adapters: list[str], round_idx: int,
                 resume: bool = False) -> tuple[Path, dict]:
    """The pairs file for this round: given, or built from given samples, or from fresh samples."""
    if cfg.pairs and round_idx == 0:
        p = Path(cfg.pairs)
        if not p.exists():
            raise UserError(f"pairs file not found: {p}")
        return p, {"source": str(p)}
    existing = round_dir / "pairs" / "pairs.jsonl"
    if resume and existing.exists() and (round_dir / "pairs" / "pairs_stats.json").exists():
        return existing, json.loads((round_dir / "pairs" / "pairs_stats.json").read_text())
    pdir = pairs_mod.refuse_benchmarks(cfg.problems)
    if cfg.samples and round_idx == 0:
        samples = Path(cfg.samples)
    else:
        samples = sample_candidates(cfg, pdir, adapters, round_dir / "pairs" / "samples.jsonl")
    return pairs_mod.make_pairs(str(pdir), samples, round_dir / "pairs",
                                max_pairs_per_problem=cfg.max_pairs_per_problem,
                                require_passing_chosen=cfg.require_passing_chosen,
                                workers=cfg.sim_workers, progress=cfg.progress)


def posed_pair(row: dict, scaffold_fraction: float) -> tuple[list[dict], str, str]:
    """(prompt messages, chosen, rejected) as the sampler posed the problem: a problem picked for the
    scaffold (`finetune.scaffold.picked` on its task id, as `sample_candidates` picks) whose spec yields
    a header gets the code-completion prompt and the candidates' bodies; any other gets the
    spec-to-RTL prompt and `[BEGIN]…[DONE]` answers. A candidate whose text held no module to
    extract was stored as the raw text the model wrote after the header, which is its body."""
    from finetune.scaffold import answer_body, picked
    from rtlgen.prompts import build_prompt

    top = row.get("top") or top_of(row["chosen"])
    if picked(row.get("task_id", ""), scaffold_fraction):
        p = build_prompt(row["prompt"], kind="spec-to-rtl", top=top, scaffold=True)
        if p.meta.get("scaffold"):
            chosen, rejected = (answer_body(row[k], top) or row[k] for k in ("chosen", "rejected"))
            return p.messages, chosen.strip("\n") + "\n", rejected.strip("\n") + "\n"
    p = build_prompt(row["prompt"], kind="spec-to-rtl", top=top)
    return p.messages, marked_answer(row["chosen"]), marked_answer(row["rejected"])


def build_dataset(cfg: DPOStageConfig, tok, pairs_file: Path):
    from datasets import Dataset

    rows = common.read_jsonl(pairs_file, ("prompt", "chosen", "rejected"))
    if cfg.prompt_format not in ("rtlgen", "raw"):
        raise UserError(f"dpo prompt_format must be 'rtlgen' or 'raw', not {cfg.prompt_format!r}")
    if cfg.prompt_format == "rtlgen":
        posed = [posed_pair(r, cfg.scaffold_fraction) for r in rows]
        if use_chat(cfg, tok):
            return Dataset.from_dict({
                "prompt": [m for m, _, _ in posed],
                "chosen": [[{"role": "assistant", "content": c}] for _, c, _ in posed],
                "rejected": [[{"role": "assistant", "content": r}] for _, _, r in posed],
            })
        from rtlgen.prompts import Prompt

        return Dataset.from_dict({"prompt": [Prompt(m, "", "").plain for m, _, _ in posed],
                                  "chosen": [c + "\n" for _, c, _ in posed],
                                  "rejected": [r + "\n" for _, _, r in posed]})
    if use_chat(cfg, tok):
        prompts = [as_messages(r["prompt"], None, cfg.system_prompt)[0] for r in rows]
        return Dataset.from_dict({
            "prompt": prompts,
            "chosen": [[{"role": "assistant", "content": r["chosen"]}] for r in rows],
            "rejected": [[{"role": "assistant", "content": r["rejected"]}] for r in rows],
        })
    return Dataset.from_dict({"prompt": [r["prompt"].rstrip() + "\n" for r in rows],
                              "chosen": [r["chosen"] for r in rows], "rejected": [r["rejected"] for r in rows]})


def dpo_args(cfg: DPOStageConfig, output_dir: str):
    from trl import DPOConfig

    losses = loss_types(cfg)
    args = common.common_args(cfg) | dict(
        output_dir=output_dir, beta=cfg.beta,
        loss_type=losses, max_length=cfg.max_length,
        precompute_ref_log_probs=cfg.precompute_ref_log_probs,
    )
    if cfg.loss_weights:
        args["loss_weights"] = [float(w) for w in cfg.loss_weights]
    return DPOConfig(**(args | dict(cfg.extra_args)))


KNOWN_LOSSES = ("sigmoid", "hinge", "ipo", "robust", "bco_pair", "sppo_hard", "nca_pair", "apo_zero", "apo_down",
                "exo_pair", "discopop", "aot", "aot_pair", "sft")


def loss_types(cfg: DPOStageConfig) -> list[str]:
    """`loss_type` as trl's list, refusing unknown names and weights that do not match one for one."""
    losses = [t.strip() for t in cfg.loss_type.split("+") if t.strip()]
    unknown = [t for t in losses if t not in KNOWN_LOSSES]
    if not losses or unknown:
        raise UserError(f"unknown DPO loss_type {cfg.loss_type!r}: use one of {', '.join(KNOWN_LOSSES)}, "
                        f"or several joined by '+' (default: sigmoid)")
    if cfg.loss_weights and len(cfg.loss_weights) != len(losses):
        raise UserError(f"loss_weights has {len(cfg.loss_weights)} values for {len(losses)} losses "
                        f"({cfg.loss_type!r})")
    return losses


def build_trainer(cfg: DPOStageConfig, round_cfg: DPOStageConfig, pairs_file: Path):
    """(trainer, tokenizer) for one DPO round; tests inspect the trainer before and after training."""
    path = common.resolve_model_path(cfg.model)
    tok = common.load_tokenizer(path)
    dataset = build_dataset(cfg, tok, pairs_file)
    if len(dataset) == 0:
        raise UserError(f"{pairs_file} holds no preference pairs (every problem's candidates tied); sample more "
                        f"candidates (k), raise the temperature, or check the problems")
    model = common.load_model(round_cfg, path)
    from trl import DPOTrainer

    trainer = DPOTrainer(model=model, args=dpo_args(cfg, round_cfg.output_dir), train_dataset=dataset,
                         processing_class=tok, peft_config=common.peft_config(cfg),
                         callbacks=common.make_callbacks(round_cfg, "dpo"))
    kept = len(trainer.train_dataset)
    if kept == 0:  # trl drops pairs whose prompt alone reaches max_length
        raise UserError(f"every one of the {len(dataset)} pairs has a prompt of max_length={cfg.max_length} tokens "
                        f"or more; raise max_length")
    if kept < len(dataset):
        console.print(f"[yellow]dpo:[/yellow] {len(dataset) - kept} of {len(dataset)} pairs dropped: prompt ≥ "
                      f"max_length={cfg.max_length} tokens")
    return trainer, tok


def _train_round(cfg: DPOStageConfig, round_cfg: DPOStageConfig, pairs_file: Path, resume_from: str | None,
                 extra: dict) -> dict:
    trainer, tok = build_trainer(cfg, round_cfg, pairs_file)
    summary = common.finish(trainer, round_cfg, "dpo", resume_from, tok,
                            extra | {"pairs": len(trainer.train_dataset)})
    margins = []
    for rec in trainer.state.log_history:
        if "rewards/margins" in rec:
            margins.append(rec["rewards/margins"])
    summary["reward_margin_first"] = margins[0] if margins else None
    summary["reward_margin_last"] = margins[-1] if margins else None
    Path(round_cfg.output_dir, "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def train(cfg: DPOStageConfig, resume: bool = False) -> dict:
    import copy

    common.quiet_libraries()
    common.settle_device(cfg)
    loss_types(cfg)
    if cfg.rounds < 1:
        raise UserError("rounds must be ≥ 1")
    if not cfg.pairs:
        pairs_mod.refuse_benchmarks(cfg.problems)
    root = Path(cfg.output_dir)
    adapters = list(cfg.init_adapters)
    summaries = []
    for i in range(cfg.rounds):
        round_cfg = copy.deepcopy(cfg)
        round_cfg.output_dir = str(root if cfg.rounds == 1 else root / f"round-{i}")
        rdir = Path(round_cfg.output_dir)
        final = rdir / ("adapter" if cfg.lora.enabled else "model")
        if resume and (rdir / "summary.json").exists() and final.exists():
            console.print(f"dpo round {i}: already finished, skipped")
            summaries.append(json.loads((rdir / "summary.json").read_text()))
        else:
            resume_from = common.checkpoint_to_resume(round_cfg, resume and _has_checkpoint(rdir))
            common.prepare_output(round_cfg, "dpo")
            pairs_file, stats = obtain_pairs(cfg, rdir, adapters, i, resume)
            if stats.get("pairs") == 0:
                raise UserError(f"dpo round {i}: no preference pairs (all candidates of every problem tied: "
                                f"{stats.get('passed', 0)}/{stats.get('candidates', 0)} passed); sample more "
                                f"candidates (k), raise the temperature, or check the problems")
            console.print(f"dpo round {i}: {stats.get('pairs', 'the')} pairs from {pairs_file}")
            round_cfg.init_adapters = adapters
            summaries.append(_train_round(cfg, round_cfg, pairs_file, resume_from, {"round": i, "pair_stats": stats}))
        adapters = adapters + [str(final)]
    return summaries[-1] | {"rounds": summaries} if cfg.rounds > 1 else summaries[-1]


def _has_checkpoint(d: Path) -> bool:
    return d.is_dir() and any(p.name.startswith("checkpoint-") for p in d.iterdir())
