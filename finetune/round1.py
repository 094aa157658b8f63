"""Round 1: causal-LM training on raw Verilog text (AutoVCoder's domain-adaptation round).

Documents are packed into fixed blocks of `max_length` tokens (EOS between documents) so that no
compute goes to padding — the main reason trl's defaults are slow on short code files.
"""

from __future__ import annotations

from finetune import common
from finetune.config import Round1Config


def build_dataset(cfg: Round1Config):
    from datasets import Dataset

    rows = common.read_jsonl(cfg.data, (cfg.text_field,))
    texts = [r[cfg.text_field] for r in rows if r[cfg.text_field].strip()]
    return Dataset.from_dict({"text": texts})


def sft_args(cfg: Round1Config):
    from trl import SFTConfig

    return SFTConfig(**(common.common_args(cfg) | dict(
        dataset_text_field="text", max_length=cfg.max_length, packing=cfg.packing,
        packing_strategy=cfg.packing_strategy, completion_only_loss=False,
    ) | {k: v for k, v in cfg.extra_args.items()}))


def build(cfg: Round1Config, resume: bool = False):
    """(trainer, tokenizer, checkpoint to resume from, summary extras) — tests inspect the trainer."""
    common.quiet_libraries()
    common.settle_device(cfg)
    resume_from = common.checkpoint_to_resume(cfg, resume)
    path = common.resolve_model_path(cfg.model)
    tok = common.load_tokenizer(path)
    dataset = build_dataset(cfg)
    common.prepare_output(cfg, "round1")
    model = common.load_model(cfg, path)
    from trl import SFTTrainer

    trainer = SFTTrainer(model=model, args=sft_args(cfg), train_dataset=dataset, processing_class=tok,
                         peft_config=common.peft_config(cfg), callbacks=common.make_callbacks(cfg, "round1"))
    return trainer, tok, resume_from, {"documents": len(dataset)}


def train(cfg: Round1Config, resume: bool = False) -> dict:
    trainer, tok, resume_from, extra = build(cfg, resume)
    return common.finish(trainer, cfg, "round1", resume_from, tok, extra)
