"""Re-check a finished build: every text that reaches training or RAG (round1 texts, round2
prompts and completions, knowledge passages, problem prompts and references) against every
benchmark text, with the exact Rouge-L of `eval.contamination` (the pruning bound in
`Decontaminator.check` never discards a pair that could reach the threshold). The result says how
many texts were checked and how many match (the build's promise is zero).
"""

from __future__ import annotations

import json
from pathlib import Path

from data_pipeline.util import read_jsonl
from eval.contamination import Decontaminator, load_benchmark_texts


def texts_of(build: Path):
    for r in read_jsonl(build / "round1.jsonl"):
        yield "round1", r["source"], r["text"]
    for r in read_jsonl(build / "round2.jsonl"):
        yield "round2.prompt", r["source"], r["prompt"]
        yield "round2.completion", r["source"], r["completion"]
    if (build / "knowledge.jsonl").exists():
        for r in read_jsonl(build / "knowledge.jsonl"):
            yield "knowledge", r["source"], r["text"]
    pdir = build / "problems"
    if (pdir / "problems.txt").exists():
        for pid in (pdir / "problems.txt").read_text().split():
            yield "problem.prompt", pid, (pdir / f"{pid}_prompt.txt").read_text()
            yield "problem.ref", pid, (pdir / f"{pid}_ref.sv").read_text()


def audit(build: Path, benchmarks: dict, threshold: float = 0.5, progress: bool = True) -> dict:
    from rich.progress import track

    bench = load_benchmark_texts(benchmarks, required=True)
    dc = Decontaminator(bench, rouge_threshold=threshold, ngram_min_tokens=10 ** 9)  # Rouge-L only
    items = list(texts_of(build))
    seen, hits, checked = set(), [], 0
    for kind, src, text in (track(items, description="audit Rouge-L") if progress else items):
        if text in seen:
            continue
        seen.add(text)
        checked += 1
        hit = dc.check(text)
        if hit:
            hits.append({"kind": kind, "source": src, **hit})
    out = {"build": str(build), "benchmark_texts": len(bench), "benchmarks": list(benchmarks),
           "texts_checked": checked, "threshold": threshold, "matches": len(hits), "examples": hits[:50]}
    (build / "audit.json").write_text(json.dumps(out, indent=2))
    return out
