"""Training rows in the scaffolded form `rtlgen generate` sends (`rtlgen.spec_ports`).

Why: since session 5, `rtlgen generate` writes the module header from a spec's port list and asks
the model for the body, but round 2 and DPO trained only the whole-module spec-to-RTL form. The model
therefore met scaffolded prompts only through its code-completion rows, and on VerilogEval v2
spec-to-rtl the scaffold raised syntax (56.4 → 71.2%) yet lowered greedy pass@1 (5.1 → 4.5%). Here a
fixed fraction of spec-to-RTL rows is posed the scaffolded way, so training covers both forms: the
benchmarks' upstream protocol keeps its whole-module rows, and generation gets rows of its own form.
Run 6 (round 2 at 1.0, DPO at 0.5, with a longer schedule) took scaffolded v2 spec-to-rtl greedy pass@1
4.5 → 7.7% but lost pass@10; run 7, the shipped round 2, trains at 1.0 (`finetune/configs/round2.yaml`;
`results/train/README.md`, runs 6 and 7).

A row is scaffolded only when the header we would write is faithful to the reference answer: the
reference's body joined to our header (and reconciled, as `rtlgen.prompts.extract_answer` does)
must elaborate, with pyslang, to the same ports as the reference and without errors. Otherwise the
answer would teach a body that does not fit its header, and the row keeps the whole-module form.
"""

from __future__ import annotations

import hashlib


def picked(key: str, fraction: float) -> bool:
    """Deterministic choice of the scaffolded share: the same row (or problem) is picked in every
    process and on every rerun, so DPO can rebuild the prompt its sampler posed."""
    if fraction <= 0:
        return False
    if fraction >= 1:
        return True
    h = int.from_bytes(hashlib.sha1(key.encode("utf-8", "replace")).digest()[:8], "big")
    return h / 2**64 < fraction


def faithful_body(spec: str, code: str, top: str) -> str | None:
    """The body of reference `code` when the scaffold header for `spec` fits it; else None."""
    from eval.signals import elaborate
    from rtlgen.spec_ports import declare_procedural_outputs, scaffold_header, split_header

    head = scaffold_header(spec, top)
    parts = split_header(code, top)
    if head is None or parts is None:
        return None
    body = parts[1]
    if not body.strip():
        return None
    joined = declare_procedural_outputs(head + body, top)
    ref_ports, ref_errors = elaborate(code, top)
    ports, errors = elaborate(joined, top)
    if ref_ports is None or ports != ref_ports or errors > ref_errors:
        return None
    return body


def answer_body(code: str, top: str) -> str | None:
    """A candidate's body, as the model wrote it after a scaffolded prompt (its code is our header + body)."""
    from rtlgen.spec_ports import split_header

    parts = split_header(code, top)
    return parts[1] if parts and parts[1].strip() else None
