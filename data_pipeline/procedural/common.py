"""Shared pieces of the procedural families: the Design record, the family registry, port lists
rendered as interface blocks in several of our own phrasings, and module headers in several styles.

Why a builder: every family states its behaviour and its body; how the ports are listed, how the
request opens and how outputs are declared (`output reg` / `output logic` / `output wire`) vary
per design through the rng, so the model sees one idea in many surface forms, never the
benchmarks' own sentences.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

TOP = "TopModule"


@dataclass
class Port:
    dir: str  # input | output
    name: str
    width: int = 1
    note: str = ""  # one-line meaning, in our words
    proc: bool = False  # output assigned in an always block (declared reg/logic)

    def as_dict(self) -> dict:
        return {"dir": self.dir, "name": self.name, "width": self.width, "simple": True, "note": self.note}


@dataclass
class Design:
    spec: str  # full request: opening, interface block, behaviour
    code: str  # the complete reference module named TopModule
    top: str
    kind_tags: list[str]
    family: str
    behaviour: str = ""  # behaviour text alone (code-complete prompts pair it with the header)
    header: str = ""  # `module TopModule(...);`
    body: str = ""  # everything after the header, through endmodule
    ports: list[dict] = field(default_factory=list)


FAMILIES: dict[str, tuple[Callable[[random.Random], Design], tuple[str, ...]]] = {}


def family(name: str, *tags: str):
    """Register `fn(rng) -> Design` under a family name with its kind tags."""
    def deco(fn):
        if name in FAMILIES:
            raise ValueError(f"family {name} registered twice")
        FAMILIES[name] = (fn, tags)
        fn.family_name = name
        return fn
    return deco


# ---------------------------------------------------------------- names and wording

DATA_IN = [["a", "b", "c", "d", "e", "f"], ["x1", "x2", "x3", "x4", "x5", "x6"], ["in_a", "in_b", "in_c", "in_d", "in_e", "in_f"],
           ["p", "q", "r", "s", "t", "m"], ["i0", "i1", "i2", "i3", "i4", "i5"], ["op_a", "op_b", "op_c", "op_d", "op_e", "op_f"]]
OUT_NAMES = ["y", "out", "z", "f", "result", "o", "dout", "res", "q_out"]
VEC_IN = ["in", "din", "data", "vec", "x", "a", "data_in", "word", "value", "bits"]
RESETS = [("reset", "sync", True), ("rst", "sync", True), ("areset", "async", True), ("arst", "async", True),
          ("rst_n", "sync", False), ("rst_n", "async", False), ("resetn", "sync", False), ("resetn", "async", False),
          ("reset", "async", True)]


def pick(rng: random.Random, seq):
    return seq[rng.randrange(len(seq))]


def vec(w: int) -> str:
    return f"[{w - 1}:0] " if w > 1 else ""


def width_phrase(w: int, rng: random.Random) -> str:
    if w == 1:
        return pick(rng, ["1 bit", "single bit", "1-bit", "one bit"])
    return pick(rng, [f"{w} bits", f"{w}-bit", f"[{w - 1}:0]", f"{w} bits wide"])


def interface_block(ports: list[Port], rng: random.Random) -> str:
    """The ports in one of several layouts, always naming direction and width of each."""
    style = rng.randrange(5)
    if style == 0:
        lines = [pick(rng, ["Ports:", "Port list:", "Signals:", "I/O:"])]
        for p in ports:
            w = f"[{p.width - 1}:0] " if p.width > 1 else ""
            note = f"  // {p.note}" if p.note and rng.random() < 0.8 else ""
            lines.append(f"  {p.dir:<6} {w}{p.name}{note}")
        return "\n".join(lines)
    if style == 1:
        lines = [pick(rng, ["Interface:", "The module's ports:", "Connections:", "Pins:"])]
        for p in ports:
            note = f" - {p.note}" if p.note else ""
            lines.append(f"* `{p.name}` ({p.dir}, {width_phrase(p.width, rng)}){note}")
        return "\n".join(lines)
    if style == 2:
        lines = ["| port | direction | width | meaning |", "|------|-----------|-------|---------|"]
        for p in ports:
            lines.append(f"| {p.name} | {p.dir} | {p.width} | {p.note or '-'} |")
        return pick(rng, ["Port table:\n", "Interface table:\n", ""]) + "\n".join(lines)
    if style == 3:
        ins = [p for p in ports if p.dir == "input"]
        outs = [p for p in ports if p.dir == "output"]
        fmt = lambda p: f"{p.name}[{p.width - 1}:0]" if p.width > 1 else p.name  # noqa: E731
        s = pick(rng, ["Inputs", "Input ports", "Inputs are"]) + ": " + ", ".join(fmt(p) for p in ins) + ".\n"
        s += pick(rng, ["Outputs", "Output ports", "Outputs are"]) + ": " + ", ".join(fmt(p) for p in outs) + "."
        if rng.random() < 0.5:
            notes = [f"{p.name}: {p.note}" for p in ports if p.note]
            if notes:
                s += "\n" + "; ".join(notes) + "."
        return s
    lines = [pick(rng, ["Signals (direction, width):", "Port summary:", "I/O list:"])]
    for p in ports:
        lines.append(f"  {p.name}: {p.dir}, {p.width} bit{'s' if p.width > 1 else ''}" + (f" ({p.note})" if p.note else ""))
    return "\n".join(lines)


OPENINGS = [
    "Design a Verilog module called {top}.",
    "Write synthesizable RTL for a module named `{top}`.",
    "Create the hardware block `{top}` in Verilog.",
    "Build a circuit, module name {top}, as described below.",
    "Implement `{top}` in SystemVerilog.",
    "Your task: write the Verilog module {top}.",
    "Produce a Verilog description of {top}.",
    "Code the module {top} in Verilog.",
    "",  # no opening at all: the interface and behaviour say enough
]


def header(ports: list[Port], rng: random.Random, style: int | None = None) -> str:
    """ANSI module header; procedurally assigned outputs are `reg` or `logic`."""
    style = rng.randrange(3) if style is None else style
    items = []
    for p in ports:
        if p.dir == "input":
            kind = pick(rng, ["", "", "wire ", "logic "]) if style == 2 else ""
        elif p.proc:
            kind = "logic " if style == 2 else "reg "
        else:
            kind = pick(rng, ["", "wire "]) if style != 2 else pick(rng, ["logic ", ""])
        items.append(f"{p.dir} {kind}{vec(p.width)}{p.name}")
    if style == 1:
        return f"module {TOP}(" + ", ".join(items) + ");"
    return f"module {TOP} (\n" + ",\n".join("  " + i for i in items) + "\n);"


def make(rng: random.Random, fam: str, tags, ports: list[Port], behaviour: str, body: str) -> Design:
    """Assemble spec, header and code. `body` is the module body (indented lines, no endmodule)."""
    names = [p.name for p in ports]
    if len(set(names)) != len(names):
        raise ValueError(f"{fam}: duplicate port names {names}")
    hdr = header(ports, rng)
    body = body.rstrip("\n")
    code = hdr + "\n" + (body + "\n" if body.strip() else "") + "endmodule\n"
    block = interface_block(ports, rng)
    opening = pick(rng, OPENINGS).format(top=TOP)
    order = rng.random()
    parts = [opening] if opening else []
    if order < 0.7:
        parts += [block, behaviour.strip()]
    else:
        parts += [behaviour.strip(), block]
    spec = "\n\n".join(parts).strip() + "\n"
    return Design(spec=spec, code=code, top=TOP, kind_tags=list(tags), family=fam, behaviour=behaviour.strip(),
                  header=hdr, body=code[len(hdr):], ports=[p.as_dict() for p in ports])


def in_names(rng: random.Random, n: int) -> list[str]:
    pool = pick(rng, DATA_IN)
    return pool[:n]


def bullets(rng: random.Random, items: list[str]) -> str:
    mark = pick(rng, ["- ", "* ", "• "])
    if rng.random() < 0.3:
        return "\n".join(f"{i + 1}. {t}" for i, t in enumerate(items))
    return "\n".join(mark + t for t in items)


def lit(w: int, v: int, rng: random.Random | None = None, base: str | None = None) -> str:
    """A sized literal in binary, hex or decimal."""
    v &= (1 << w) - 1
    base = base or (pick(rng, ["b", "h", "d"]) if rng else "d")
    if base == "b":
        return f"{w}'b{v:0{w}b}"
    if base == "h":
        return f"{w}'h{v:0{(w + 3) // 4}x}"
    return f"{w}'d{v}"


def reset_pick(rng: random.Random):
    """(name, 'sync'|'async', active_high)."""
    return pick(rng, RESETS)


def reset_phrase(name: str, kind: str, high: bool, rng: random.Random, what: str) -> str:
    lvl = "high" if high else "low"
    if kind == "async":
        return pick(rng, [f"`{name}` is an active-{lvl} asynchronous reset: as soon as it is asserted, {what}.",
                          f"Reset ({name}) is asynchronous and active {lvl}; while it is asserted {what}, independent of the clock.",
                          f"When {name} is {'1' if high else '0'} (asynchronous reset, no clock needed), {what}."])
    return pick(rng, [f"`{name}` is a synchronous, active-{lvl} reset: on a rising clock edge where it is asserted, {what}.",
                      f"Reset is synchronous and active {lvl} ({name}); at a clock edge with reset asserted, {what}.",
                      f"If {name} is {'1' if high else '0'} at a rising edge of clk, {what} (synchronous reset)."])


def always_ff(kind: str, name: str, high: bool) -> str:
    if kind == "async":
        edge = "posedge" if high else "negedge"
        return f"always @(posedge clk or {edge} {name})"
    return "always @(posedge clk)"


def rst_cond(name: str, high: bool) -> str:
    return name if high else f"!{name}"


def clk_port(rng: random.Random) -> Port:
    return Port("input", "clk", 1, pick(rng, ["clock", "clock, rising edge active", "system clock", ""]))


def reset_port(name: str, kind: str, high: bool) -> Port:
    return Port("input", name, 1, f"{'async' if kind == 'async' else 'sync'} reset, active {'high' if high else 'low'}")
