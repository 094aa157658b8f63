"""Families: gates, boolean expressions, truth tables, minterm lists (pure combinational logic)."""

from __future__ import annotations

import random

from data_pipeline.procedural.common import OUT_NAMES, Port, bullets, family, in_names, make, pick

GATES = {
    "and": ("&", "AND", lambda a, b: a & b), "or": ("|", "OR", lambda a, b: a | b),
    "xor": ("^", "XOR", lambda a, b: a ^ b), "nand": ("&", "NAND", lambda a, b: 1 - (a & b)),
    "nor": ("|", "NOR", lambda a, b: 1 - (a | b)), "xnor": ("^", "XNOR", lambda a, b: 1 - (a ^ b)),
}


def _gate_expr(g: str, a: str, b: str) -> str:
    op = GATES[g][0]
    e = f"{a} {op} {b}"
    return f"~({e})" if g in ("nand", "nor", "xnor") else e


@family("gate2", "comb", "gates")
def gate2(rng: random.Random):
    g = pick(rng, list(GATES))
    a, b = in_names(rng, 2)
    y = pick(rng, OUT_NAMES)
    w = pick(rng, [1, 1, 1, 2, 4, 8, 16])
    ports = [Port("input", a, w), Port("input", b, w), Port("output", y, w, proc=rng.random() < 0.3)]
    word = GATES[g][1]
    beh = pick(rng, [f"The output {y} is the {word} of {a} and {b}" + (" taken bit by bit." if w > 1 else "."),
                     f"Compute {y} = {a} {word} {b}" + (f" for each of the {w} bit positions." if w > 1 else "."),
                     f"A {word} gate: {y} gets {word.lower()}({a}, {b})."])
    if ports[2].proc:
        body = f"  always @(*) begin\n    {y} = {_gate_expr(g, a, b)};\n  end"
    else:
        body = f"  assign {y} = {_gate_expr(g, a, b)};"
    return make(rng, "gate2", ["comb", "gates"], ports, beh, body)


@family("gate_bank", "comb", "gates")
def gate_bank(rng: random.Random):
    a, b = in_names(rng, 2)
    gs = rng.sample(list(GATES), rng.randint(3, 6))
    sep = pick(rng, ["_", ""])
    outs = [f"out{sep}{g}" for g in gs]
    ports = [Port("input", a), Port("input", b)] + [Port("output", o, 1, f"{g.upper()} of the inputs") for o, g in zip(outs, gs)]
    beh = "Drive one output per logic function of the two inputs:\n" + bullets(
        rng, [f"{o} = {a} {GATES[g][1]} {b}" for o, g in zip(outs, gs)])
    body = "\n".join(f"  assign {o} = {_gate_expr(g, a, b)};" for o, g in zip(outs, gs))
    return make(rng, "gate_bank", ["comb", "gates"], ports, beh, body)


def _rand_expr(rng: random.Random, names: list[str], depth: int) -> tuple[str, str]:
    """(verilog, english) of a random boolean expression."""
    if depth == 0 or rng.random() < 0.25:
        n = pick(rng, names)
        if rng.random() < 0.3:
            return f"~{n}", f"NOT {n}"
        return n, n
    op = pick(rng, ["&", "|", "^", "&", "|"])
    word = {"&": "AND", "|": "OR", "^": "XOR"}[op]
    l, le = _rand_expr(rng, names, depth - 1)
    r, re_ = _rand_expr(rng, names, depth - 1)
    v, e = f"({l} {op} {r})", f"({le} {word} {re_})"
    if rng.random() < 0.15:
        return f"~{v}", f"NOT {e}"
    return v, e


@family("bool_expr", "comb", "boolean")
def bool_expr(rng: random.Random):
    names = in_names(rng, rng.randint(3, 5))
    nout = rng.choice([1, 1, 2])
    outs = [pick(rng, OUT_NAMES)] if nout == 1 else ["y1", "y2"] if rng.random() < 0.5 else ["f", "g"]
    exprs = [_rand_expr(rng, names, rng.randint(2, 3)) for _ in outs]
    ports = [Port("input", n) for n in names] + [Port("output", o) for o in outs]
    form = rng.random()
    lines = []
    for o, (v, e) in zip(outs, exprs):
        if form < 0.5:
            lines.append(f"{o} = {e}")
        else:
            lines.append(f"{o} = {v}")
    intro = pick(rng, ["Each output is the boolean function below (~ is NOT, & AND, | OR, ^ XOR):" if form >= 0.5 else
                       "Each output is the boolean function below:",
                       "Combinational logic only; the outputs follow these equations:"])
    beh = intro + "\n" + bullets(rng, lines)
    style = rng.random()
    if style < 0.6:
        body = "\n".join(f"  assign {o} = {v};" for o, (v, _) in zip(outs, exprs))
    else:
        for p in ports:
            if p.dir == "output":
                p.proc = True
        body = "  always @(*) begin\n" + "\n".join(f"    {o} = {v};" for o, (v, _) in zip(outs, exprs)) + "\n  end"
    return make(rng, "bool_expr", ["comb", "boolean"], ports, beh, body)


def _truth(rng: random.Random, n: int) -> list[int]:
    while True:
        t = [rng.randint(0, 1) for _ in range(1 << n)]
        if 0 < sum(t) < len(t):
            return t


