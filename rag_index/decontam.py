"""Keep benchmark solutions and problem statements out of the index.

A retrieved snippet lands verbatim in the prompt, so a contaminated index leaks answers more
directly than contaminated training data does. Two checks run on every snippet before it is
indexed (the build drops what fails and counts it in the manifest):

1. the rule training data obeys, `eval.contamination` (Rouge-L >= 0.5 or 10-gram containment; the
   data pipeline already applied it to its outputs; re-running it costs little and covers data that
   bypassed the pipeline);
2. this module's n-gram check against every locally available benchmark's references (code) and
   prompts (text), loaded through `eval.benchmarks.get_benchmark(...).load()`:
   - code: comments stripped, identifiers lower-cased, the benchmark's top-module name and the
     snippet's module name replaced by one placeholder (so `top_module`/`TopModule`/`foo` match);
     token `code_n`-grams; a snippet is contaminated when it shares at least `min_shared` n-grams
     with one reference and those cover `threshold` of the smaller of the two n-gram sets;
   - text (description, knowledge passage): word `text_n`-grams against task prompts, same rule.
RTLLM v2 is a held-out test set this project never reads, so it cannot be checked here: its
protection is that no RTLLM v2 text is ever put into `data/`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from eval.contamination import DEFAULT_BENCHMARKS
from eval.contamination import Decontaminator as TrainingRule
from eval.contamination import load_benchmark_texts
from eval.errors import UserError

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_CODE_TOK = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|\d+'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ_?]+|\d+|'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ_?]+|[^\sA-Za-z0-9_]")
_MODNAME = re.compile(r"\bmodule\s+([A-Za-z_][A-Za-z0-9_$]*)")
_WORDS = re.compile(r"[a-z0-9]+")


def code_tokens(code: str) -> list[str]:
    code = _COMMENT.sub(" ", code)
    names = set(_MODNAME.findall(code))
    return ["<top>" if t in names else t.lower() for t in _CODE_TOK.findall(code)]


def text_tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def shingles(tokens: list[str], n: int) -> set[int]:
    if len(tokens) < n:
        return {hash(tuple(tokens))} if tokens else set()
    return {hash(tuple(tokens[i:i + n])) for i in range(len(tokens) - n + 1)}


@dataclass
class DecontamConfig:
    benchmarks: list[str] = field(default_factory=lambda: list(DEFAULT_BENCHMARKS))
    bench_dir: str = ""  # folder holding the benchmark copies; default $RTLGEN_BENCH_DIR or /work/bench
    code_n: int = 10
    text_n: int = 8
    threshold: float = 0.5
    min_shared: int = 3
    use_pipeline: bool = True  # also apply the training-data rule (eval.contamination)


class _Side:
    """Inverted index shingle -> reference ids for one modality."""

    def __init__(self, n: int):
        self.n = n
        self.sizes: list[int] = []
        self.names: list[str] = []
        self.post: dict[int, list[int]] = {}

    def add(self, name: str, sh: set[int]) -> None:
        rid = len(self.sizes)
        self.sizes.append(len(sh))
        self.names.append(name)
        for h in sh:
            self.post.setdefault(h, []).append(rid)

    def worst(self, sh: set[int], min_shared: int) -> tuple[float, str]:
        """Highest overlap (shared / smaller set) of `sh` with any reference, and that reference."""
        if not sh:
            return 0.0, ""
        counts: dict[int, int] = {}
        for h in sh:
            for rid in self.post.get(h, ()):
                counts[rid] = counts.get(rid, 0) + 1
        best, who = 0.0, ""
        for rid, c in counts.items():
            small = min(len(sh), self.sizes[rid])
            if c < min(min_shared, small):
                continue
            ov = c / max(small, 1)
            if ov > best:
                best, who = ov, self.names[rid]
        return best, who


def _pipeline_checker(paths: dict[str, str | None]):
    """The training-data rule (`eval.contamination`: Rouge-L >= 0.5 or 10-gram containment) over the
    same benchmarks, as a per-text predicate.

    The n-gram check of this module alone misses small modules: a 15-line design has too few 10-grams
    to reach `min_shared`, yet its Rouge-L to a benchmark reference can be 0.7 (measured: 144 of 1,342
    retrieved pieces flagged by scripts/rag_contexts.py's audit before this predicate was wired in)."""
    return TrainingRule(load_benchmark_texts(paths, required=False)).check


class Decontaminator:
    """Built once per index build from the benchmarks found on this machine."""

    def __init__(self, cfg: DecontamConfig):
        from eval.benchmarks import get_benchmark

        self.cfg = cfg
        self.code = _Side(cfg.code_n)
        self.text = _Side(cfg.text_n)
        self.checked: list[str] = []
        self.missing: list[str] = []
        base = Path(cfg.bench_dir or os.environ.get("RTLGEN_BENCH_DIR") or "/work/bench")
        paths: dict[str, str | None] = {}
        for name in cfg.benchmarks:
            if name == "rtllm-v2":
                raise UserError("rtllm-v2 is a held-out test set and is never read; remove it from decontam.benchmarks")
            if name.startswith("local:"):  # any suite in the v2 layout, e.g. synthesised problems
                if not Path(name[6:]).expanduser().is_dir():
                    self.missing.append(name)
                    continue
                tasks = get_benchmark(name).load()
                paths[name] = None
            else:
                folder = DEFAULT_BENCHMARKS.get(name)
                if folder is None:
                    raise UserError(f"decontam.benchmarks: unknown benchmark {name!r} "
                                    f"(known: {', '.join(DEFAULT_BENCHMARKS)}, local:<dir>)")
                path = base / folder
                if not path.exists():
                    self.missing.append(name)
                    continue
                tasks = get_benchmark(name, path).load()
                paths[name] = str(path)
            for tid, task in tasks.items():
                label = f"{name}/{tid}"
                if task.reference:
                    self.code.add(label, shingles(code_tokens(task.reference), cfg.code_n))
                if task.prompt:
                    self.text.add(label, shingles(text_tokens(task.prompt), cfg.text_n))
            self.checked.append(name)
        self.pipeline = _pipeline_checker(paths) if cfg.use_pipeline and paths else None

    def check(self, snippet) -> str | None:
        """Why `snippet` is contaminated, or None when it is clean."""
        cfg = self.cfg
        if snippet.code:
            ov, who = self.code.worst(shingles(code_tokens(snippet.code), cfg.code_n), cfg.min_shared)
            if ov >= cfg.threshold:
                return f"code overlaps {who} ({ov:.0%} of {cfg.code_n}-grams)"
        if snippet.text:
            ov, who = self.text.worst(shingles(text_tokens(snippet.text), cfg.text_n), cfg.min_shared)
            if ov >= cfg.threshold:
                return f"text overlaps {who} prompt ({ov:.0%} of {cfg.text_n}-grams)"
        if self.pipeline is not None:
            for part in (snippet.code, snippet.text):
                hit = part and self.pipeline(part)
                if hit:
                    return f"training-data rule: {hit['metric']} {hit['score']} with {hit['bench']}"
        return None

    def summary(self) -> dict:
        return {"benchmarks_checked": self.checked, "benchmarks_missing": self.missing,
                "code_n": self.cfg.code_n, "text_n": self.cfg.text_n, "threshold": self.cfg.threshold,
                "min_shared": self.cfg.min_shared, "pipeline_check": self.pipeline is not None,
                "references": len(self.code.sizes), "prompts": len(self.text.sizes)}
