"""Families: vector manipulation (reverse, concatenate, replicate, sign-extend, reductions,
popcount, parity, leading/trailing zeros, one-hot checks, field extraction, byte swaps)."""

from __future__ import annotations

import random

from data_pipeline.procedural.common import OUT_NAMES, VEC_IN, Port, bullets, family, make, pick


@family("reverse", "comb", "vector")
def reverse(rng):
    w = pick(rng, [4, 5, 6, 8, 10, 12, 16, 32])
    a, y = pick(rng, VEC_IN), pick(rng, OUT_NAMES)
    ports = [Port("input", a, w), Port("output", y, w)]
    beh = pick(rng, [f"{y} is {a} with its bit order reversed: {y}[0] = {a}[{w - 1}], {y}[1] = {a}[{w - 2}], and so on.",
                     f"Mirror the {w}-bit input: the most significant bit of {a} becomes the least significant bit of {y}, and vice versa for every position."])
    r = rng.random()
    if r < 0.4:
        body = f"  assign {y} = {{" + ", ".join(f"{a}[{i}]" for i in range(w)) + "};"
    elif r < 0.7:
        ports[1].proc = True
        body = f"  integer i;\n  always @(*) begin\n    for (i = 0; i < {w}; i = i + 1)\n      {y}[i] = {a}[{w - 1} - i];\n  end"
    else:
        body = f"  genvar i;\n  generate\n    for (i = 0; i < {w}; i = i + 1) begin : g_rev\n      assign {y}[i] = {a}[{w - 1} - i];\n    end\n  endgenerate"
    return make(rng, "reverse", ["comb", "vector"], ports, beh, body)


@family("byte_swap", "comb", "vector")
def byte_swap(rng):
    nb = pick(rng, [2, 3, 4])
    w = nb * 8
    a, y = pick(rng, VEC_IN), pick(rng, OUT_NAMES)
    ports = [Port("input", a, w), Port("output", y, w)]
    beh = pick(rng, [f"Reverse the byte order of the {w}-bit word {a} (an endianness swap); bits inside each byte keep their order.",
                     f"{y} holds the {nb} bytes of {a} in the opposite order: byte 0 of {a} ({a}[7:0]) lands in the top byte of {y}."])
    body = f"  assign {y} = {{" + ", ".join(f"{a}[{8 * i + 7}:{8 * i}]" for i in range(nb)) + "};"
    return make(rng, "byte_swap", ["comb", "vector"], ports, beh, body)


@family("replicate_extend", "comb", "vector")
def replicate_extend(rng):
    mode = pick(rng, ["sext", "zext", "repl", "sext_cat"])
    a, y = pick(rng, VEC_IN), pick(rng, OUT_NAMES)
    if mode == "sext":
        wi = pick(rng, [4, 6, 8, 12, 16]); wo = wi * pick(rng, [2, 4]) if wi <= 8 else 32
        ports = [Port("input", a, wi), Port("output", y, wo)]
        beh = pick(rng, [f"Sign-extend the {wi}-bit two's complement value {a} to {wo} bits.",
                         f"{y} is {a} widened to {wo} bits with the sign bit {a}[{wi - 1}] copied into every new upper bit."])
        body = f"  assign {y} = {{{{{wo - wi}{{{a}[{wi - 1}]}}}}, {a}}};"
        if rng.random() < 0.4:
            body = f"  assign {y} = $signed({a});"
    elif mode == "zext":
        wi = pick(rng, [3, 4, 5, 8]); wo = pick(rng, [8, 16]) if wi < 8 else 16
        ports = [Port("input", a, wi), Port("output", y, wo)]
        beh = f"Zero-extend {a} ({wi} bits) to {wo} bits: the low bits of {y} equal {a}, the rest are 0."
        body = f"  assign {y} = {{{wo - wi}'d0, {a}}};"
    elif mode == "repl":
        wi = pick(rng, [1, 2, 3, 4]); k = pick(rng, [2, 3, 4, 8])
        ports = [Port("input", a, wi), Port("output", y, wi * k)]
        beh = f"{y} is {a} repeated {k} times side by side ({wi * k} bits in all)."
        body = f"  assign {y} = {{{k}{{{a}}}}};"
    else:
        wi = pick(rng, [4, 8]); b = "b" if a != "b" else "c"
        ports = [Port("input", a, wi), Port("input", b, wi), Port("output", y, 4 * wi)]
        beh = (f"Form {y} ({4 * wi} bits) as a concatenation, most significant part first: {a} sign-extended to {2 * wi} "
               f"bits, then {b}, then the bitwise inverse of {b}.")
        body = f"  assign {y} = {{{{{wi}{{{a}[{wi - 1}]}}}}, {a}, {b}, ~{b}}};"
    return make(rng, "replicate_extend", ["comb", "vector"], ports, beh, body)


