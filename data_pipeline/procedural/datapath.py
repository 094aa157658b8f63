"""Families: multiplexers, decoders, encoders, priority encoders, comparators, adders,
subtractors, carry/overflow, small ALUs, shifters/rotators, gray and BCD conversions, min/max."""

from __future__ import annotations

from data_pipeline.procedural.common import OUT_NAMES, VEC_IN, Port, bullets, family, lit, make, pick


@family("mux", "comb", "mux")
def mux(rng):
    n = pick(rng, [2, 2, 3, 4, 4, 5, 8])
    sw = max(1, (n - 1).bit_length())
    w = pick(rng, [1, 1, 4, 8, 16])
    pre = pick(rng, ["in", "d", "ch", "src"])
    ins = [f"{pre}{i}" for i in range(n)]
    sel, y = pick(rng, ["sel", "s", "select", "addr"]), pick(rng, OUT_NAMES)
    default = pick(rng, ["zero", "ones", "last"]) if n < (1 << sw) else None
    ports = [Port("input", x, w) for x in ins] + [Port("input", sel, sw, "selects which input passes"), Port("output", y, w)]
    beh = f"A {n}-to-1 multiplexer: {y} equals {pre}K when {sel} = K."
    if default:
        dv = {"zero": "all zeros", "ones": "all ones", "last": f"{ins[-1]}"}[default]
        beh += f" For values of {sel} with no matching input ({n} to {(1 << sw) - 1}), {y} is {dv}."
    dexpr = {"zero": f"{w}'d0" if w > 1 else "1'b0", "ones": f"{{{w}{{1'b1}}}}", "last": ins[-1], None: ins[-1]}[default]
    r = rng.random()
    if n == 2 and r < 0.5:
        body = f"  assign {y} = {sel} ? {ins[1]} : {ins[0]};"
    elif r < 0.6:
        ports[-1].proc = True
        lines = ["  always @(*) begin", f"    case ({sel})"]
        lines += [f"      {sw}'d{i}: {y} = {x};" for i, x in enumerate(ins)]
        lines += [f"      default: {y} = {dexpr};", "    endcase", "  end"]
        body = "\n".join(lines)
    else:
        ports[-1].proc = True
        lines = ["  always @(*) begin", f"    {y} = {dexpr};"]
        for i, x in enumerate(ins):
            lines.append(f"    {'if' if i == 0 else 'else if'} ({sel} == {sw}'d{i}) {y} = {x};")
        lines.append("  end")
        body = "\n".join(lines)
    return make(rng, "mux", ["comb", "mux"], ports, beh, body)


@family("mux_packed", "comb", "mux")
def mux_packed(rng):
    w = pick(rng, [1, 2, 4, 8])
    n = pick(rng, [4, 8, 16, 32])
    sw = (n - 1).bit_length()
    a, sel, y = pick(rng, ["in", "bus", "data"]), pick(rng, ["sel", "idx"]), pick(rng, OUT_NAMES)
    ports = [Port("input", a, w * n, f"{n} packed fields of {w} bit(s)"), Port("input", sel, sw), Port("output", y, w)]
    beh = (f"{a} packs {n} items of {w} bit(s): item 0 in {a}[{w - 1}:0], item 1 next above it, and so on. "
           f"{y} is the item selected by {sel}.")
    if w == 1:
        body = f"  assign {y} = {a}[{sel}];"
    elif rng.random() < 0.5:
        body = f"  assign {y} = {a}[{sel} * {w} +: {w}];"
    else:
        body = f"  assign {y} = {a} >> ({sel} * {w});"
    return make(rng, "mux_packed", ["comb", "mux"], ports, beh, body)