def _sop(names: list[str], table: list[int]) -> str:
    n = len(names)
    terms = []
    for m, v in enumerate(table):
        if v:
            lits = [(names[i] if (m >> (n - 1 - i)) & 1 else f"~{names[i]}") for i in range(n)]
            terms.append("(" + " & ".join(lits) + ")")
    return " | ".join(terms) if terms else "1'b0"


def _case_body(names: list[str], table: list[int], y: str, dontcare_default: bool = False) -> str:
    n = len(names)
    sel = "{" + ", ".join(names) + "}"
    lines = ["  always @(*) begin", f"    case ({sel})"]
    for m, v in enumerate(table):
        lines.append(f"      {n}'b{m:0{n}b}: {y} = 1'b{v};")
    lines += [f"      default: {y} = 1'b0;", "    endcase", "  end"]
    return "\n".join(lines)


@family("truth_table", "comb", "truth-table")
def truth_table(rng: random.Random):
    n = rng.randint(2, 4)
    names = in_names(rng, n)
    y = pick(rng, OUT_NAMES)
    table = _truth(rng, n)
    ports = [Port("input", x) for x in names] + [Port("output", y)]
    head = " ".join(names) + " | " + y
    rows = [" ".join(str((m >> (n - 1 - i)) & 1) for i in range(n)) + " | " + str(v) for m, v in enumerate(table)]
    if rng.random() < 0.5:
        rows = [r for r in rows]
        beh = pick(rng, ["The output is defined by this truth table:", "Implement the function given by the table:",
                         "Truth table of the circuit:"]) + "\n\n" + head + "\n" + "\n".join(rows)
    else:
        md = ["| " + " | ".join(names) + f" | {y} |", "|" + "---|" * (n + 1)]
        md += ["| " + " | ".join(str((m >> (n - 1 - i)) & 1) for i in range(n)) + f" | {v} |" for m, v in enumerate(table)]
        beh = pick(rng, ["Combinational function, specified as a table:", "Output values for every input combination:"]) + "\n\n" + "\n".join(md)
    if rng.random() < 0.5:
        ports[-1].proc = True
        body = _case_body(names, table, y)
    else:
        body = f"  assign {y} = {_sop(names, table)};"
    return make(rng, "truth_table", ["comb", "truth-table"], ports, beh, body)


@family("minterms", "comb", "truth-table")
def minterms(rng: random.Random):
    n = rng.randint(3, 4)
    names = in_names(rng, n)
    y = pick(rng, OUT_NAMES)
    table = _truth(rng, n)
    ones = [m for m, v in enumerate(table) if v]
    zeros = [m for m, v in enumerate(table) if not v]
    ports = [Port("input", x) for x in names] + [Port("output", y)]
    msb = names[0]
    if rng.random() < 0.5:
        beh = (f"{y} is 1 exactly for the input combinations (minterms) {', '.join(map(str, ones))}, where the index "
               f"is the binary number {{{', '.join(names)}}} with {msb} as the most significant bit; otherwise {y} is 0.")
    else:
        beh = (f"Treat {{{', '.join(names)}}} as an unsigned number N ({msb} is the MSB). The output {y} is 0 when N is one of "
               f"{', '.join(map(str, zeros))} (the maxterms), and 1 for every other value.")
    r = rng.random()
    if r < 0.4:
        body = f"  assign {y} = {_sop(names, table)};"
    elif r < 0.7:
        ports[-1].proc = True
        body = _case_body(names, table, y)
    else:
        cat = "{" + ", ".join(names) + "}"
        conds = " || ".join(f"{cat} == {n}'d{m}" for m in ones)
        body = f"  assign {y} = ({conds}) ? 1'b1 : 1'b0;"
    return make(rng, "minterms", ["comb", "truth-table"], ports, beh, body)


@family("majority", "comb", "boolean")
def majority(rng: random.Random):
    n = pick(rng, [3, 5])
    names = in_names(rng, n)
    y = pick(rng, OUT_NAMES)
    mode = pick(rng, ["majority", "minority", "exactly_one", "all_equal"])
    ports = [Port("input", x) for x in names] + [Port("output", y)]
    cat = "{" + ", ".join(names) + "}"
    k = n // 2 + 1
    if mode == "majority":
        beh = f"{y} is 1 when at least {k} of the {n} inputs ({', '.join(names)}) are 1 (a majority vote)."
        cnt = " + ".join(f"{{2'b00, {x}}}" for x in names)
        body = f"  wire [2:0] ones = {cnt};\n  assign {y} = (ones >= 3'd{k});"
    elif mode == "minority":
        beh = f"{y} is 1 when fewer than {k} of the inputs {', '.join(names)} are high, and 0 otherwise."
        cnt = " + ".join(f"{{2'b00, {x}}}" for x in names)
        body = f"  wire [2:0] ones = {cnt};\n  assign {y} = (ones < 3'd{k});"
    elif mode == "exactly_one":
        beh = f"Assert {y} when exactly one of {', '.join(names)} is 1."
        cnt = " + ".join(f"{{2'b00, {x}}}" for x in names)
        body = f"  wire [2:0] ones = {cnt};\n  assign {y} = (ones == 3'd1);"
    else:
        beh = f"{y} is high when all inputs ({', '.join(names)}) carry the same value (all zero or all one)."
        body = f"  assign {y} = (&{cat}) | ~(|{cat});"
    return make(rng, "majority", ["comb", "boolean"], ports, beh, body)
