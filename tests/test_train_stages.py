"""Round 1, round 2 and DPO on a tiny random Llama (CPU): what training changes, and what it must not."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

import train_helpers as h  # noqa: E402
from eval.errors import UserError  # noqa: E402
from finetune import common, dpo, round1, round2  # noqa: E402
from finetune.config import DPOStageConfig, Round1Config, Round2Config  # noqa: E402
from rtlgen.config import load_config  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    torch.set_num_threads(2)
    return {"root": root, "model": h.build_tiny(root / "model"),
            "r1": h.write_round1(root / "round1.jsonl"), "r2": h.write_round2(root / "round2.jsonl")}


def _base_state(model) -> dict:
    """Weights that are not LoRA parameters, by their base-model names."""
    out = {}
    for name, p in model.named_parameters():
        if "lora_" in name:
            continue
        out[name.replace("base_model.model.", "").replace(".base_layer", "")] = p.detach().clone()
    return out


def _lora_state(model) -> dict:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


@pytest.fixture(scope="module")
def r1_run(env):
    cfg = load_config(Round1Config, None, h.tiny_overrides(env["model"], env["root"] / "r1", max_steps=3,
                                                            data=str(env["r1"])))
    trainer, tok, resume_from, extra = round1.build(cfg)
    before_base, before_lora = _base_state(trainer.model), _lora_state(trainer.model)
    summary = common.finish(trainer, cfg, "round1", resume_from, tok, extra)
    return {"cfg": cfg, "trainer": trainer, "summary": summary, "before_base": before_base,
            "before_lora": before_lora}


def test_round1_lora_trains_adapter_only(r1_run):
    trainer = r1_run["trainer"]
    after_lora = _lora_state(trainer.model)
    assert after_lora, "no LoRA parameters"
    changed = [n for n, v in after_lora.items() if not torch.equal(v, r1_run["before_lora"][n])]
    assert len(changed) >= len(after_lora) // 2, f"only {len(changed)}/{len(after_lora)} LoRA tensors moved"
    after_base = _base_state(trainer.model)
    for name, before in r1_run["before_base"].items():
        assert torch.equal(before, after_base[name]), f"base weight {name} changed under LoRA"
    assert r1_run["summary"]["global_step"] == 3
    assert (Path(r1_run["cfg"].output_dir) / "adapter" / "adapter_config.json").exists()


def test_round1_packs_fixed_blocks_and_logs(r1_run):
    cfg, trainer = r1_run["cfg"], r1_run["trainer"]
    lengths = [len(ids) for ids in trainer.train_dataset["input_ids"]]
    assert all(n == cfg.max_length for n in lengths[:-1]) and 0 < lengths[-1] <= cfg.max_length  # wrapped blocks
    assert len(lengths) > 3
    rows = [json.loads(x) for x in (Path(cfg.output_dir) / "log.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    assert all(r["tokens_per_s"] > 0 for r in steps[1:])
    full = 3 * cfg.batch_size * cfg.max_length  # packed: no padding, at most one short last block
    assert full - cfg.max_length < steps[-1]["num_tokens"] <= full
    assert list((Path(cfg.output_dir) / "tb").rglob("events.out.tfevents.*")), "no TensorBoard events"


def test_round1_full_finetune_changes_all_weights(env):
    cfg = load_config(Round1Config, None, h.tiny_overrides(env["model"], env["root"] / "r1full", max_steps=2,
                                                            data=str(env["r1"])) + ["lora.enabled=false", "full_scope=all"])
    trainer, tok, resume_from, extra = round1.build(cfg)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    common.finish(trainer, cfg, "round1", resume_from, tok, extra)
    moved = [n for n, p in trainer.model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert len(moved) == len(before)
    assert (Path(cfg.output_dir) / "model" / "config.json").exists()


def test_round2_masks_prompt_and_starts_from_merged_round1(env, r1_run):
    adapter = Path(r1_run["cfg"].output_dir) / "adapter"
    cfg = load_config(Round2Config, None, h.tiny_overrides(env["model"], env["root"] / "r2", max_steps=2,
                                                            data=str(env["r2"])) + [f"init_adapters=[{adapter}]",
                                                                                    "prompt_format=raw"])
    trainer, tok, resume_from, extra = round2.build(cfg)
    assert extra["chat_template"] is True
    # completion-only: labels are -100 exactly on the prompt part, and the labelled text is the completion
    row = trainer.train_dataset[0]
    batch = trainer.data_collator([row])
    labels, ids = batch["labels"][0], batch["input_ids"][0]
    kept = labels != -100
    prompt_text = tok.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    n_prompt = len(tok(prompt_text, add_special_tokens=False)["input_ids"])
    assert ids[:n_prompt].tolist() == tok(prompt_text, add_special_tokens=False)["input_ids"]
    assert not kept[:n_prompt].any(), "prompt tokens carry loss"
    assert kept[n_prompt:].all()
    first = json.loads(env["r2"].read_text().splitlines()[0])
    assert tok.decode(ids[kept]).startswith(first["completion"])
    assert first["prompt"] in tok.decode(ids[:n_prompt])
    # the model starts from base + round-1 merged: the merged weights differ from the untouched base
    from transformers import AutoModelForCausalLM

    plain = dict(AutoModelForCausalLM.from_pretrained(str(env["model"])).named_parameters())
    merged = _base_state(trainer.model)
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(merged[q], plain[q].detach()), "round-1 adapter was not merged"
    before_base, before_lora = _base_state(trainer.model), _lora_state(trainer.model)
    common.finish(trainer, cfg, "round2", resume_from, tok, extra)
    after_base = _base_state(trainer.model)
    assert all(torch.equal(before_base[n], after_base[n]) for n in before_base)
    assert any(not torch.equal(v, before_lora[n]) for n, v in _lora_state(trainer.model).items())


def test_dpo_trains_adapter_on_simulated_pairs(env, tmp_path):
    from finetune.pairs import make_pairs

    pairs_file, stats = make_pairs(str(h.PROBLEMS), h.FIXTURES / "samples.jsonl", tmp_path / "pairs",
                                   progress=False, workers=2)
    assert stats["pairs"] > 0
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(env["model"], tmp_path / "dpo", max_steps=3,
                                                             batch_size=2, max_length=512)
                      + [f"pairs={pairs_file}", "learning_rate=0.005"])
    common.settle_device(cfg)
    trainer, tok = dpo.build_trainer(cfg, cfg, pairs_file)
    before_base, before_lora = _base_state(trainer.model), _lora_state(trainer.model)
    common.finish(trainer, cfg, "dpo", None, tok)
    after_base = _base_state(trainer.model)
    assert all(torch.equal(before_base[n], after_base[n]) for n in before_base)
    assert any(not torch.equal(v, before_lora[n]) for n, v in _lora_state(trainer.model).items())
    rows = [json.loads(x) for x in (tmp_path / "dpo" / "log.jsonl").read_text().splitlines()]
    margins = [r["rewards/margins"] for r in rows if "rewards/margins" in r]
    assert len(margins) == 3 and margins[-1] != 0.0
    # chat format: the prompt is a user turn, chosen/rejected are assistant turns
    assert trainer.train_dataset.num_rows == stats["pairs"]


@pytest.fixture(scope="module")
def dpo_pairs(tmp_path_factory):
    from finetune.pairs import make_pairs

    pairs_file, _ = make_pairs(str(h.PROBLEMS), h.FIXTURES / "samples.jsonl", tmp_path_factory.mktemp("pairs"),
                               progress=False, workers=2)
    return pairs_file


def _first_dpo_loss(env, out: Path, pairs_file: Path, extra: list[str]) -> float:
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(env["model"], out, max_steps=1, batch_size=2,
                                                             max_length=512) + [f"pairs={pairs_file}"] + extra)
    common.settle_device(cfg)
    trainer, tok = dpo.build_trainer(cfg, cfg, pairs_file)
    common.finish(trainer, cfg, "dpo", None, tok)
    rows = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    return next(r["loss"] for r in rows if "loss" in r)


def test_dpo_sft_term_adds_the_chosen_nll(env, tmp_path, dpo_pairs):
    """`sigmoid+sft` (RPO) is the DPO loss plus the chosen answer's NLL; at step 1 the fresh adapter leaves
    policy == reference, so the sigmoid part is exactly ln 2 and the NLL of a random tiny model is large."""
    plain = _first_dpo_loss(env, tmp_path / "plain", dpo_pairs, [])
    rpo = _first_dpo_loss(env, tmp_path / "rpo", dpo_pairs, ["loss_type=sigmoid+sft", "loss_weights=[1.0,1.0]"])
    half = _first_dpo_loss(env, tmp_path / "half", dpo_pairs, ["loss_type=sigmoid+sft", "loss_weights=[1.0,0.5]"])
    assert plain == pytest.approx(math.log(2), abs=1e-3)
    nll = rpo - plain
    assert nll > 1.0
    assert half - plain == pytest.approx(nll / 2, rel=0.02)


@pytest.mark.parametrize("extra, match", [(["loss_type=sigmoid+nope"], "unknown DPO loss_type"),
                                          (["loss_type=sigmoid+sft", "loss_weights=[1.0]"], "1 values for 2")])
def test_dpo_bad_loss_is_one_line_error(env, tmp_path, dpo_pairs, extra, match):
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(env["model"], tmp_path / "d") + [f"pairs={dpo_pairs}"]
                      + extra)
    with pytest.raises(UserError, match=match):
        dpo.train(cfg)


def test_dpo_stage_end_to_end_from_samples(env, tmp_path):
    """The whole stage as the CLI runs it: samples → simulation → pairs → DPO; pairs hold the evidence."""
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(env["model"], tmp_path / "dpo", max_steps=2,
                                                             batch_size=2, max_length=512)
                      + [f"samples={h.FIXTURES / 'samples.jsonl'}", f"problems={h.PROBLEMS}", "sim_workers=2"])
    summary = dpo.train(cfg)
    assert summary["global_step"] == 2 and summary["pairs"] > 0
    pairs = [json.loads(x) for x in (tmp_path / "dpo" / "pairs" / "pairs.jsonl").read_text().splitlines()]
    assert {p["task_id"] for p in pairs} == {"synth_and4", "synth_count4"}
    assert all(not p["rejected_passed"] for p in pairs)
    assert (tmp_path / "dpo" / "adapter" / "adapter_model.safetensors").exists()


def test_existing_run_needs_resume(env, r1_run):
    cfg = load_config(Round1Config, None, h.tiny_overrides(env["model"], Path(r1_run["cfg"].output_dir),
                                                            max_steps=3, data=str(env["r1"])))
    with pytest.raises(UserError, match="--resume"):
        round1.build(cfg)


def test_bad_data_is_one_line_error(env, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "module a; endmodule"}\n{"txt": 3}\n')
    cfg = load_config(Round1Config, None, h.tiny_overrides(env["model"], tmp_path / "o", data=str(bad)))
    with pytest.raises(UserError, match=r"bad.jsonl:2: field 'text'"):
        round1.build(cfg)
    cfg = load_config(Round2Config, None, h.tiny_overrides(env["model"], tmp_path / "o2", data=str(env["r2"]))
                      + [f"init_adapters=[{tmp_path}]"])
    with pytest.raises(UserError, match="adapter_config.json"):
        round2.build(cfg)


def test_round2_inference_format_matches_generation_prompt():
    """Train as you infer: the pair is posed exactly as `rtlgen generate` poses a spec."""
    from rtlgen.prompts import build_prompt

    spec = "Build a 4-bit counter with synchronous reset."
    code = "module counter4(input clk, input reset, output reg [3:0] q);\nendmodule"
    messages, completion = round2.inference_format(spec, code)
    assert messages == build_prompt(spec, kind="spec-to-rtl", top="counter4").messages
    assert spec in messages[-1]["content"] and "[BEGIN]" in messages[-1]["content"]
    assert completion.startswith("[BEGIN]\nmodule counter4") and completion.endswith("[DONE]")


def test_round2_code_complete_rows_answer_with_the_body():
    """A code-complete row is posed as the benchmark poses it (commented description ending at the
    module header) and answered with the body alone, which extraction joins back to the header."""
    from rtlgen.prompts import build_prompt, extract_code

    prompt = "Output the AND of a and b.\n\nmodule TopModule (input a, input b, output out);"
    body = "  assign out = a & b;\nendmodule"
    messages, completion = round2.inference_format(prompt, body, "code-complete")
    assert messages == build_prompt(prompt, kind="code-complete", top="TopModule").messages
    assert messages[-1]["content"].rstrip().endswith("module TopModule (input a, input b, output out);")
    assert "// Output the AND of a and b." in messages[-1]["content"]
    assert "[BEGIN]" not in completion and completion.strip().endswith("endmodule")
    code = extract_code(completion, "TopModule", "module TopModule (input a, input b, output out);")
    assert "assign out = a & b;" in code and code.count("endmodule") == 1


def test_round2_rejects_unknown_kind(env, tmp_path):
    bad = tmp_path / "r2.jsonl"
    bad.write_text(json.dumps({"prompt": "p", "completion": "module a; endmodule", "kind": "poetry"}) + "\n")
    cfg = load_config(Round2Config, None, h.tiny_overrides(env["model"], tmp_path / "o", data=str(bad)))
    with pytest.raises(UserError, match="unknown task kind"):
        round2.build(cfg)


def test_dpo_pairs_are_posed_in_the_sampling_prompt(env, tmp_path):
    """DPO must score the answers under the prompt the sampler used, with [BEGIN]/[DONE] answers."""
    from rtlgen.prompts import build_prompt

    pairs = tmp_path / "pairs.jsonl"
    row = {"prompt": "Make out the inverse of in.", "chosen": "module TopModule(input in, output out);\n"
           "assign out = ~in;\nendmodule", "rejected": "module TopModule(input in, output out);\nendmodule"}
    pairs.write_text(json.dumps(row) + "\n")
    cfg = load_config(DPOStageConfig, None, h.tiny_overrides(env["model"], tmp_path / "d") + [f"pairs={pairs}"])
    tok = common.load_tokenizer(common.resolve_model_path(cfg.model))
    ds = dpo.build_dataset(cfg, tok, pairs)
    prompt = ds[0]["prompt"]
    want = build_prompt(row["prompt"], kind="spec-to-rtl", top="TopModule")
    text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
    assert want.messages[-1]["content"].strip() in text
    chosen = ds[0]["chosen"] if isinstance(ds[0]["chosen"], str) else ds[0]["chosen"][0]["content"]
    assert chosen.startswith("[BEGIN]\nmodule TopModule") and "[DONE]" in chosen


def _packed_trainer(env, name: str, layout: str, max_length: int = 2048, extra: list[str] | None = None):
    cfg = load_config(Round2Config, None, h.tiny_overrides(env["model"], env["root"] / name, max_steps=1,
                                                            data=str(env["r2"]))
                      + ["packing=true", f"max_length={max_length}", f"packing_layout={layout}"] + (extra or []))
    return round2.build(cfg)


def _segments(pos: list[int], labels) -> list[tuple[int, int]]:
    """(start, end) of each packed row; padding (position 0, no targets) is not a row."""
    starts = [i for i, p in enumerate(pos) if p == 0] + [len(pos)]
    return [(a, b) for a, b in zip(starts, starts[1:]) if (labels[a:b] != -100).any()]


@pytest.mark.parametrize("layout", ["rows", "flat"])
def test_round2_packed_keeps_rows_apart_and_masks_prompts(env, layout):
    """bfd packing: several rows per block, position ids restart at each row, only completion tokens
    carry loss — the same objective as unpacked round 2 — in both batch layouts."""
    trainer, tok, _, extra = _packed_trainer(env, f"r2p-{layout}", layout)
    assert len(trainer.train_dataset) < extra["pairs"], "rows were not packed"
    batch = trainer.data_collator([trainer.train_dataset[0], trainer.train_dataset[1]])
    assert "attention_mask" not in batch, "a 2-D mask would switch off the per-row block mask"
    if layout == "rows":
        assert tuple(batch["input_ids"].shape) == (2, 2048) and extra["token_scale"] == 4
    else:
        assert batch["input_ids"].shape[0] == 1 and extra["token_scale"] == 1
    rows = 0
    for r in range(batch["input_ids"].shape[0]):
        pos, labels, ids = batch["position_ids"][r].tolist(), batch["labels"][r], batch["input_ids"][r]
        for a, b in _segments(pos, labels):
            rows += 1
            kept = (labels[a:b] != -100).nonzero().flatten()
            assert kept[0] > 0, "each row's prompt is masked"
            assert (labels[a:b][kept[0]:] != -100).all(), "and its whole completion trained"
            assert "module" in tok.decode(ids[a:b][labels[a:b] != -100])
    assert rows >= 3, "two packed blocks should hold several rows"


def test_round2_row_packing_is_exactly_unpacked_attention(env):
    """The rows layout gives every packed row the logits it gets alone: no attention across rows
    within a block, and none across the batch."""
    trainer, _, _, _ = _packed_trainer(env, "r2p-iso", "rows")
    batch = trainer.data_collator([trainer.train_dataset[0], trainer.train_dataset[1]])
    model = trainer.model.eval()
    with torch.no_grad():
        inputs = {k: v for k, v in batch.items() if k != "labels"}  # exactly what the trainer feeds the model
        packed = model(**inputs, use_cache=False).logits
        checked = 0
        for r in range(2):
            for a, b in _segments(batch["position_ids"][r].tolist(), batch["labels"][r]):
                alone = model(input_ids=batch["input_ids"][r:r + 1, a:b], use_cache=False).logits
                assert torch.allclose(packed[r, a:b], alone[0], atol=1e-4), f"row {r}[{a}:{b}] saw another row"
                checked += 1
    assert checked >= 3


def test_round2_dataset_workers_prepare_the_same_rows(env):
    """dataset_workers only spreads trl's tokenization and packing over processes: the same rows come
    out (each process packs its own shard, so the grouping into blocks may differ)."""
    def rows(trainer):
        out = []
        for block in trainer.train_dataset:
            start = 0
            for n in block["seq_lengths"]:
                out.append((tuple(block["input_ids"][start:start + n]), tuple(block["labels"][start:start + n])))
                start += n
        return sorted(out)

    one = _packed_trainer(env, "r2p-w0", "rows")[0]
    two = _packed_trainer(env, "r2p-w2", "rows", extra=["dataset_workers=2"])[0]
    assert two.args.dataset_num_proc == 2 and one.args.dataset_num_proc is None
    a, b = rows(one), rows(two)
    assert a == b and len(a) == 16


def test_round2_rows_with_context_are_posed_as_rag_prompts():
    from rtlgen.prompts import build_prompt

    ctx = "## Reference designs\n\n### Example 1: x\n```verilog\nmodule x; endmodule\n```"
    msgs, answer = round2.inference_format("An and gate.", "module TopModule(input a, b, output y);\n"
                                           "assign y = a & b;\nendmodule", context=ctx)
    assert msgs == build_prompt("An and gate.", top="TopModule", context=ctx).messages
    assert "Reference designs" in msgs[-1]["content"]
    plain, _ = round2.inference_format("An and gate.", "module TopModule(input a, b, output y);\nendmodule")
    assert "Reference designs" not in plain[-1]["content"]
