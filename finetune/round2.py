"""Round 2: instruction SFT on spec → Verilog pairs, loss on the completion only.

It starts from round 1 by *merging* the round-1 adapter into the base weights (`init_adapters`) and
training a fresh LoRA adapter on top; see `finetune/common.py` for why merging beats continuing one
adapter (separate, composable adapters for the ablations; the right DPO reference later).
"""

from __future__ import annotations

import re

from finetune import common
from finetune.config import Round2Config


def as_messages(prompt: str, completion: str | None, system: str) -> tuple[list[dict], list[dict] | None]:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return msgs, ([{"role": "assistant", "content": completion}] if completion is not None else None)


def marked_answer(code: str) -> str:
    """A spec-to-RTL answer as the prompt asks for it: the code between [BEGIN] and [DONE]."""
    return "[BEGIN]\n" + code.strip() + "\n[DONE]"


def top_of(code: str) -> str:
    """The first module `code` defines (the row's top), TopModule when it names none."""
    m = re.search(r"\bmodule\s+([A-Za-z_]\w*)", code)
    return m.group(1) if m else "TopModule"


def inference_format(prompt: str, completion: str, kind: str = "spec-to-rtl",
                     context: str | None = None, scaffold: bool = False) -> tuple[list[dict], str]:
    """The pair as `rtlgen generate` and the benchmark protocols will pose it: the runtime's own
    messages for the task kind, and the answer between [BEGIN] and [DONE] as the prompt asks.

    For code completion the prompt already ends with the module header and the answer is the bare
    body through `endmodule` (that template asks for no markers), as VerilogEval's completions are.
    `context` is retrieved text (rag_index/training.py) placed where `--rag` places it. `scaffold`
    poses a spec-to-RTL pair as `rtlgen generate` does, header written from the spec's port list and
    the reference's body as the answer, when that header fits the reference (`finetune.scaffold`)."""
    from rtlgen.prompts import build_prompt

    if kind == "code-complete":
        p = build_prompt(prompt, kind=kind, top=top_of(prompt), context=context)
        return p.messages, completion.strip("\n") + "\n"
    top = top_of(completion)
    if scaffold:
        from finetune.scaffold import faithful_body

        body = faithful_body(prompt, completion, top)
        if body is not None:
            p = build_prompt(prompt, kind="spec-to-rtl", top=top, context=context, scaffold=True)
            return p.messages, body.strip("\n") + "\n"
    p = build_prompt(prompt, kind="spec-to-rtl", top=top, context=context)
    return p.messages, marked_answer(completion)


def use_chat(cfg, tok) -> bool:
    return bool(cfg.chat_template and getattr(tok, "chat_template", None))


def build_dataset(cfg: Round2Config, tok):
    """prompt/completion pairs; as chat messages when the tokenizer has a chat template (how instruct
    models are prompted at generation time), else as plain text with the completion appended."""
    from datasets import Dataset

    rows = common.read_jsonl(cfg.data, ("prompt", "completion"))
    rows = [r for r in rows if r["prompt"].strip() and r["completion"].strip()]
    kinds = {r.get("kind", "spec-to-rtl") for r in rows}
    if kinds - {"spec-to-rtl", "code-complete"}:
        from eval.errors import UserError

        raise UserError(f"{cfg.data}: unknown task kind(s) {sorted(kinds - {'spec-to-rtl', 'code-complete'})} "
                        f"(rows may say kind: spec-to-rtl or code-complete)")
    if cfg.prompt_format not in ("rtlgen", "raw"):
        from eval.errors import UserError

        raise UserError(f"round2 prompt_format must be 'rtlgen' or 'raw', not {cfg.prompt_format!r}")
    if cfg.prompt_format == "rtlgen":
        from finetune.scaffold import picked

        formatted = [inference_format(r["prompt"], r["completion"], r.get("kind", "spec-to-rtl"), r.get("context"),
                                      scaffold=picked(r["prompt"], cfg.scaffold_fraction))
                     for r in rows]
        if use_chat(cfg, tok):
            return Dataset.from_dict({"prompt": [m for m, _ in formatted],
                                      "completion": [[{"role": "assistant", "content": c}] for _, c in formatted]})
        from rtlgen.prompts import Prompt

        return Dataset.from_dict({"prompt": [Prompt(m, "", "").plain for m, _ in formatted],
                                  "completion": [c + "\n" for _, c in formatted]})
    if use_chat(cfg, tok):
        pairs = [as_messages(r["prompt"], r["completion"], cfg.system_prompt) for r in rows]
        return Dataset.from_dict({"prompt": [p for p, _ in pairs], "completion": [c for _, c in pairs]})
    return Dataset.from_dict({"prompt": [r["prompt"].rstrip() + "\n" for r in rows],
                              "completion": [r["completion"] for r in rows]})


