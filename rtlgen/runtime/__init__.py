"""Model runtime: resolve `--model` strings, convert GGUFs once, load with adapters merged.

Other packages (finetune, rag_index, data_pipeline) may import from here.
"""

from rtlgen.runtime.models import (ALIASES, DEFAULT_MODEL, LoadedModel, ModelSource, apply_adapter, cache_root,
                                   convert_gguf, load_model, local_models, materialize, pick_device, pick_dtype,
                                   pull, resolve_model)

__all__ = ["ALIASES", "DEFAULT_MODEL", "LoadedModel", "ModelSource", "apply_adapter", "cache_root", "convert_gguf",
           "load_model", "local_models", "materialize", "pick_device", "pick_dtype", "pull", "resolve_model"]