@family("decoder", "comb", "decoder")
def decoder(rng):
    n = pick(rng, [1, 2, 3, 4])
    a, y = pick(rng, ["in", "addr", "code", "sel"]), pick(rng, ["y", "out", "dec", "onehot"])
    en = rng.random() < 0.5
    low = rng.random() < 0.25
    ports = [Port("input", a, n)] + ([Port("input", "en", 1, "enable")] if en else []) + [Port("output", y, 1 << n)]
    beh = f"A {n}-to-{1 << n} decoder: bit {y}[{a}] is the only {'low' if low else 'high'} output bit."
    if en:
        beh += f" When en is 0 every output bit is {'1' if low else '0'}."
    if low:
        beh += " Outputs are active low."
    expr = f"({(1 << n)}'d1 << {a})"
    if en:
        expr = f"(en ? {expr} : {(1 << n)}'d0)"
    if rng.random() < 0.5:
        body = f"  assign {y} = {'~' if low else ''}{expr};"
    else:
        ports[-1].proc = True
        lines = ["  always @(*) begin", f"    {y} = {1 << n}'d0;"]
        lines.append(f"    {'if (en) ' if en else ''}{y}[{a}] = 1'b1;")
        if low:
            lines.append(f"    {y} = ~{y};")
        lines.append("  end")
        body = "\n".join(lines)
    return make(rng, "decoder", ["comb", "decoder"], ports, beh, body)


@family("priority_encoder", "comb", "encoder")
def priority_encoder(rng):
    w = pick(rng, [3, 4, 5, 8, 16])
    ow = (w - 1).bit_length()
    a, y = pick(rng, ["req", "in", "irq", "bits"]), pick(rng, ["pos", "code", "y", "idx"])
    msb = rng.random() < 0.5
    valid = pick(rng, ["valid", "any", "hit"])
    ports = [Port("input", a, w), Port("output", y, ow, proc=True), Port("output", valid)]
    beh = (f"Priority encoder: {y} is the index of the {'highest' if msb else 'lowest'}-numbered set bit of {a} "
           f"(bit {w - 1 if msb else 0} has top priority). {valid} is 1 when any bit is set; with no bit set {y} = 0.")
    if rng.random() < 0.5 or w > 5:
        rng_ = f"i = 0; i < {w}; i = i + 1" if msb else f"i = {w - 1}; i >= 0; i = i - 1"
        body = (f"  integer i;\n  always @(*) begin\n    {y} = {ow}'d0;\n    for ({rng_})\n      if ({a}[i]) {y} = i[{ow - 1}:0];\n  end\n"
                f"  assign {valid} = |{a};")
    else:
        lines = ["  always @(*) begin", f"    casez ({a})"]
        order = range(w - 1, -1, -1) if msb else range(w)
        for i in order:
            pat = "".join("1" if j == i else ("?" if (j < i if msb else j > i) else "0") for j in range(w - 1, -1, -1))
            lines.append(f"      {w}'b{pat}: {y} = {ow}'d{i};")
        lines += [f"      default: {y} = {ow}'d0;", "    endcase", "  end", f"  assign {valid} = |{a};"]
        body = "\n".join(lines)
    return make(rng, "priority_encoder", ["comb", "encoder"], ports, beh, body)


@family("onehot_to_bin", "comb", "encoder")
def onehot_to_bin(rng):
    w = pick(rng, [4, 8, 16])
    ow = (w - 1).bit_length()
    a, y = pick(rng, ["onehot", "in", "grant"]), pick(rng, ["bin", "idx", "y"])
    ports = [Port("input", a, w, "one-hot code"), Port("output", y, ow, proc=True)]
    beh = (f"Convert the one-hot vector {a} to its binary index: if only bit k is set, {y} = k. For inputs that are not "
           f"one-hot, {y} is the bitwise OR of the indices of all set bits.")
    body = (f"  integer i;\n  always @(*) begin\n    {y} = {ow}'d0;\n    for (i = 0; i < {w}; i = i + 1)\n"
            f"      if ({a}[i]) {y} = {y} | i[{ow - 1}:0];\n  end")
    return make(rng, "onehot_to_bin", ["comb", "encoder"], ports, beh, body)


@family("comparator", "comb", "compare")
def comparator(rng):
    w = pick(rng, [2, 4, 8, 12, 16])
    a, b = pick(rng, [("a", "b"), ("x1", "x2"), ("lhs", "rhs"), ("p", "q")])
    signed = rng.random() < 0.35
    outs = rng.sample(["eq", "ne", "lt", "gt", "le", "ge"], rng.randint(1, 4))
    ops = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
    words = {"eq": "equal", "ne": "different", "lt": "less than", "gt": "greater than", "le": "at most", "ge": "at least"}
    ports = [Port("input", a, w), Port("input", b, w)] + [Port("output", o) for o in outs]
    kind = "signed (two's complement)" if signed else "unsigned"
    beh = f"Compare {a} and {b} as {kind} numbers:\n" + bullets(rng, [f"{o} = 1 when {a} is {words[o]} {b}" if o not in ("eq", "ne")
                                                                       else f"{o} = 1 when {a} and {b} are {words[o]}" for o in outs])
    A, B = (f"$signed({a})", f"$signed({b})") if signed else (a, b)
    body = "\n".join(f"  assign {o} = ({A} {ops[o]} {B});" for o in outs)
    return make(rng, "comparator", ["comb", "compare"], ports, beh, body)


