"""Narrated descriptions: a second voice for code-complete rows.

Our family specs are terse requests ("y is the XOR of a and b"). Many real prompts are not: they
are long, machine-written narrations that walk through the ports one by one, retell how the code
is built ("an always block triggered on the rising edge of clk", "the states are local
parameters"), and pad with sentences that say nothing about behaviour ("useful as a building
block"). A small model trained only on terse specs reads every extra noun in such a text as a
signal to invent (a `clock` port for a constant driver, a loop of declarations). This module
retells a design in that voice, from the design's own ports and body, so that round 2 sees the
same behaviour under both voices. Every sentence is our own wording; the build's decontamination
checks the result like any other prompt.
"""

from __future__ import annotations

import random
import re

from data_pipeline.procedural.common import pick

_LOCALPARAM = re.compile(r"\b(?:localparam|parameter)\b[^;]*?;", re.S)
_PARAM_NAME = re.compile(r"(?:^|,)\s*(?:\[[^\]]*\]\s*)?([A-Za-z_]\w*)\s*=")
_REG_DECL = re.compile(r"^\s*(?:reg|logic|integer)\b\s*(?:signed\s+)?(?:\[[^\]]*\]\s*)?([^;=]+);", re.M)
_ALWAYS = re.compile(r"always(?:_ff|_comb|_latch)?\s*(@\s*(\([^)]*\)|\*))?")
_ASSIGN = re.compile(r"^\s*assign\s+([A-Za-z_]\w*)", re.M)
_CASE = re.compile(r"\bcase[zx]?\s*\(([^)]*)\)")
_EDGE = re.compile(r"(posedge|negedge)\s+([A-Za-z_]\w*)")

OPENINGS = [
    "This Verilog module is a {kind} circuit.",
    "The module described here is a {kind} design named TopModule.",
    "This is a {kind} top-level module.",
    "The top module implements a small {kind} block.",
    "This module is a {kind} piece of logic with a handful of ports.",
]
FILLER = [
    "This kind of block is handy as a building block inside a larger design.",
    "Such a module is often reused in bigger systems where the same function is needed.",
    "It is a simple design, but it shows a common pattern in digital logic.",
    "The design is small and easy to verify with a short testbench.",
    "Blocks like this one appear in many datapaths and controllers.",
    "Nothing else is connected to the module besides the ports listed.",
]


def _names(found: list[str], limit: int = 6) -> str:
    found = list(dict.fromkeys(found))[:limit]
    if len(found) == 1:
        return found[0]
    return ", ".join(found[:-1]) + " and " + found[-1]


def _port_sentence(p: dict, rng: random.Random) -> str:
    w = p.get("width", 1)
    size = pick(rng, ["1-bit", "single-bit"]) if w == 1 else pick(rng, [f"{w}-bit", f"{w} bits wide"])
    note = p.get("note", "")
    d = p["dir"]
    if rng.random() < 0.5:
        article = "an" if size[0] in "8" or size.startswith(("11", "18")) else "a"
        s = f"The {d} {p['name']} is {article} {size} signal" if "wide" not in size else f"The {d} {p['name']} is {size}"
    else:
        s = f"{p['name']} is an {d} of {w} bit{'s' if w > 1 else ''}"
    return s + (f" ({note})." if note and rng.random() < 0.7 else ".")


def ports_paragraph(ports: list[dict], rng: random.Random) -> str:
    ins = [p for p in ports if p["dir"] == "input"]
    outs = [p for p in ports if p["dir"] == "output"]
    head = (f"It has {len(ins) or 'no'} input{'s' if len(ins) != 1 else ''} and "
            f"{len(outs)} output{'s' if len(outs) != 1 else ''}.")
    if not ins:
        head += pick(rng, [" It takes no inputs at all.", " There are no input ports."])
    per_port = [_port_sentence(p, rng) for p in ports]
    if len(ports) > 6 and rng.random() < 0.6:  # long port lists are summarised, not walked through
        fmt = lambda p: f"{p['name']}[{p['width'] - 1}:0]" if p["width"] > 1 else p["name"]  # noqa: E731
        per_port = [f"The inputs are {', '.join(fmt(p) for p in ins) or 'none'}.",
                    f"The outputs are {', '.join(fmt(p) for p in outs)}."]
    return " ".join([head] + per_port)