@family("reduce_parity", "comb", "vector")
def reduce_parity(rng):
    w = pick(rng, [3, 4, 5, 8, 9, 16, 32])
    a = pick(rng, VEC_IN)
    ops = rng.sample(["and", "or", "xor", "even", "nand", "nor"], rng.randint(1, 3))
    outs = {"and": "all_ones", "or": "any_one", "xor": "parity", "even": "even_par", "nand": "not_all", "nor": "none_set"}
    text = {"and": "1 when every bit of {a} is 1", "or": "1 when at least one bit of {a} is 1",
            "xor": "odd parity bit: XOR of all bits of {a}", "even": "1 when {a} holds an even number of ones",
            "nand": "0 only when all bits of {a} are 1", "nor": "1 only when {a} is all zeros"}
    expr = {"and": "&{a}", "or": "|{a}", "xor": "^{a}", "even": "~^{a}", "nand": "~&{a}", "nor": "~|{a}"}
    ports = [Port("input", a, w)] + [Port("output", outs[o]) for o in ops]
    beh = pick(rng, ["Reduction outputs:", "Each output summarises all bits of the input:"]) + "\n" + bullets(
        rng, [f"{outs[o]}: " + text[o].format(a=a) for o in ops])
    if rng.random() < 0.6:
        body = "\n".join(f"  assign {outs[o]} = {expr[o].format(a=a)};" for o in ops)
    else:
        for p in ports[1:]:
            p.proc = True
        body = "  always @(*) begin\n" + "\n".join(f"    {outs[o]} = {expr[o].format(a=a)};" for o in ops) + "\n  end"
    return make(rng, "reduce_parity", ["comb", "vector", "parity"], ports, beh, body)


@family("popcount", "comb", "vector")
def popcount(rng):
    w = pick(rng, [3, 4, 5, 7, 8, 12, 16, 31, 32])
    ow = w.bit_length()
    a, y = pick(rng, VEC_IN), pick(rng, ["count", "ones", "pop", "weight", "y"])
    ports = [Port("input", a, w), Port("output", y, ow, proc=True)]
    beh = pick(rng, [f"{y} is the number of 1 bits in {a} (population count).",
                     f"Count how many bits of the {w}-bit input {a} are set and output that count on {y}."])
    if rng.random() < 0.7:
        body = (f"  integer i;\n  always @(*) begin\n    {y} = {ow}'d0;\n    for (i = 0; i < {w}; i = i + 1)\n"
                f"      {y} = {y} + {{{{{ow - 1}{{1'b0}}}}, {a}[i]}};\n  end") if ow > 1 else \
            f"  always @(*) {y} = {a};"
    else:
        ports[1].proc = False
        body = f"  assign {y} = " + " + ".join(f"{{{ow - 1}'d0, {a}[{i}]}}" for i in range(w)) + ";"
    return make(rng, "popcount", ["comb", "vector"], ports, beh, body)


@family("zero_count", "comb", "vector")
def zero_count(rng):
    w = pick(rng, [4, 8, 16])
    ow = w.bit_length()
    a = pick(rng, VEC_IN)
    mode = pick(rng, ["lzc", "tzc", "first_one_lsb", "first_one_msb"])
    y = {"lzc": "lz", "tzc": "tz", "first_one_lsb": "pos", "first_one_msb": "pos"}[mode]
    if rng.random() < 0.4:
        y = pick(rng, ["count", "idx", "y"]) if mode in ("lzc", "tzc") else pick(rng, ["index", "where", "y"])
    if mode == "lzc":
        beh = (f"{y} counts the leading zeros of {a}: the number of 0 bits above the most significant 1. When {a} is "
               f"zero, {y} = {w}.")
        loop = f"    {y} = {ow}'d{w};\n    for (i = 0; i < {w}; i = i + 1)\n      if ({a}[i]) {y} = {w - 1} - i;"
        ports = [Port("input", a, w), Port("output", y, ow, proc=True)]
    elif mode == "tzc":
        beh = f"{y} is the count of trailing zeros of {a} (zeros below the lowest 1 bit); {y} = {w} when {a} has no 1 bit."
        loop = f"    {y} = {ow}'d{w};\n    for (i = {w - 1}; i >= 0; i = i - 1)\n      if ({a}[i]) {y} = i[{ow - 1}:0];"
        ports = [Port("input", a, w), Port("output", y, ow, proc=True)]
    else:
        lsb = mode == "first_one_lsb"
        owp = (w - 1).bit_length()
        beh = (f"{y} gives the bit index of the {'lowest' if lsb else 'highest'} set bit of {a}, and the flag `found` "
               f"tells whether any bit is set. With {a} = 0, {y} is 0 and found is 0.")
        if lsb:
            loop = f"    {y} = {owp}'d0;\n    for (i = {w - 1}; i >= 0; i = i - 1)\n      if ({a}[i]) {y} = i[{owp - 1}:0];"
        else:
            loop = f"    {y} = {owp}'d0;\n    for (i = 0; i < {w}; i = i + 1)\n      if ({a}[i]) {y} = i[{owp - 1}:0];"
        ports = [Port("input", a, w), Port("output", y, owp, proc=True), Port("output", "found", 1)]
        loop += ""
        body = f"  integer i;\n  always @(*) begin\n{loop}\n  end\n  assign found = |{a};"
        return make(rng, "zero_count", ["comb", "vector"], ports, beh, body)
    body = f"  integer i;\n  always @(*) begin\n{loop}\n  end"
    return make(rng, "zero_count", ["comb", "vector"], ports, beh, body)


