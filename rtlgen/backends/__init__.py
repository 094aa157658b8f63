"""Generation backends by name: `hf` (transformers in-process), `openai` (any OpenAI-compatible
endpoint), `vllm` (in-process when importable). One interface so that `rtlgen generate` and
`rtlgen eval` run the same code path whatever serves the model.
"""

from __future__ import annotations

import importlib
import importlib.util

from eval.errors import UserError
from rtlgen.backends.base import Backend, Completion, GenStats, SamplingParams, cut_at_stop

REGISTRY = {
    "hf": "rtlgen.backends.hf:HFBackend",
    "openai": "rtlgen.backends.openai_api:OpenAIBackend",
    "vllm": "rtlgen.backends.vllm_backend:VLLMBackend",
}


def available() -> dict[str, bool]:
    return {"hf": importlib.util.find_spec("transformers") is not None,
            "openai": importlib.util.find_spec("httpx") is not None,
            "vllm": importlib.util.find_spec("vllm") is not None}


def get_backend(name: str, **kwargs) -> Backend:
    """Instantiate backend `name` with its keyword arguments (model, adapters, endpoint…)."""
    if name not in REGISTRY:
        raise UserError(f"unknown backend {name!r} (known: {', '.join(REGISTRY)})")
    if not available()[name]:
        pkg = {"hf": "transformers torch", "openai": "httpx", "vllm": "vllm"}[name]
        raise UserError(f"backend {name!r} needs `pip install {pkg}`")
    mod, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(mod), cls)(**kwargs)


__all__ = ["Backend", "Completion", "GenStats", "SamplingParams", "REGISTRY", "available", "cut_at_stop",
           "get_backend"]
