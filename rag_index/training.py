"""Retrieval-augmented training rows: the round-2 pairs with the context `rtlgen eval --rag` would give.

Last session's measurement (results/rag/README.md) was that retrieved examples *hurt* the fine-tuned
135M model: it had never seen a prompt with a "Reference designs" section, and the examples were long
repository modules. Two changes follow from that, and this module holds both:

- `examples_from_pairs` turns instruction pairs (procedural families and the real corpus's problems)
  into index rows of the benchmarks' grain: a short description and one complete module.
- `attach_contexts` gives a seeded share of the round-2 rows the context the retriever returns for
  their own prompt, through the same `Retriever.context_for_spec` call that evaluation makes, so the
  model learns to read (and adapt, not copy) a retrieved design. A row's own design and its near copies
  (Rouge-L >= `max_rouge_l` to the row's answer, the threshold decontamination uses for the benchmarks)
  are excluded from its context: at test time decontamination guarantees the same of the index.
"""

from __future__ import annotations

import hashlib
import random
import re

from eval.contamination import rouge_l, word_tokens
from rag_index.store import PROJECT_LICENSE

_HEADER = re.compile(r"^[ \t]*module\s+[A-Za-z_]\w*.*?\);", re.S | re.M)
_INSTRUCTION = re.compile(r"\A[^\n]*(?:module|Verilog)[^\n]*\.\s*\n", re.I)


def split_code_complete(prompt: str) -> tuple[str, str] | None:
    """(description, module header) of a code-completion prompt; None when it has no header."""
    m = _HEADER.search(prompt)
    if not m:
        return None
    return prompt[:m.start()].strip(), m.group(0)


def pair_design(row: dict) -> tuple[str, str] | None:
    """(description, full module code) of one round-2 pair, or None when it holds no whole module."""
    kind = row.get("kind", "spec-to-rtl")
    prompt, completion = row.get("prompt", ""), row.get("completion", "")
    if kind == "code-complete":
        parts = split_code_complete(prompt)
        if parts is None:
            return None
        desc, header = parts
        code = header + "\n" + completion.strip("\n") + "\n"
    else:
        desc, code = prompt.strip(), completion.strip() + "\n"
    if not re.search(r"\bendmodule\b", code):
        return None
    desc = _INSTRUCTION.sub("", desc + "\n", count=1).strip() if kind == "code-complete" else desc
    return desc, code


def examples_from_pairs(rows: list[dict], *, source: str, license: str = PROJECT_LICENSE) -> list[dict]:
    """Index rows (the `modules.jsonl` shape `rtlgen rag build --data` reads), one per distinct module."""
    out, seen = [], set()
    for r in rows:
        got = pair_design(r)
        if got is None:
            continue
        desc, code = got
        key = hashlib.sha256(re.sub(r"\s+", " ", code).encode()).hexdigest()[:16]
        if key in seen:
            continue
        seen.add(key)
        out.append({"id": f"{source}-{key}", "name": str(r.get("family") or r.get("id") or key),
                    "description": desc, "code": code, "license": license,
                    "repo": f"rtlgen:{source}", "path": str(r.get("id") or ""), "family": str(r.get("family") or "")})
    return out


def answer_code(row: dict) -> str:
    got = pair_design(row)
    return got[1] if got else row.get("completion", "")


def attach_contexts(rows: list[dict], retriever, *, fraction: float, seed: int = 0, max_rouge_l: float = 0.5,
                    progress=None) -> dict:
    """Set `row["context"]` on a seeded `fraction` of `rows` (in place); returns counts for the bundle
    record. Rows whose retrieval comes back empty (everything similar excluded) keep no context."""
    rng = random.Random(seed)
    picked = given = excluded = 0
    for row in rows:
        if progress is not None:
            progress()
        if rng.random() >= fraction:
            continue
        picked += 1
        own = word_tokens(answer_code(row))
        dropped = [0]

        def exclude(snippet, own=own, dropped=dropped) -> bool:
            hit = rouge_l(word_tokens(snippet.code), own) >= max_rouge_l
            dropped[0] += hit
            return hit

        ctx = retriever.context_for_spec(row["prompt"], exclude=exclude)
        excluded += dropped[0]
        if ctx:
            row["context"] = ctx
            given += 1
    return {"rows": len(rows), "picked": picked, "with_context": given, "excluded_near_copies": excluded,
            "fraction": fraction, "seed": seed, "max_rouge_l": max_rouge_l}