@family("minmax", "comb", "compare")
def minmax(rng):
    w = pick(rng, [4, 8, 16])
    n = pick(rng, [2, 3, 4])
    names = ["a", "b", "c", "d"][:n]
    y = pick(rng, ["min", "max"])
    out = pick(rng, [f"{y}_val", y + "imum", "result"])
    ports = [Port("input", x, w) for x in names] + [Port("output", out, w, proc=True)]
    beh = f"{out} is the {'smallest' if y == 'min' else 'largest'} of the unsigned inputs {', '.join(names)}."
    cmp = "<" if y == "min" else ">"
    lines = ["  always @(*) begin", f"    {out} = {names[0]};"]
    for x in names[1:]:
        lines.append(f"    if ({x} {cmp} {out}) {out} = {x};")
    lines.append("  end")
    return make(rng, "minmax", ["comb", "compare"], ports, beh, "\n".join(lines))


@family("adder", "comb", "arith")
def adder(rng):
    w = pick(rng, [1, 2, 4, 8, 16, 32])
    a, b = pick(rng, [("a", "b"), ("x1", "x2"), ("op_a", "op_b")])
    cin = rng.random() < 0.5
    cout = rng.random() < 0.7
    ovf = w > 1 and rng.random() < 0.35
    s = pick(rng, ["sum", "s", "y"])
    ports = [Port("input", a, w), Port("input", b, w)] + ([Port("input", "cin", 1, "carry in")] if cin else [])
    ports += [Port("output", s, w)] + ([Port("output", "cout", 1, "carry out")] if cout else [])
    ports += [Port("output", "overflow", 1, "signed overflow")] if ovf else []
    beh = f"Add {a} and {b}" + (" plus the carry input cin" if cin else "") + f"; {s} is the low {w} bit(s) of the result"
    beh += (", cout the carry out of the top bit." if cout else " (any carry out is discarded).")
    if ovf:
        beh += (f" overflow is 1 when the sum, read as two's complement, is wrong: {a} and {b} have the same sign "
                f"and {s} has the other sign.")
    cexpr = " + cin" if cin else ""
    if cout:
        body = f"  assign {{cout, {s}}} = {a} + {b}{cexpr};"
    else:
        body = f"  assign {s} = {a} + {b}{cexpr};"
    if w == 1 and rng.random() < 0.5:
        body = f"  assign {s} = {a} ^ {b}{' ^ cin' if cin else ''};"
        if cout:
            body += f"\n  assign cout = ({a} & {b})" + (f" | (cin & ({a} ^ {b}))" if cin else "") + ";"
    if ovf:
        body += f"\n  assign overflow = ({a}[{w - 1}] == {b}[{w - 1}]) && ({s}[{w - 1}] != {a}[{w - 1}]);"
    return make(rng, "adder", ["comb", "arith"], ports, beh, body)


@family("subtractor", "comb", "arith")
def subtractor(rng):
    w = pick(rng, [4, 8, 16])
    a, b = pick(rng, [("a", "b"), ("minuend", "subtrahend"), ("x1", "x2")])
    d = pick(rng, ["diff", "d", "y"])
    borrow = rng.random() < 0.7
    ports = [Port("input", a, w), Port("input", b, w), Port("output", d, w)] + ([Port("output", "borrow", 1)] if borrow else [])
    beh = f"{d} = {a} - {b} modulo 2^{w}."
    if borrow:
        beh += f" borrow is 1 when {b} is larger than {a} as unsigned numbers."
    if borrow and rng.random() < 0.5:
        body = f"  assign {{borrow, {d}}} = {{1'b0, {a}}} - {{1'b0, {b}}};"
    else:
        body = f"  assign {d} = {a} - {b};" + (f"\n  assign borrow = ({a} < {b});" if borrow else "")
    return make(rng, "subtractor", ["comb", "arith"], ports, beh, body)


