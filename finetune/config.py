"""One config dataclass per training stage, loaded with `rtlgen.config.load_config` (YAML + `key=value`).

The fields are the few knobs a user of rtlgen actually turns; everything else is a trl/transformers
default chosen on purpose (see `finetune/common.py::training_args`). `extra_args` passes any other
`TrainingArguments`/`SFTConfig`/`DPOConfig` field straight through, so nothing trl offers is out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoraSettings:
    """LoRA on all linear layers by default: on small models it is the setting closest to full FT, given
    rank and learning rate enough (run 7's round 2: r=16 at lr 2e-4 trailed full FT by 2.7 points of
    greedy pass@1; r=64 at 6e-4 matched it)."""

    enabled: bool = True
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str = "all-linear"  # or a comma-separated list of module names


@dataclass
class TrainCommon:
    # model: an HF id, a local directory, or an rtlgen alias (`smollm2-135m`) when rtlgen.models knows it
    model: str = "smollm2-135m"
    # adapters merged into the model, in order, before this stage trains (round 2 starts from round 1)
    init_adapters: list[str] = field(default_factory=list)
    output_dir: str = "runs/train"
    seed: int = 42
    max_steps: int = -1  # > 0 overrides epochs
    epochs: float = 1.0
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    batch_size: int = 8  # per device
    grad_accum: int = 1
    max_length: int = 1024
    bf16: bool = True  # silently turned off on CPU (trl would refuse it there)
    use_cpu: bool = False  # forced on when no accelerator is present
    gradient_checkpointing: bool = False  # not worth it on a 135M model: it costs ~30% speed
    torch_compile: bool = False
    optim: str = "adamw_torch"  # adamw_torch_fused on GPU is faster
    attn_implementation: str = "sdpa"
    save_steps: int = 200
    save_total_limit: int = 3
    logging_steps: int = 10
    tensorboard: bool = True  # when the tensorboard package is importable
    progress: bool = True
    lora: LoraSettings = field(default_factory=LoraSettings)
    # what trains when lora.enabled is false. "linear": only the decoder's linear layers (embeddings,
    # the tied head and the norms stay frozen), so the change lives where a LoRA adapter can carry it
    # and `rtlgen train extract` can ship it as adapters under the 16 MiB file limit; "all": everything.
    full_scope: str = "linear"
    dataloader_workers: int = 0
    # processes for trl's dataset preparation (chat template, tokenization, packing): run 5's 46k-row
    # round 2 spent ~180 s single-process there before its first step. 0 = in-process.
    dataset_workers: int = 0
    # seconds to sleep after each optimizer step; 0 in real runs. The kill/resume test uses it to get a
    # deterministic window in which to SIGKILL a run between two checkpoints.
    throttle_s: float = 0.0
    # stop cleanly (checkpoint + final adapter) after this many seconds of training; 0 = no limit.
    # GPU leases are short: a stage that must fit a 10-minute call ends on time instead of being killed.
    time_limit_s: float = 0.0
    # dtype of the saved final adapter: bfloat16 halves its size (a 135M model's r=16 adapter: ~10 MB)
    adapter_save_dtype: str = "bfloat16"
    extra_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Round1Config(TrainCommon):
    """Domain-adaptive causal-LM training on raw Verilog (AutoVCoder round 1)."""

    data: str = "data/default/round1.jsonl"
    text_field: str = "text"
    packing: bool = True
    # "wrapped": concatenate documents (EOS between) and cut fixed blocks — every token is trained, every
    # batch has the same shape (good for torch.compile); the classic pretraining recipe. "bfd" keeps
    # documents whole (no cross-document attention), at the price of a little truncation.
    packing_strategy: str = "wrapped"
    output_dir: str = "runs/round1"
    max_length: int = 2048
    learning_rate: float = 2e-4
    lora: LoraSettings = field(default_factory=lambda: LoraSettings(r=16, alpha=32))


@dataclass
class Round2Config(TrainCommon):
    """Instruction SFT on spec → code pairs; loss on the completion only."""

    data: str = "data/default/round2.jsonl"
    # format prompt/completion as a user/assistant chat when the tokenizer has a chat template, so that
    # training matches how `rtlgen generate` prompts an instruct model
    chat_template: bool = True
    system_prompt: str = ""
    # "rtlgen": wrap each pair in the exact spec-to-RTL prompt and `[BEGIN]…[DONE]` answer format
    # that generation and the benchmarks use (train as you infer); "raw": the pair as written
    prompt_format: str = "rtlgen"
    output_dir: str = "runs/round2"
    # pairs are short (a few hundred tokens): unpacked batches of 16 ran at 18.6k tok/s on an H100.
    # "bfd" packs whole rows into max_length blocks without cross-row attention (position ids restart
    # per row) and keeps each row's completion mask, so the loss is the same as unpacked.
    packing: bool = False
    packing_strategy: str = "bfd"
    # "rows": each packed block is its own batch row ([batch, max_length], position ids, no attention
    # mask), so SDPA masks within 2,048-token blocks. "flat": trl's padding-free layout, the whole
    # batch as one sequence; only a varlen kernel (flash attention) makes that cheap — under SDPA it
    # builds one dense (batch·max_length)² mask, which is why run 4's round 2 ran at 24.9k tok/s.
    packing_layout: str = "rows"
    # share of spec-to-RTL rows posed as `rtlgen generate` poses them (header from the spec's port
    # list, body as the answer; finetune/scaffold.py); the rest keep the benchmarks' whole-module form
    scaffold_fraction: float = 0.0
    learning_rate: float = 1e-4
    epochs: float = 2.0


@dataclass
class DPOStageConfig(TrainCommon):
    """Preference optimisation on pairs ranked by testbench outcomes."""

    # where the pairs come from: a ready pairs JSONL, or a samples JSONL (+ problems) to score, or
    # nothing and the stage samples `k` candidates per problem from the (merged) policy itself
    pairs: str = ""
    samples: str = ""
    problems: str = "data/default/problems"
    k: int = 8
    temperature: float = 0.9
    top_p: float = 0.95
    max_new_tokens: int = 768
    max_pairs_per_problem: int = 4
    require_passing_chosen: bool = False  # True: only pairs whose chosen sample passes the testbench
    sim_workers: int = 0  # 0: one per CPU core
    rounds: int = 1  # on-policy rounds: each samples from the previous round's model
    chat_template: bool = True
    system_prompt: str = ""
    # "rtlgen": pairs in the exact prompt the sampler posed and `[BEGIN]…[DONE]` answers (as round 2
    # trains and generation infers); "raw": the problem text and code as they are
    prompt_format: str = "rtlgen"
    # share of problems sampled and trained with the scaffolded prompt (finetune/scaffold.py): the
    # sampler poses them that way and the pairs' answers become bodies, as `rtlgen generate` asks
    scaffold_fraction: float = 0.0
    beta: float = 0.1
    # one trl loss, or several joined by "+" and summed with `loss_weights` (default 1 each):
    # "sigmoid+sft" adds the NLL of the chosen answer (RPO), meant to keep DPO from sharpening the
    # policy away from what round 2 taught (run 6's plain sigmoid DPO lost pass@10); run 8 measured
    # it at lr 2e-5 and 8e-5 (results/train/README.md)
    loss_type: str = "sigmoid"
    loss_weights: list[float] = field(default_factory=list)
    output_dir: str = "runs/dpo"
    learning_rate: float = 2e-5  # LoRA; full fine-tuning wants ~5e-7
    epochs: float = 1.0
    batch_size: int = 4
    max_length: int = 1536
    precompute_ref_log_probs: bool = False


STAGES = {"round1": Round1Config, "round2": Round2Config, "dpo": DPOStageConfig}
