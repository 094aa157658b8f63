"""Dataclass configs loaded from YAML with `key=value` overrides from the command line (trl style).

One helper for every stage (data build, training, RAG) so that all configs behave alike: unknown
keys are refused with a suggestion, values are parsed as YAML scalars and type-checked against the
dataclass field, and nested dataclasses are addressed with dots (`lora.r=32`).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from eval.errors import UserError

T = TypeVar("T")


def _coerce(value: Any, typ: Any, key: str) -> Any:
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key)
            except UserError:
                continue
        raise UserError(f"config {key}: {value!r} does not fit {typ}")
    if dataclasses.is_dataclass(typ):
        if not isinstance(value, dict):
            raise UserError(f"config {key}: expected a mapping")
        return from_dict(typ, value, prefix=key + ".")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            value = [value]
        inner = args[0] if args else Any
        return [_coerce(v, inner, key) for v in value]
    if origin is dict or typ is dict:
        if not isinstance(value, dict):
            raise UserError(f"config {key}: expected a mapping")
        return dict(value)
    if typ is Any or typ is typing.Any:
        return value
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise UserError(f"config {key}: expected true/false, got {value!r}")
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if typ is str:
        return str(value)
    if typ in (int, float):
        raise UserError(f"config {key}: expected {typ.__name__}, got {value!r}")
    return value


def from_dict(cls: type[T], data: dict, prefix: str = "") -> T:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise UserError(f"unknown config key {prefix}{key}{hint}")
        kwargs[key] = _coerce(value, hints[key], prefix + key)
    return cls(**kwargs)


def _set_path(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for p in parts[:-1]:
        data = data.setdefault(p, {})
    data[parts[-1]] = value


def load_config(cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None) -> T:
    """Build `cls` from an optional YAML file, then apply `key=value` overrides in order."""
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise UserError(f"config file not found: {p}")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise UserError(f"config file {p} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError(f"config file {p} must hold a mapping")
        data = loaded or {}
    for item in overrides or []:
        if "=" not in item:
            raise UserError(f"override {item!r} must look like key=value")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        _set_path(data, key.strip(), value)
    return from_dict(cls, data)


def to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def save_config(cfg: Any, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