@family("addsub", "comb", "arith")
def addsub(rng):
    w = pick(rng, [4, 8, 16])
    a, b = "a", "b"
    m = pick(rng, ["sub", "mode", "op"])
    y = pick(rng, ["y", "result", "out"])
    ports = [Port("input", a, w), Port("input", b, w), Port("input", m, 1, "0 adds, 1 subtracts"), Port("output", y, w)]
    beh = f"When {m} is 0, {y} = {a} + {b}; when {m} is 1, {y} = {a} - {b} (both modulo 2^{w})."
    if rng.random() < 0.5:
        body = f"  assign {y} = {m} ? ({a} - {b}) : ({a} + {b});"
    else:
        body = f"  assign {y} = {a} + ({b} ^ {{{w}{{{m}}}}}) + {{{{{w - 1}{{1'b0}}}}, {m}}};"
    return make(rng, "addsub", ["comb", "arith"], ports, beh, body)


@family("alu", "comb", "arith")
def alu(rng):
    w = pick(rng, [4, 8, 16])
    k = pick(rng, [4, 8])
    opw = (k - 1).bit_length()
    pool = [("{a} + {b}", "sum"), ("{a} - {b}", "difference a minus b"), ("{a} & {b}", "bitwise AND"),
            ("{a} | {b}", "bitwise OR"), ("{a} ^ {b}", "bitwise XOR"), ("~{a}", "a inverted"),
            ("{a} << 1", "a shifted left by one"), ("{a} >> 1", "a shifted right by one (logical)"),
            ("{{{w1}'d0, ({a} < {b})}}", "1 if a < b (unsigned), else 0"), ("{b}", "b passed through"),
            ("~({a} & {b})", "bitwise NAND"), ("{a} + 1'b1", "a plus one")]
    ops = rng.sample(pool, k)
    y = pick(rng, ["y", "result", "alu_out"])
    ports = [Port("input", "a", w), Port("input", "b", w), Port("input", "op", opw, "operation select"),
             Port("output", y, w, proc=True)] + ([Port("output", "zero", 1, "result is zero")] if rng.random() < 0.5 else [])
    beh = f"A small ALU. The operation code op selects {y}:\n" + bullets(rng, [f"op = {i}: {d}" for i, (_, d) in enumerate(ops)])
    if len(ports) == 5:
        beh += f"\nzero is 1 whenever {y} is 0."
    lines = ["  always @(*) begin", "    case (op)"]
    for i, (e, _) in enumerate(ops):
        lines.append(f"      {opw}'d{i}: {y} = " + e.format(a="a", b="b", w1=w - 1) + ";")
    lines += [f"      default: {y} = {w}'d0;", "    endcase", "  end"]
    if len(ports) == 5:
        lines.append(f"  assign zero = ({y} == {w}'d0);")
    return make(rng, "alu", ["comb", "arith"], ports, beh, "\n".join(lines))