@family("onehot_check", "comb", "vector")
def onehot_check(rng):
    w = pick(rng, [3, 4, 6, 8, 16])
    a = pick(rng, VEC_IN)
    checks = rng.sample(["onehot", "zero", "onehot0", "allones", "pow2"], rng.randint(1, 3))
    desc = {"onehot": f"is_onehot: exactly one bit of {a} is set",
            "zero": f"is_zero: {a} equals 0",
            "onehot0": f"at_most_one: no more than one bit of {a} is set (zero counts)",
            "allones": f"is_full: every bit of {a} is 1",
            "pow2": f"is_pow2: {a} is a nonzero power of two (the same as exactly one set bit)"}
    names = {k: v.split(":")[0] for k, v in desc.items()}
    expr = {"onehot": f"({a} != 0) && (({a} & ({a} - 1'b1)) == 0)", "zero": f"({a} == {w}'d0)",
            "onehot0": f"(({a} & ({a} - 1'b1)) == 0)", "allones": f"&{a}",
            "pow2": f"(|{a}) & ~(|({a} & ({a} - 1'b1)))"}
    ports = [Port("input", a, w)] + [Port("output", names[c]) for c in checks]
    beh = "Flag outputs derived from the input vector:\n" + bullets(rng, [desc[c] for c in checks])
    body = "\n".join(f"  assign {names[c]} = {expr[c]};" for c in checks)
    return make(rng, "onehot_check", ["comb", "vector"], ports, beh, body)


@family("field_split", "comb", "vector")
def field_split(rng):
    w = pick(rng, [8, 12, 16, 24, 32])
    a = pick(rng, VEC_IN)
    cuts = sorted(rng.sample(range(1, w), rng.randint(1, 3)))
    bounds = [0] + cuts + [w]
    fields = []
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1] - 1
        fields.append((f"f{i}" if rng.random() < 0.5 else f"part{i}", lo, hi))
    ports = [Port("input", a, w)] + [Port("output", n, hi - lo + 1) for n, lo, hi in fields]
    beh = f"Split {a} into fields:\n" + bullets(rng, [f"{n} = {a}[{hi}:{lo}]" if hi > lo else f"{n} = bit {lo} of {a}" for n, lo, hi in fields])
    if rng.random() < 0.5:
        body = "\n".join(f"  assign {n} = {a}[{hi}:{lo}];" if hi > lo else f"  assign {n} = {a}[{lo}];" for n, lo, hi in fields)
    else:
        body = "  assign {" + ", ".join(n for n, _, _ in reversed(fields)) + f"}} = {a};"
    return make(rng, "field_split", ["comb", "vector"], ports, beh, body)


@family("vector_bitwise", "comb", "vector")
def vector_bitwise(rng):
    w = pick(rng, [2, 3, 4, 8])
    a, b = pick(rng, [("a", "b"), ("x", "y"), ("p", "q")])
    outs = rng.sample(["or_bits", "or_logic", "not_a", "not_b", "and_bits", "xor_bits", "swap_cat"], rng.randint(2, 4))
    d = {"or_bits": (w, f"{a} | {b}", f"bitwise OR of {a} and {b}"),
         "or_logic": (1, f"({a} != 0) || ({b} != 0)", f"logical OR: 1 when either {a} or {b} is nonzero"),
         "not_a": (w, f"~{a}", f"{a} inverted"), "not_b": (w, f"~{b}", f"{b} inverted"),
         "and_bits": (w, f"{a} & {b}", f"bitwise AND"), "xor_bits": (w, f"{a} ^ {b}", f"bitwise XOR"),
         "swap_cat": (2 * w, f"{{{b}, {a}}}", f"{b} in the upper half and {a} in the lower half")}
    ports = [Port("input", a, w), Port("input", b, w)] + [Port("output", o, d[o][0]) for o in outs]
    beh = pick(rng, ["Outputs:", "Compute in parallel:"]) + "\n" + bullets(rng, [f"{o}: {d[o][2]}" for o in outs])
    body = "\n".join(f"  assign {o} = {d[o][1]};" for o in outs)
    return make(rng, "vector_bitwise", ["comb", "vector"], ports, beh, body)
