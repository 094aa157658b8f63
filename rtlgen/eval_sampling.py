"""Sample completions for benchmark tasks into a resumable JSONL file (what `rtlgen eval --model` calls).

Each line is `{"task_id", "completion", "sample_idx"}`. A crashed or interrupted run continues:
lines already in the file are counted per task and only the missing samples are generated; a
half-written last line (a crash mid-write) is cut off, never anything before it. Every prompt's
samples are appended and flushed as soon as they are done.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path

from eval.errors import UserError


class _Deadline(Exception):
    pass


def _existing_counts(out_file: Path) -> Counter:
    counts: Counter = Counter()
    if not out_file.exists():
        return counts
    data = out_file.read_bytes()
    good_end = data.rfind(b"\n") + 1
    if good_end < len(data):  # a torn last line from a crash: drop only that
        with out_file.open("r+b") as fh:
            fh.truncate(good_end)
    for lineno, line in enumerate(data[:good_end].decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            counts[rec["task_id"]] += 1
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{out_file}:{lineno}: not a sample line; refusing to append to it") from None
    return counts


def generate_benchmark_samples(tasks: list, out_file: Path, *, model: str, adapters: list[str],
                               backend: str = "hf", endpoint: str | None = None, n: int = 1,
                               temperature: float = 0.0, top_p: float = 0.95, max_new_tokens: int = 1024,
                               shots: int = 0, rag: str | None = None, batch_size: int | None = None,
                               seed: int = 0, backend_instance=None, progress: bool = True, log=print,
                               deadline: float | None = None, contexts: dict[str, str] | None = None,
                               scaffold: bool = False) -> dict:
    """Append the missing samples of `tasks` (n per task) to `out_file`; returns generation stats.

    temperature 0 means greedy. `backend_instance` lets a caller reuse one loaded model across
    several benchmarks. `deadline` (a `time.time()` value) stops the run cleanly after the prompt
    in flight, with `complete: false` in the stats; calling again resumes. `contexts` ({task_id:
    context}, from `rag_index.contexts`) stands in for `rag` where the index cannot be loaded.
    `scaffold` writes spec-to-rtl tasks' headers from their port lists (`rtlgen.prompts.build_prompt`).
    """
    from rtlgen.backends import SamplingParams, get_backend
    from rtlgen.generate import load_rag
    from rtlgen.prompts import build_task_prompt, extract_answer

    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    have = _existing_counts(out_file)
    by_need: dict[int, list] = defaultdict(list)
    for t in tasks:
        need = n - have.get(t.task_id, 0)
        if need > 0:
            by_need[need].append(t)
    todo = sum(len(v) * k for k, v in by_need.items())
    stats = {"model": model, "adapters": list(adapters), "backend": backend, "n": n, "temperature": temperature,
             "top_p": top_p, "max_new_tokens": max_new_tokens, "shots": shots, "rag": rag, "scaffold": scaffold,
             "resumed_samples": sum(min(n, c) for c in have.values()), "samples_written": 0,
             "tokens": 0, "seconds": 0.0, "tokens_per_s": None, "complete": True}
    if todo == 0:
        return stats
    retriever = load_rag(rag) if contexts is None else None
    be = backend_instance
    if be is None:
        if backend == "openai":
            be = get_backend("openai", endpoint=endpoint, model=model, log=log)
        else:
            be = get_backend(backend, model=model, adapters=adapters, batch_size=batch_size, log=log)
    stats["backend_info"] = be.describe()
    start = time.time()
    tokens = 0
    with out_file.open("a", encoding="utf-8") as fh:
        for need, group in sorted(by_need.items(), reverse=True):
            prompts = []
            for t in group:
                ctx = (contexts.get(t.task_id) if contexts is not None
                       else retriever.context_for_spec(t.prompt) if retriever is not None else None)
                prompts.append(build_task_prompt(t, shots=shots, context=ctx, scaffold=scaffold))
            params = SamplingParams(n=need, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                                    seed=seed + sum(have.values()), too_long="empty")

            def on_result(i, comps, group=group, need=need, prompts=prompts):
                nonlocal tokens
                t = group[i]
                base = have.get(t.task_id, 0)
                for j, c in enumerate(comps):
                    code = extract_answer(prompts[i], c.text)
                    fh.write(json.dumps({"task_id": t.task_id, "completion": code if code is not None else c.text,
                                         "sample_idx": base + j}) + "\n")
                    tokens += c.tokens
                stats["samples_written"] += len(comps)
                fh.flush()
                if deadline is not None and time.time() > deadline:
                    raise _Deadline()

            try:
                be.generate(prompts, params, on_result=on_result, progress=progress)
            except _Deadline:
                stats["complete"] = False
                break
        fh.flush()
        os.fsync(fh.fileno())
    stats["tokens"] = tokens
    stats["seconds"] = round(time.time() - start, 3)
    stats["tokens_per_s"] = round(tokens / stats["seconds"], 1) if stats["seconds"] else None
    return stats