@family("shift_const", "comb", "shift")
def shift_const(rng):
    w = pick(rng, [8, 16, 32])
    k = rng.randint(1, w // 2)
    a, y = pick(rng, VEC_IN), pick(rng, OUT_NAMES)
    mode = pick(rng, ["sll", "srl", "sra", "rol", "ror"])
    ports = [Port("input", a, w), Port("output", y, w)]
    desc = {"sll": f"{a} shifted left by {k}, filling with zeros", "srl": f"{a} shifted right by {k} with zero fill",
            "sra": f"{a} shifted right by {k} keeping the sign (arithmetic shift)",
            "rol": f"{a} rotated left by {k} positions", "ror": f"{a} rotated right by {k} positions"}[mode]
    beh = f"{y} is {desc}."
    body = {"sll": f"  assign {y} = {a} << {k};", "srl": f"  assign {y} = {a} >> {k};",
            "sra": f"  assign {y} = $signed({a}) >>> {k};",
            "rol": f"  assign {y} = {{{a}[{w - 1 - k}:0], {a}[{w - 1}:{w - k}]}};",
            "ror": f"  assign {y} = {{{a}[{k - 1}:0], {a}[{w - 1}:{k}]}};"}[mode]
    return make(rng, "shift_const", ["comb", "shift"], ports, beh, body)


@family("barrel_shifter", "comb", "shift")
def barrel_shifter(rng):
    w = pick(rng, [8, 16, 32])
    sw = (w - 1).bit_length()
    a, y, amt = pick(rng, VEC_IN), pick(rng, OUT_NAMES), pick(rng, ["shamt", "amt", "n"])
    modes = rng.sample(["sll", "srl", "sra", "rol", "ror"], rng.randint(1, 3))
    ports = [Port("input", a, w), Port("input", amt, sw, "shift distance")]
    if len(modes) > 1:
        ports.append(Port("input", "mode", (len(modes) - 1).bit_length(), "kind of shift"))
    ports.append(Port("output", y, w, proc=True))
    desc = {"sll": "logical shift left", "srl": "logical shift right", "sra": "arithmetic shift right",
            "rol": "rotate left", "ror": "rotate right"}
    expr = {"sll": f"{a} << {amt}", "srl": f"{a} >> {amt}", "sra": f"$signed({a}) >>> {amt}",
            "rol": f"({a} << {amt}) | ({a} >> ({w} - {amt}))", "ror": f"({a} >> {amt}) | ({a} << ({w} - {amt}))"}
    if "rol" in modes or "ror" in modes:
        expr["rol"] = f"tmp[{2 * w - 1}:{w}]"
        expr["ror"] = f"tmpr[{w - 1}:0]"
    if len(modes) == 1:
        beh = f"{y} is {a} after a {desc[modes[0]]} by {amt} positions (0 to {w - 1})."
    else:
        beh = f"Shift {a} by {amt} bit positions; mode chooses the operation:\n" + bullets(
            rng, [f"mode = {i}: {desc[m]}" for i, m in enumerate(modes)])
        mw = (len(modes) - 1).bit_length()
        if len(modes) < (1 << mw):
            beh += f"\nUnused mode values give {y} = {a}."
    lines = []
    if "rol" in modes:
        lines.append(f"  wire [{2 * w - 1}:0] tmp = {{{a}, {a}}} << {amt};")
    if "ror" in modes:
        lines.append(f"  wire [{2 * w - 1}:0] tmpr = {{{a}, {a}}} >> {amt};")
    lines.append("  always @(*) begin")
    if len(modes) == 1:
        lines.append(f"    {y} = {expr[modes[0]]};")
    else:
        mw = (len(modes) - 1).bit_length()
        lines.append("    case (mode)")
        for i, m in enumerate(modes):
            lines.append(f"      {mw}'d{i}: {y} = {expr[m]};")
        lines.append(f"      default: {y} = {a};")
        lines.append("    endcase")
    lines.append("  end")
    return make(rng, "barrel_shifter", ["comb", "shift"], ports, beh, "\n".join(lines))


@family("gray_code", "comb", "conversion")
def gray_code(rng):
    w = pick(rng, [3, 4, 5, 6, 8])
    to_gray = rng.random() < 0.5
    a, y = ("bin", "gray") if to_gray else ("gray", "bin")
    if rng.random() < 0.3:
        a, y = "in", "out"
    ports = [Port("input", a, w), Port("output", y, w, proc=not to_gray)]
    if to_gray:
        beh = f"Convert the binary number {a} into reflected Gray code on {y}: each output bit is the XOR of the matching input bit and the bit above it; the top bit passes through."
        body = f"  assign {y} = {a} ^ ({a} >> 1);"
    else:
        beh = f"{a} is a reflected Gray code value; output its binary equivalent {y}. Bit i of {y} is the XOR of {a}[{w - 1}] down to {a}[i]."
        body = (f"  integer i;\n  always @(*) begin\n    {y}[{w - 1}] = {a}[{w - 1}];\n    for (i = {w - 2}; i >= 0; i = i - 1)\n"
                f"      {y}[i] = {y}[i + 1] ^ {a}[i];\n  end")
    return make(rng, "gray_code", ["comb", "conversion"], ports, beh, body)


@family("bcd_convert", "comb", "conversion")
def bcd_convert(rng):
    mode = pick(rng, ["bin2bcd", "bcd2bin", "bcd_valid", "seg7"])
    if mode == "bin2bcd":
        w = pick(rng, [4, 5, 6, 7])
        mx = (1 << w) - 1
        nd = len(str(mx))
        ports = [Port("input", "bin", w), Port("output", "bcd", 4 * nd)]
        beh = f"Convert the unsigned value bin (0..{mx}) to {nd} BCD digits on bcd, most significant digit in the top nibble."
        if nd == 2:
            body = f"  wire [3:0] tens = bin / 10;\n  wire [3:0] ones = bin % 10;\n  assign bcd = {{tens, ones}};"
        else:
            body = (f"  wire [3:0] hund = bin / 100;\n  wire [3:0] tens = (bin / 10) % 10;\n  wire [3:0] ones = bin % 10;\n"
                    f"  assign bcd = {{hund, tens, ones}};")
    elif mode == "bcd2bin":
        ports = [Port("input", "bcd", 8, "two BCD digits"), Port("output", "bin", 7)]
        beh = "bcd holds two decimal digits (tens in bcd[7:4], ones in bcd[3:0], each 0-9). Output their value as a binary number bin."
        body = "  assign bin = bcd[7:4] * 4'd10 + bcd[3:0];"
    elif mode == "bcd_valid":
        nd = pick(rng, [1, 2, 3])
        ports = [Port("input", "digits", 4 * nd), Port("output", "valid")]
        beh = f"valid is 1 when every 4-bit nibble of digits is a legal BCD digit (0 to 9)."
        body = "  assign valid = " + " && ".join(f"(digits[{4 * i + 3}:{4 * i}] <= 4'd9)" for i in range(nd)) + ";"
    else:
        segs = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F, 0x77, 0x7C, 0x39, 0x5E, 0x79, 0x71]
        low = rng.random() < 0.4
        hexd = rng.random() < 0.5
        ports = [Port("input", "digit", 4), Port("output", "seg", 7, "segments g..a", proc=True)]
        beh = (f"Seven-segment decoder. seg[0] drives segment a, seg[1] b, ... seg[6] g (the usual a-g labelling, a on top, "
               f"going clockwise, g in the middle). Segments are active {'low' if low else 'high'}. Show digits 0-9"
               + (" and A, b, C, d, E, F for 10-15." if hexd else "; for 10-15 all segments are off."))
        lines = ["  always @(*) begin", "    case (digit)"]
        for i in range(16):
            v = segs[i] if (i < 10 or hexd) else 0
            if low:
                v = ~v & 0x7F
            lines.append(f"      4'd{i}: seg = 7'b{v:07b};")
        lines += ["      default: seg = 7'b0000000;" if not low else "      default: seg = 7'b1111111;", "    endcase", "  end"]
        body = "\n".join(lines)
    return make(rng, "bcd_convert", ["comb", "conversion"], ports, beh, body)


