"""Prompt templates (files beside this module) and extraction of the answer's Verilog.

The prompt format follows VerilogEval v2's `sv-generate` so that our numbers compare with the
published ones: spec-to-rtl is a `Question:` / `Answer:` exchange asking for code between
`[BEGIN]` and `[DONE]`; code completion comments out the description and ends with the module
interface to complete. k-shot in-context examples (k = 0…3) are rendered through the same
templates before the question, as upstream's prefix files are; the examples themselves are our own
(`examples/icl/`). Chat models get [system, user] messages through their chat template; models
without one get the plain concatenation, which for code completion ends exactly at the interface.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from eval.errors import UserError
from eval.extract import code_region, defines_module, extract_modules

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
ICL_DIR = HERE / "examples" / "icl"
KINDS = ("spec-to-rtl", "code-complete")
MAX_SHOTS = 3


@lru_cache(maxsize=None)
def template(name: str) -> str:
    path = TEMPLATES / f"{name}.txt"
    if not path.exists():
        raise UserError(f"prompt template {name!r} missing ({path})")
    return path.read_text(encoding="utf-8")


def fill(tmpl: str, **values: str) -> str:
    """`{name}` substitution that leaves every other brace alone (Verilog is full of them)."""
    return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), tmpl)


@dataclass
class IclExample:
    name: str
    spec: str  # spec-to-rtl question (interface list + behaviour)
    desc: str  # behaviour only, for code completion
    code: str  # the full module


@lru_cache(maxsize=1)
def icl_examples() -> tuple[IclExample, ...]:
    out = []
    for sv in sorted(ICL_DIR.glob("*.sv")):
        stem = sv.name[:-3]
        out.append(IclExample(stem, (ICL_DIR / f"{stem}.spec.txt").read_text().strip(),
                              (ICL_DIR / f"{stem}.desc.txt").read_text().strip(), sv.read_text().strip()))
    return tuple(out)


_HEADER_END = re.compile(r"\)\s*;")


def split_interface(code: str) -> tuple[str, str]:
    """(module header through `);`, body after it)."""
    m = _HEADER_END.search(code)
    if not m:
        return code, ""
    return code[:m.end()], code[m.end():]


def comment_description(text: str, top: str) -> str:
    """Upstream's code-complete rendering: description lines become `//` comments, the interface stays code."""
    lines, in_code = [], False
    for line in text.splitlines():
        if not in_code and re.search(rf"\bmodule\s+{re.escape(top)}\b", line):
            lines.append("")
            in_code = True
        lines.append(line if in_code else ("// " + line).rstrip())
    return "\n".join(lines).rstrip() + "\n"


def shots_prefix(kind: str, shots: int) -> str:
    if shots < 0 or shots > MAX_SHOTS:
        raise UserError(f"--shots {shots}: use 0 to {MAX_SHOTS}")
    examples = icl_examples()[:shots]
    if kind == "spec-to-rtl":
        return "".join(fill(template("example.spec-to-rtl"), spec=e.spec, code=e.code) for e in examples)
    parts = []
    for e in examples:
        header, body = split_interface(e.code)
        parts.append(fill(template("example.code-complete"),
                          commented=comment_description(e.desc + "\n\n" + header, "TopModule").rstrip(),
                          body=body.rstrip()[1:] if body.startswith("\n") else body.rstrip()))
    return "".join(parts)


@dataclass
class Prompt:
    """One generation request: chat messages, and the plain rendering for models without a chat template."""

    messages: list[dict]
    kind: str
    top: str
    interface: str | None = None
    meta: dict = field(default_factory=dict)
    prefix: str = ""  # start of the answer, written for the model (backends prepend it to the completion)

    @property
    def plain(self) -> str:
        """Completion-style text: system line, then the conversation; ends where the model continues."""
        parts = []
        for m in self.messages:
            if m["role"] == "assistant":
                parts.append("[BEGIN]\n" + m["content"].strip() + "\n[DONE]\n")
            else:
                parts.append(m["content"].strip("\n") + "\n")
        return "\n".join(parts)


