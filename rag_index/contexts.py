"""Precomputed retrieval contexts: run retrieval where the index lives, generate somewhere else.

The GPU machine has neither the FAISS index nor the embedder, but retrieval is a pure function of
(index, retrieval settings, task prompt): `Retriever.context_for_spec(task.prompt)`, exactly what
`rtlgen eval --rag INDEX` calls per task. So it can run here, once per task, and the strings travel
as a JSONL file of rows

    {"benchmark", "task_id", "prompt_sha", "context"}

`prompt_sha` (sha256 of the task prompt the context was retrieved for) lets the consumer refuse a
file made from another copy or version of a benchmark instead of silently pairing a task with
another task's context. A sidecar `<file>.manifest.json` records the index manifest and retrieval
settings, for the eval summary.

Consumer side (three lines in a generation script):

    from rag_index.contexts import load_contexts
    table = load_contexts(args.contexts)                    # once
    ctx = table.for_tasks(name, tasks)                      # {task_id: context}, checked
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from eval.errors import UserError


def prompt_sha(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def context_rows(retriever, benchmark: str, tasks, progress=None) -> list[dict]:
    """One row per task, from the same call `rtlgen eval --rag` makes (`context_for_spec(task.prompt)`)."""
    rows = []
    for t in tasks:
        rows.append({"benchmark": benchmark, "task_id": t.task_id, "prompt_sha": prompt_sha(t.prompt),
                     "context": retriever.context_for_spec(t.prompt)})
        if progress is not None:
            progress()
    return rows


class ContextTable:
    """{(benchmark, task_id): context} read from a contexts file, with the prompt hashes it was made for."""

    def __init__(self, rows: list[dict], path: str = "", manifest: dict | None = None):
        self.path = path
        self.manifest = manifest or {}
        self.contexts: dict[tuple[str, str], str] = {}
        self.shas: dict[tuple[str, str], str] = {}
        for r in rows:
            key = (r["benchmark"], r["task_id"])
            self.contexts[key] = r["context"]
            if r.get("prompt_sha"):
                self.shas[key] = r["prompt_sha"]

    def __len__(self) -> int:
        return len(self.contexts)

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self.contexts[key]

    def as_dict(self) -> dict[tuple[str, str], str]:
        return dict(self.contexts)

    def benchmarks(self) -> list[str]:
        return sorted({b for b, _ in self.contexts})

    def for_tasks(self, benchmark: str, tasks) -> dict[str, str]:
        """{task_id: context} for `tasks` of `benchmark`; refuses a task with no row or whose prompt
        differs from the one the context was retrieved for (another benchmark copy or version)."""
        out, missing, changed = {}, [], []
        for t in tasks:
            key = (benchmark, t.task_id)
            if key not in self.contexts:
                missing.append(t.task_id)
                continue
            if key in self.shas and self.shas[key] != prompt_sha(t.prompt):
                changed.append(t.task_id)
                continue
            out[t.task_id] = self.contexts[key]
        where = self.path or "contexts file"
        if missing:
            raise UserError(f"{where}: no context for {len(missing)} {benchmark} task(s) (e.g. {missing[0]}); "
                            f"it has {', '.join(self.benchmarks()) or 'no benchmarks'}; regenerate it with scripts/rag_contexts.py")
        if changed:
            raise UserError(f"{where}: {len(changed)} {benchmark} prompt(s) differ from the ones retrieved for "
                            f"(e.g. {changed[0]}): another benchmark copy; regenerate it with scripts/rag_contexts.py")
        return out


def write_contexts(path: str | Path, rows: list[dict], manifest: dict | None = None) -> None:
    """Write rows (and the sidecar manifest) atomically: a crash never leaves a half file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)
    if manifest is not None:
        mpath = path.with_name(path.name + ".manifest.json")
        mpath.write_text(json.dumps(manifest, indent=1) + "\n")


def load_contexts(path: str | Path) -> ContextTable:
    """Read a contexts file (and its manifest when present)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"contexts file {path} not found (make it with scripts/rag_contexts.py)")
    from rag_index.store import read_jsonl

    rows = []
    for n, row in read_jsonl(path):
        if not (isinstance(row.get("benchmark"), str) and isinstance(row.get("task_id"), str)
                and isinstance(row.get("context"), str)):
            raise UserError(f"{path}:{n}: a contexts row needs string 'benchmark', 'task_id' and 'context'")
        rows.append(row)
    mpath = path.with_name(path.name + ".manifest.json")
    manifest = None
    if mpath.is_file():
        try:
            manifest = json.loads(mpath.read_text())
        except json.JSONDecodeError:
            manifest = None
    return ContextTable(rows, str(path), manifest)