@family("multiplier", "comb", "arith")
def multiplier(rng):
    wa, wb = pick(rng, [2, 3, 4, 8]), pick(rng, [2, 3, 4, 8])
    signed = rng.random() < 0.3
    ports = [Port("input", "a", wa), Port("input", "b", wb), Port("output", "p", wa + wb)]
    beh = f"p is the full {wa + wb}-bit product of {'signed' if signed else 'unsigned'} a and b."
    body = f"  assign p = $signed(a) * $signed(b);" if signed else "  assign p = a * b;"
    return make(rng, "multiplier", ["comb", "arith"], ports, beh, body)


@family("abs_neg", "comb", "arith")
def abs_neg(rng):
    w = pick(rng, [4, 8, 16])
    mode = pick(rng, ["abs", "neg", "sat_add"])
    if mode == "abs":
        ports = [Port("input", "x", w, "two's complement"), Port("output", "mag", w)]
        beh = f"mag is the absolute value of the signed number x (the most negative value maps to itself)."
        body = f"  assign mag = x[{w - 1}] ? (~x + 1'b1) : x;"
    elif mode == "neg":
        ports = [Port("input", "x", w), Port("output", "y", w)]
        beh = f"y = -x in {w}-bit two's complement."
        body = "  assign y = ~x + 1'b1;" if rng.random() < 0.5 else "  assign y = -x;"
    else:
        ports = [Port("input", "a", w), Port("input", "b", w), Port("output", "sum", w)]
        beh = f"Unsigned saturating addition: sum = a + b, but clamp to {(1 << w) - 1} (all ones) when the true sum does not fit in {w} bits."
        body = f"  wire [{w}:0] full = a + b;\n  assign sum = full[{w}] ? {{{w}{{1'b1}}}} : full[{w - 1}:0];"
    return make(rng, "abs_neg", ["comb", "arith"], ports, beh, body)