def build_prompt(spec: str, *, kind: str = "spec-to-rtl", top: str = "TopModule", shots: int = 0,
                 context: str | None = None, interface: str | None = None, answer_prefix: bool = False,
                 scaffold: bool = False) -> Prompt:
    """The prompt for one spec. `answer_prefix` starts the answer with `[BEGIN]` and the module
    header's first words, which keeps small models on the format (off for benchmark protocols,
    which must match upstream). `scaffold` turns a spec-to-rtl spec whose port list reads
    unambiguously into a code-completion prompt with the header written from that list
    (`rtlgen.spec_ports`); the answer is then a body joined to that header."""
    if kind not in KINDS:
        raise UserError(f"unknown task kind {kind!r} (use {', '.join(KINDS)})")
    if not spec.strip():
        raise UserError("the spec is empty")
    scaffolded = False
    if scaffold and kind == "spec-to-rtl" and interface is None:
        from rtlgen.spec_ports import scaffold_header

        interface = scaffold_header(spec, top)
        if interface is not None:
            kind, scaffolded = "code-complete", True
    ctx = fill(template("context"), context=context.strip()) if context and context.strip() else ""
    examples = shots_prefix(kind, shots)
    if kind == "spec-to-rtl":
        user = fill(template("spec-to-rtl.user"), examples=examples, context=ctx, spec=spec.strip())
    else:
        text = spec if interface is None or defines_module(spec, top) else spec.rstrip() + "\n\n" + interface
        user = fill(template("code-complete.user"), examples=examples, context=ctx,
                    commented=comment_description(text, top))
    user = user.lstrip("\n")
    messages = [{"role": "system", "content": template(f"{kind}.system").strip()},
                {"role": "user", "content": user}]
    prefix = f"[BEGIN]\nmodule {top}" if answer_prefix and kind == "spec-to-rtl" else ""
    return Prompt(messages, kind, top, interface, meta={"scaffold": True} if scaffolded else {}, prefix=prefix)


def build_task_prompt(task, *, shots: int = 0, context: str | None = None, scaffold: bool = False) -> Prompt:
    """Prompt for an `eval.benchmarks.Task`."""
    return build_prompt(task.prompt, kind=task.kind, top=task.top, shots=shots, context=context,
                        interface=task.interface, scaffold=scaffold)


def build_repair_prompt(base: Prompt, code: str, errors: str, *, max_error_chars: int = 3000) -> Prompt:
    """The original exchange, the failed answer as the assistant's turn, then the tool errors."""
    if len(errors) > max_error_chars:
        errors = errors[:max_error_chars] + "\n…(truncated)"
    user = fill(template("repair.user"), errors=errors.strip(), top=base.top)
    msgs = [m for m in base.messages if m["role"] == "system"] + \
           [{"role": "user", "content": next(m["content"] for m in base.messages if m["role"] == "user")},
            {"role": "assistant", "content": code.strip()},
            {"role": "user", "content": user}]
    return Prompt(msgs, base.kind, base.top, base.interface, dict(base.meta, repair=True),
                  prefix=f"[BEGIN]\nmodule {base.top}" if base.prefix else "")


def render(prompt: Prompt, tokenizer=None) -> str:
    """Text that goes into a completion model: the chat template when the tokenizer has one.

    Token healing for code completion: the text stops *before* its final newline and the model writes
    that newline itself. A code-complete answer is a module body whose first line is indented, and
    byte-level BPE merges a newline with the indentation after it ("\n  assign" is one pre-token),
    so round 2 never showed the model a lone "\n" token before a body; a prompt that ends in one
    asks for a continuation it has not seen (the model then often rewrote the module header instead
    of continuing the body: 614 of 3,120 sampled VerilogEval v2 code-complete answers, none healed). Spec-to-RTL answers start with "[BEGIN]", which never merges
    with the newline, so their prompts keep it: healing them too measured mixed to worse on VerilogEval
    v2 spec-to-rtl (run 5: greedy syntax 56.4 → 61.5% but greedy pass@1 5.1 → 4.5%, sampled syntax
    50.4 → 43.7%, pass@10 10.8 → 9.8%; `results/train/README.md`)."""
    if tokenizer is not None and getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True)
    else:
        text = prompt.plain
    if prompt.kind == "code-complete" and not prompt.prefix and text.endswith("\n"):
        text = text[:-1]
    return text + prompt.prefix


_BEGIN_DONE = re.compile(r"\[BEGIN\](.*?)(?:\[DONE\]|\Z)", re.S)


def extract_code(text: str, top: str, interface: str | None = None) -> str | None:
    """The Verilog in a model answer, its top module named `top`; None when there is none (class N).

    Order: upstream's `[BEGIN]…[DONE]` markers, then code fences, then bare modules (eval.extract).
    A code-completion answer that holds only a body is joined to the given interface.
    """
    m = _BEGIN_DONE.search(text)
    if m and re.search(r"\bmodule\b|\bendmodule\b", m.group(1)):
        text = m.group(1)
    text = text.replace("[DONE]", "")
    found = extract_modules(text, top)
    if found is None and interface is not None:
        body = code_region(text)
        if body.strip():
            if not re.search(r"\bendmodule\b", body):
                body = body.rstrip() + "\nendmodule\n"
            found = extract_modules(interface + "\n" + body, top)
    return found


def extract_answer(prompt: Prompt, text: str) -> str | None:
    """`extract_code` for an answer to `prompt`; a header the scaffold wrote is then reconciled with
    the body (`rtlgen.spec_ports.declare_procedural_outputs`). Benchmark-given headers are never
    changed."""
    code = extract_code(text, prompt.top, prompt.interface)
    if code is not None and prompt.meta.get("scaffold"):
        from rtlgen.spec_ports import declare_procedural_outputs

        code = declare_procedural_outputs(code, prompt.top)
    return code
