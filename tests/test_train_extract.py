"""Full fine-tuning shipped as LoRA: a real round-2 run on a tiny Llama, then truncated-SVD extraction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

import train_helpers as h  # noqa: E402
from eval.errors import UserError  # noqa: E402
from finetune import common, round1, round2  # noqa: E402
from finetune.config import Round1Config, Round2Config  # noqa: E402
from finetune.extract import extract_adapter, split_adapter  # noqa: E402
from rtlgen.config import load_config  # noqa: E402

LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _weights(path) -> dict:
    from transformers import AutoModelForCausalLM

    return {n: p.detach().float() for n, p in AutoModelForCausalLM.from_pretrained(str(path)).named_parameters()}


def _merged(base: Path, adapters: list[Path]):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base))
    for a in adapters:
        model = PeftModel.from_pretrained(model, str(a)).merge_and_unload()
    return model


def _weights_of_start(runs) -> dict:
    """Base + round-1 adapter merged: where the full round 2 started."""
    return {n: p.detach().float() for n, p in _merged(runs["model"], [runs["r1"]]).named_parameters()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("extract")
    torch.set_num_threads(2)
    model = h.build_tiny(root / "model")
    r1 = load_config(Round1Config, None, h.tiny_overrides(model, root / "r1", max_steps=2,
                                                          data=str(h.write_round1(root / "round1.jsonl"))))
    trainer, tok, resume_from, extra = round1.build(r1)
    common.finish(trainer, r1, "round1", resume_from, tok, extra)
    r1_adapter = root / "r1" / "adapter"
    data = str(h.write_round2(root / "round2.jsonl"))
    out = {"root": root, "model": model, "r1": r1_adapter}
    for scope in ("linear", "all"):
        cfg = load_config(Round2Config, None, h.tiny_overrides(model, root / f"r2-{scope}", max_steps=3, data=data)
                          + [f"init_adapters=[{r1_adapter}]", "prompt_format=raw", "lora.enabled=false",
                             f"full_scope={scope}"])
        trainer, tok, resume_from, extra = round2.build(cfg)
        out[f"trainable-{scope}"] = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
        out[f"summary-{scope}"] = common.finish(trainer, cfg, "round2", resume_from, tok, extra)
        out[scope] = root / f"r2-{scope}" / "model"
    return out


def test_full_scope_linear_trains_only_the_decoder_linear_layers(runs):
    trainable = runs["trainable-linear"]
    assert trainable and all(n.endswith(".weight") and n.split(".")[-2] in LINEAR for n in trainable)
    assert len(trainable) == 2 * len(LINEAR)  # two layers of the tiny model
    start = _weights_of_start(runs)
    end = _weights(runs["linear"])
    moved = {n for n in end if not torch.equal(start[n], end[n])}
    assert moved == trainable, f"moved outside the trainable set: {sorted(moved ^ trainable)}"
    assert runs["summary-linear"]["trainable_params"] < runs["summary-all"]["trainable_params"]


def test_extract_at_full_rank_reproduces_the_tuned_model(runs, tmp_path):
    report = extract_adapter(str(runs["model"]), str(runs["linear"]), tmp_path / "full", rank=32,
                             init_adapters=[str(runs["r1"])], dtype="float32")
    assert report["layers"] == 2 * len(LINEAR) and report["kept_energy"] == pytest.approx(1.0, abs=1e-5)
    config = json.loads((tmp_path / "full" / "adapter_config.json").read_text())
    assert config["r"] == config["lora_alpha"] == 32 and sorted(config["target_modules"]) == sorted(LINEAR)
    shipped = _merged(runs["model"], [runs["r1"], tmp_path / "full"])
    from transformers import AutoModelForCausalLM

    tuned = AutoModelForCausalLM.from_pretrained(str(runs["linear"]))
    ids = torch.randint(0, tuned.config.vocab_size, (2, 24))
    with torch.no_grad():
        assert torch.allclose(shipped(ids).logits, tuned(ids).logits, atol=1e-4)


def test_truncated_rank_keeps_the_best_approximation_and_says_how_much(runs, tmp_path):
    report = extract_adapter(str(runs["model"]), str(runs["linear"]), tmp_path / "r2", rank=2,
                             init_adapters=[str(runs["r1"])], dtype="float32")
    assert 0.0 < report["kept_energy"] < 1.0 and report["file_bytes"] > 0
    start, end = _weights_of_start(runs), _weights(runs["linear"])
    shipped = {n: p.detach().float() for n, p in _merged(runs["model"], [runs["r1"], tmp_path / "r2"]).named_parameters()}
    for name, layer in report["per_layer"].items():
        w = f"{name}.weight"
        delta = (end[w] - start[w]).norm()
        residual = (end[w] - shipped[w]).norm()
        # Eckart–Young: what is left is exactly the energy of the dropped singular values
        assert residual.item() == pytest.approx(delta.item() * (1 - layer["kept_energy"]) ** 0.5, rel=1e-3, abs=1e-6)
        assert residual < delta


def test_extract_refuses_a_run_that_changed_what_lora_cannot_carry(runs, tmp_path):
    with pytest.raises(UserError, match="cannot carry"):
        extract_adapter(str(runs["model"]), str(runs["all"]), tmp_path / "x", rank=4, init_adapters=[str(runs["r1"])])


def test_extract_cli_reports_and_fails_in_one_line(runs, tmp_path, capfd):
    from rtlgen.cli import main

    args = ["train", "extract", "--base", str(runs["model"]), "--init-adapter", str(runs["r1"]), "--rank", "3"]
    assert main(args + ["--tuned", str(runs["linear"]), "--out", str(tmp_path / "a")]) == 0
    assert "kept" in capfd.readouterr().out and (tmp_path / "a" / "adapter_model.safetensors").exists()
    assert main(args + ["--tuned", str(tmp_path / "missing"), "--out", str(tmp_path / "b")]) == 2
    err = capfd.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert len([x for x in err.splitlines() if x.strip()]) == 1, err


@pytest.mark.parametrize("n, ranks", [(2, [2, 2]), (3, [2, 1, 1])])
def test_split_adapter_stacks_to_exactly_the_original(runs, tmp_path, n, ranks):
    parts = split_adapter(runs["r1"], tmp_path / "split", n)  # the round-1 LoRA: r=4, alpha=8
    configs = [json.loads((p / "adapter_config.json").read_text()) for p in parts]
    assert [c["r"] for c in configs] == ranks
    assert all(c["lora_alpha"] / c["r"] == 2 for c in configs)  # every part keeps alpha/r
    whole = dict(_merged(runs["model"], [runs["r1"]]).named_parameters())
    stacked = dict(_merged(runs["model"], parts).named_parameters())
    for name, p in whole.items():
        assert torch.allclose(p, stacked[name], atol=1e-6), name
    with pytest.raises(UserError, match="into 5 parts"):
        split_adapter(runs["r1"], tmp_path / "bad", 5)