def body_sentences(body: str, rng: random.Random) -> list[str]:
    """How the body is built, one sentence per construct it uses."""
    out = []
    params = [n for decl in _LOCALPARAM.findall(body) for n in _PARAM_NAME.findall(decl.split(None, 1)[1])]
    if params:
        out.append(pick(rng, [f"The constants {_names(params)} are declared as local parameters inside the module.",
                              f"Local parameters name the encodings {_names(params)}.",
                              f"The module defines {_names(params)} with localparam declarations."]))
    regs = [n.strip().split("[")[0].strip() for decl in _REG_DECL.findall(body) for n in decl.split(",")]
    regs = [r for r in regs if re.fullmatch(r"[A-Za-z_]\w*", r)]
    if regs:
        out.append(pick(rng, [f"Internal variables {_names(regs)} hold intermediate values.",
                              f"It declares the internal signal{'s' if len(regs) > 1 else ''} {_names(regs)}."]))
    comb = pick(rng, ["A combinational always block computes the outputs from the inputs.",
                      "The logic sits in an always block that is sensitive to all of its inputs."])
    for m in _ALWAYS.finditer(body):
        sens = m.group(2) or ""
        edges = _EDGE.findall(sens)
        if edges:
            clk_edge, clk = edges[0]
            s = f"An always block is triggered on the {'rising' if clk_edge == 'posedge' else 'falling'} edge of {clk}"
            if len(edges) > 1:
                r_edge, rst = edges[1]
                s += f" and on the {'rising' if r_edge == 'posedge' else 'falling'} edge of {rst}, so {rst} acts at once"
            out.append(s + ".")
        else:
            out.append(comb)
    assigned = _ASSIGN.findall(body)
    if assigned:
        out.append(pick(rng, [f"{_names(assigned)} {'is' if len(set(assigned)) == 1 else 'are'} driven by continuous assign statements.",
                              f"Continuous assignments drive {_names(assigned)}."]))
    cases = _CASE.findall(body)
    if cases:
        out.append(f"A case statement on {cases[0].strip()} chooses the result.")
    if re.search(r"\bfor\s*\(", body):
        out.append("A for loop walks over the bit positions.")
    if not out:
        out.append("The body is a single statement.")
    return list(dict.fromkeys(out))  # two clocked blocks are told once


def narrate(d, rng: random.Random) -> str:
    """The design's behaviour retold in the long, narrated voice (see the module docstring)."""
    seq = bool(_EDGE.search(d.body))
    kind = "sequential" if seq else "combinational"
    behaviour = d.behaviour.strip()
    if rng.random() < 0.6 and "|" not in behaviour:  # narrations are prose: bullet lists flattened (tables kept)
        items = [re.sub(r"^\s*(?:[-*•]|\d+\.)\s+", "", ln).strip() for ln in behaviour.splitlines() if ln.strip()]
        behaviour = " ".join(i if i[-1] in ".:;!?" else i + "." for i in items)
    parts = [pick(rng, OPENINGS).format(kind=kind), ports_paragraph(d.ports, rng)]
    how = " ".join(body_sentences(d.body, rng))
    parts += [behaviour, how] if rng.random() < 0.6 else [how, behaviour]
    if rng.random() < 0.7:
        parts.append(" ".join(rng.sample(FILLER, rng.choice([1, 2]))))
    return "\n\n".join(p for p in parts if p) if rng.random() < 0.5 else "  ".join(p for p in parts if p)
