"""Model soups of LoRA runs: the written adapter carries the weighted mean of the members' changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

import train_helpers as h  # noqa: E402
from eval.errors import UserError  # noqa: E402
from finetune.extract import split_adapter  # noqa: E402
from finetune.soup import adapter_delta, soup_adapters  # noqa: E402


def _lora(base: Path, out: Path, rank: int, seed: int, modules=("q_proj", "v_proj", "down_proj")) -> Path:
    """A LoRA adapter with random A and B (peft's init leaves B = 0, which would make every change zero)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(base))
    peft_model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, target_modules=list(modules),
                                                  init_lora_weights=False, task_type="CAUSAL_LM"))
    peft_model.save_pretrained(str(out))
    return out


def _weights(base: Path, adapters: list[Path]) -> dict:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base))
    for a in adapters:
        model = PeftModel.from_pretrained(model, str(a)).merge_and_unload()
    return {n: p.detach().float() for n, p in model.named_parameters()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("soup")
    base = h.build_tiny(root / "model")
    return {"root": root, "base": base, "a": _lora(base, root / "a", 4, seed=1),
            "b": _lora(base, root / "b", 4, seed=2), "c": _lora(base, root / "c", 2, seed=3, modules=("q_proj",))}


def test_soup_at_full_rank_is_the_weighted_mean_of_the_members_changes(tiny, tmp_path):
    report = soup_adapters([tiny["a"], tiny["b"], tiny["c"]], tmp_path / "soup", rank=10, weights=[1, 1, 2],
                           dtype="float32")
    assert report["weights"] == [0.25, 0.25, 0.5] and report["kept_energy"] == pytest.approx(1.0, abs=1e-5)
    base = _weights(tiny["base"], [])
    members = [_weights(tiny["base"], [tiny[k]]) for k in "abc"]
    soup = _weights(tiny["base"], [tmp_path / "soup"])
    moved = 0
    for name, w in base.items():
        expected = w + 0.25 * (members[0][name] - w) + 0.25 * (members[1][name] - w) + 0.5 * (members[2][name] - w)
        assert torch.allclose(soup[name], expected, atol=1e-5), name
        moved += not torch.equal(soup[name], w)
    # q, v, down in both layers; member c's q_proj-only change joins the same layers
    assert moved == 6 and report["layers"] == 6
    assert set(report["member_cosine"]) == {"0-1", "0-2", "1-2"}
    assert all(-1.0 <= c <= 1.0 for c in report["member_cosine"].values())
    assert json.loads((tmp_path / "soup" / "soup_report.json").read_text())["rank"] == 10


def test_a_split_member_counts_as_its_whole_and_a_low_rank_soup_says_what_it_lost(tiny, tmp_path):
    parts = split_adapter(tiny["a"], tmp_path / "a-parts", 3)
    whole, split = adapter_delta(tiny["a"]), adapter_delta(parts[0].parent)
    assert whole.keys() == split.keys()
    assert all(torch.allclose(whole[k], split[k], atol=1e-6) for k in whole)
    report = soup_adapters([parts[0].parent, tiny["b"]], tmp_path / "low", rank=1, dtype="float32")
    assert 0.0 < report["kept_energy"] < 1.0
    config = json.loads((tmp_path / "low" / "adapter_config.json").read_text())
    assert config["r"] == config["lora_alpha"] == 1


def test_soup_refuses_what_it_cannot_average(tiny, tmp_path):
    with pytest.raises(UserError, match="at least two"):
        soup_adapters([tiny["a"]], tmp_path / "x", rank=4)
    with pytest.raises(UserError, match="2 weights for 3"):
        soup_adapters([tiny["a"], tiny["b"], tiny["c"]], tmp_path / "x", rank=4, weights=[1, 1])
    with pytest.raises(UserError, match="neither a LoRA adapter"):
        soup_adapters([tiny["a"], tmp_path / "missing"], tmp_path / "x", rank=4)


def test_soup_cli_writes_parts_and_fails_in_one_line(tiny, tmp_path, capfd):
    from rtlgen.cli import main

    args = ["train", "soup", "--member", str(tiny["a"]), "--member", str(tiny["b"]), "--rank", "8"]
    assert main(args + ["--out", str(tmp_path / "s"), "--parts", "2"]) == 0
    assert "member cosines 0-1" in capfd.readouterr().out
    assert [json.loads((tmp_path / "s" / f"part{i}" / "adapter_config.json").read_text())["r"] for i in (1, 2)] == [4, 4]
    assert main(["train", "soup", "--member", str(tiny["a"]), "--out", str(tmp_path / "t")]) == 2
    err = capfd.readouterr().err
    assert "at least two" in err and "Traceback" not in err
    assert len([x for x in err.splitlines() if x.strip()]) == 1, err