def sft_args(cfg: Round2Config):
    from trl import SFTConfig

    return SFTConfig(**(common.common_args(cfg) | dict(
        max_length=cfg.max_length, packing=cfg.packing, packing_strategy=cfg.packing_strategy,
        completion_only_loss=True,
    ) | dict(cfg.extra_args)))


def row_packed_collator(pad_token_id: int, max_length: int):
    """Packed blocks as separate batch rows: [batch, max_length] with per-row position ids and no
    attention mask, so transformers builds a block-diagonal mask *per row* from the position ids
    (rows never see each other) and attention costs batch·max_length² rather than (batch·max_length)².

    Every batch is padded to exactly `max_length`: trl counts `position_ids.size(1)` tokens per step
    when there is no attention mask, so one row's worth; `finish` scales its token counts by the rows."""
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    class RowPackedCollator(DataCollatorForLanguageModeling):
        def torch_call(self, examples):
            out = super().torch_call(examples)
            out.pop("attention_mask", None)
            # a row's first token must not be a target predicted from the previous row's last token
            out["labels"][out["position_ids"] == 0] = -100
            return out

    return RowPackedCollator(pad_token_id=pad_token_id, return_position_ids=True, pad_to_multiple_of=max_length)


def build(cfg: Round2Config, resume: bool = False):
    """(trainer, tokenizer, checkpoint to resume from, summary extras) — tests inspect the trainer."""
    if cfg.packing_layout not in ("rows", "flat"):
        from eval.errors import UserError

        raise UserError(f"round2 packing_layout must be 'rows' or 'flat', not {cfg.packing_layout!r}")
    common.quiet_libraries()
    common.settle_device(cfg)
    resume_from = common.checkpoint_to_resume(cfg, resume)
    path = common.resolve_model_path(cfg.model)
    tok = common.load_tokenizer(path)
    dataset = build_dataset(cfg, tok)
    common.prepare_output(cfg, "round2")
    model = common.load_model(cfg, path)
    from trl import SFTTrainer

    rows = cfg.packing and cfg.packing_strategy in ("bfd", "bfd_split") and cfg.packing_layout == "rows"
    token_scale = cfg.batch_size if rows else 1
    trainer = SFTTrainer(model=model, args=sft_args(cfg), train_dataset=dataset, processing_class=tok,
                         peft_config=common.peft_config(cfg),
                         callbacks=common.make_callbacks(cfg, "round2", token_scale=token_scale))
    if rows:  # trl refuses a custom collator with bfd packing, so it is swapped in after construction
        trainer.data_collator = row_packed_collator(tok.pad_token_id, cfg.max_length)
    extra = {"pairs": len(dataset), "chat_template": use_chat(cfg, tok),
             "packing_layout": cfg.packing_layout if cfg.packing else None, "token_scale": token_scale}
    return trainer, tok, resume_from, extra


def train(cfg: Round2Config, resume: bool = False) -> dict:
    trainer, tok, resume_from, extra = build(cfg, resume)
    return common.finish(trainer, cfg, "round2", resume_from, tok, extra)
