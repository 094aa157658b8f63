"""More families: JK/T flip-flops, countdown and watchdog timers, PWM, (de)serialisers, debouncers,
gray counters, ROM tables, serial CRC, thermometer codes, one-hot next-state logic, bit
interleaving, and a structural ripple-carry adder (the only family with a submodule)."""

from __future__ import annotations

from data_pipeline.procedural.common import (OUT_NAMES, VEC_IN, Port, bullets, clk_port, family, lit, make, pick,
                                             reset_phrase, reset_pick, reset_port)
from data_pipeline.procedural.sequential import seq


@family("jk_t_ff", "seq", "register")
def jk_t_ff(rng):
    kind = pick(rng, ["jk", "t", "sr"])
    rst = reset_pick(rng) if rng.random() < 0.7 else None
    ports = [clk_port(rng)] + ([reset_port(*rst)] if rst else [])
    if kind == "jk":
        ports += [Port("input", "j", 1), Port("input", "k", 1), Port("output", "q", 1, proc=True)]
        beh = "A JK flip-flop on the rising clock edge:\n" + bullets(rng, ["j=0, k=0: q holds", "j=0, k=1: q becomes 0",
                                                                          "j=1, k=0: q becomes 1", "j=1, k=1: q toggles"])
        st = ["case ({j, k})", "  2'b00: q <= q;", "  2'b01: q <= 1'b0;", "  2'b10: q <= 1'b1;", "  2'b11: q <= ~q;", "endcase"]
        if rng.random() < 0.5:
            st = ["q <= (j & ~q) | (~k & q);"]
    elif kind == "t":
        ports += [Port("input", "t", 1, "toggle"), Port("output", "q", 1, proc=True)]
        beh = "A T flip-flop: at each rising clock edge q inverts when t is 1 and holds when t is 0."
        st = ["if (t) q <= ~q;"] if rng.random() < 0.5 else ["q <= q ^ t;"]
    else:
        prio = pick(rng, ["set", "reset"])
        ports += [Port("input", "s", 1, "set"), Port("input", "r", 1, "reset request (synchronous)"), Port("output", "q", 1, proc=True)]
        beh = (f"A clocked SR flip-flop: at a rising edge s = 1 makes q 1, r = 1 makes q 0, neither holds q; when both are 1 the "
               f"{prio} input wins.")
        st = (["if (s) q <= 1'b1;", "else if (r) q <= 1'b0;"] if prio == "set" else ["if (r) q <= 1'b0;", "else if (s) q <= 1'b1;"])
    if rst:
        beh += " " + reset_phrase(*rst, rng, "q is 0")
    return make(rng, "jk_t_ff", ["seq", "register"], ports, beh, seq(rst, ["q <= 1'b0;"], st))


@family("countdown_timer", "seq", "timer")
def countdown_timer(rng):
    w = pick(rng, [4, 6, 8, 10])
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "load", 1), Port("input", "value", w, "start value"),
             Port("output", "remaining", w, proc=True), Port("output", "done", 1)]
    beh = (f"A countdown timer. At a rising clock edge with load = 1, remaining takes value. Otherwise, while remaining is not 0, it "
           f"decreases by one per clock edge and stops at 0. done is 1 whenever remaining is 0. "
           + reset_phrase(*rst, rng, "remaining is 0"))
    body = seq(rst, [f"remaining <= {w}'d0;"], ["if (load)", "  remaining <= value;", f"else if (remaining != {w}'d0)",
                                               "  remaining <= remaining - 1'b1;"]) + f"\n  assign done = (remaining == {w}'d0);"
    return make(rng, "countdown_timer", ["seq", "timer"], ports, beh, body)


@family("watchdog", "seq", "timer")
def watchdog(rng):
    n = rng.randint(3, 40)
    w = n.bit_length()
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "kick", 1, "service the watchdog"), Port("output", "bark", 1)]
    beh = (f"Watchdog: an internal counter increments at every rising clock edge and is cleared to 0 at an edge where kick is 1. "
           f"The counter stops at {n} (it never goes past it). bark is 1 while the counter equals {n}, i.e. after {n} edges in a row "
           f"without a kick. " + reset_phrase(*rst, rng, "the counter is 0"))
    body = (f"  reg [{w - 1}:0] cnt;\n" + seq(rst, [f"cnt <= {w}'d0;"], ["if (kick)", f"  cnt <= {w}'d0;", f"else if (cnt != {w}'d{n})",
                                                                      "  cnt <= cnt + 1'b1;"]) + f"\n  assign bark = (cnt == {w}'d{n});")
    return make(rng, "watchdog", ["seq", "timer"], ports, beh, body)


@family("pwm", "seq", "timer")
def pwm(rng):
    w = pick(rng, [3, 4, 6, 8])
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "duty", w), Port("output", "pwm_out", 1)]
    beh = (f"PWM generator: a free-running {w}-bit counter increments at every rising clock edge (wrapping after {(1 << w) - 1}). "
           f"pwm_out is 1 while the counter is less than duty (so duty = 0 keeps it low). " + reset_phrase(*rst, rng, "the counter is 0"))
    body = f"  reg [{w - 1}:0] cnt;\n" + seq(rst, [f"cnt <= {w}'d0;"], ["cnt <= cnt + 1'b1;"]) + "\n  assign pwm_out = (cnt < duty);"
    return make(rng, "pwm", ["seq", "timer"], ports, beh, body)


@family("deserializer", "seq", "shift-register")
def deserializer(rng):
    w = pick(rng, [4, 8])
    rst = reset_pick(rng)
    msb_first = rng.random() < 0.5
    cw = w.bit_length() - 1 if w & (w - 1) == 0 else w.bit_length()
    ports = [clk_port(rng), reset_port(*rst), Port("input", "in_valid", 1), Port("input", "in_bit", 1),
             Port("output", "data", w, proc=True), Port("output", "out_valid", 1, proc=True)]
    beh = (f"Deserializer: at each rising clock edge with in_valid = 1 take in_bit as the next bit of a {w}-bit word, "
           f"{'most significant bit first' if msb_first else 'least significant bit first'}. After the {w}th accepted bit, data "
           f"shows the full word and out_valid is 1 for that one cycle (data holds until the next word completes). "
           + reset_phrase(*rst, rng, "no bits are pending, out_valid is 0 and data is 0"))
    sh = f"sr <= {{sr[{w - 2}:0], in_bit}};" if msb_first else f"sr <= {{in_bit, sr[{w - 1}:1]}};"
    full = f"{{sr[{w - 2}:0], in_bit}}" if msb_first else f"{{in_bit, sr[{w - 1}:1]}}"
    body = (f"  reg [{w - 1}:0] sr;\n  reg [{cw - 1}:0] cnt;\n" +
            seq(rst, [f"sr <= {w}'d0;", f"cnt <= {cw}'d0;", f"data <= {w}'d0;", "out_valid <= 1'b0;"],
                ["out_valid <= 1'b0;", "if (in_valid) begin", f"  {sh}", f"  if (cnt == {cw}'d{w - 1}) begin", f"    cnt <= {cw}'d0;",
                 f"    data <= {full};", "    out_valid <= 1'b1;", "  end else begin", "    cnt <= cnt + 1'b1;", "  end", "end"]))
    return make(rng, "deserializer", ["seq", "shift-register"], ports, beh, body)


@family("debouncer", "seq", "timer")
def debouncer(rng):
    n = rng.randint(2, 12)
    w = n.bit_length()
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "noisy", 1), Port("output", "clean", 1, proc=True)]
    beh = (f"Debouncer: clean follows noisy only after noisy has differed from clean at {n} consecutive rising clock edges; any edge "
           f"where noisy equals clean restarts the count. On the {n}th differing edge clean takes the new value and the count restarts. "
           + reset_phrase(*rst, rng, "clean is 0 and the count is 0"))
    body = (f"  reg [{w - 1}:0] cnt;\n" +
            seq(rst, ["clean <= 1'b0;", f"cnt <= {w}'d0;"],
                ["if (noisy == clean)", f"  cnt <= {w}'d0;", f"else if (cnt == {w}'d{n - 1}) begin", "  clean <= noisy;",
                 f"  cnt <= {w}'d0;", "end else", "  cnt <= cnt + 1'b1;"]))
    return make(rng, "debouncer", ["seq", "timer"], ports, beh, body)


@family("gray_counter", "seq", "counter")
def gray_counter(rng):
    w = pick(rng, [3, 4, 5, 8])
    rst = reset_pick(rng)
    en = rng.random() < 0.5
    ports = [clk_port(rng), reset_port(*rst)] + ([Port("input", "en", 1)] if en else []) + [Port("output", "gray", w)]
    beh = (f"A {w}-bit counter whose output is Gray coded: an internal binary counter increments at each rising clock edge"
           + (" with en = 1" if en else "") + f" and gray = bin ^ (bin >> 1). " + reset_phrase(*rst, rng, "the count is 0"))
    body = (f"  reg [{w - 1}:0] bin;\n" + seq(rst, [f"bin <= {w}'d0;"], ["if (en) bin <= bin + 1'b1;" if en else "bin <= bin + 1'b1;"])
            + "\n  assign gray = bin ^ (bin >> 1);")
    return make(rng, "gray_counter", ["seq", "counter"], ports, beh, body)


@family("rom_table", "comb", "memory")
def rom_table(rng):
    aw = pick(rng, [2, 3, 4])
    w = pick(rng, [4, 8, 12])
    vals = [rng.randrange(1 << w) for _ in range(1 << aw)]
    base = pick(rng, ["h", "d"])
    ports = [Port("input", "addr", aw), Port("output", "data", w, proc=rng.random() < 0.7)]
    table = ", ".join(f"{i}: {lit(w, v, None, base)}" for i, v in enumerate(vals))
    beh = pick(rng, [f"A read-only lookup table. data is the constant stored at addr: {table}.",
                     f"Combinational ROM ({1 << aw} words of {w} bits). Contents by address:\n" +
                     "\n".join(f"  {i} -> {lit(w, v, None, base)}" for i, v in enumerate(vals))])
    if ports[1].proc:
        lines = ["  always @(*) begin", "    case (addr)"] + [f"      {aw}'d{i}: data = {lit(w, v, None, base)};" for i, v in enumerate(vals)]
        lines += [f"      default: data = {w}'d0;", "    endcase", "  end"]
        body = "\n".join(lines)
    else:
        body = f"  wire [{w - 1}:0] rom [0:{(1 << aw) - 1}];\n" + "\n".join(
            f"  assign rom[{i}] = {lit(w, v, None, base)};" for i, v in enumerate(vals)) + "\n  assign data = rom[addr];"
    return make(rng, "rom_table", ["comb", "memory"], ports, beh, body)


_CRCS = [(8, 0x07, "CRC-8 (polynomial x^8 + x^2 + x + 1)"), (5, 0x05, "CRC-5 (x^5 + x^2 + 1)"),
         (4, 0x3, "CRC-4 (x^4 + x + 1)"), (16, 0x1021, "CRC-16-CCITT (x^16 + x^12 + x^5 + 1)")]


@family("crc_serial", "seq", "lfsr")
def crc_serial(rng):
    w, poly, name = pick(rng, _CRCS)
    rst = reset_pick(rng)
    init = pick(rng, [0, (1 << w) - 1])
    ports = [clk_port(rng), reset_port(*rst), Port("input", "en", 1), Port("input", "din", 1, "one message bit per clock"),
             Port("output", "crc", w, proc=True)]
    beh = (f"Serial {name} register, MSB first. At each rising clock edge with en = 1: fb = crc[{w - 1}] XOR din; crc shifts left by one "
           f"(a 0 enters at bit 0); then if fb is 1 the register is XORed with the polynomial mask {lit(w, poly, None, 'h')}. "
           + reset_phrase(*rst, rng, f"crc is set to {lit(w, init, None, 'h')}"))
    body = (f"  wire fb = crc[{w - 1}] ^ din;\n" +
            seq(rst, [f"crc <= {lit(w, init, None, 'h')};"],
                ["if (en)", f"  crc <= {{crc[{w - 2}:0], 1'b0}} ^ (fb ? {lit(w, poly, None, 'h')} : {w}'d0);"]))
    return make(rng, "crc_serial", ["seq", "lfsr"], ports, beh, body)


@family("thermometer", "comb", "conversion")
def thermometer(rng):
    n = pick(rng, [3, 4, 7, 8, 15])
    iw = n.bit_length()
    to_therm = rng.random() < 0.6
    if to_therm:
        ports = [Port("input", "level", iw), Port("output", "therm", n, proc=True)]
        beh = (f"Thermometer encoder: therm has its lowest `level` bits set to 1 and the rest 0 (level = 0 gives all zeros; any level "
               f"of {n} or more sets all {n} bits).")
        body = f"  integer i;\n  always @(*) begin\n    for (i = 0; i < {n}; i = i + 1)\n      therm[i] = (i < level);\n  end"
    else:
        ports = [Port("input", "therm", n), Port("output", "level", iw, proc=True)]
        beh = f"Count the 1 bits of the thermometer code therm (assume the ones are contiguous from bit 0) and output the count as level."
        body = (f"  integer i;\n  always @(*) begin\n    level = {iw}'d0;\n    for (i = 0; i < {n}; i = i + 1)\n"
                f"      if (therm[i]) level = level + 1'b1;\n  end")
    return make(rng, "thermometer", ["comb", "conversion"], ports, beh, body)


@family("onehot_next_state", "comb", "fsm")
def onehot_next_state(rng):
    k = rng.randint(3, 6)
    nxt = [[rng.randrange(k) for _ in range(2)] for _ in range(k)]
    outs = [rng.randint(0, 1) for _ in range(k)]
    if len(set(outs)) == 1:
        outs[0] ^= 1
    x = pick(rng, ["x", "in", "w"])
    ports = [Port("input", x, 1), Port("input", "state", k, "one-hot current state"), Port("output", "next_state", k),
             Port("output", "out", 1)]
    tr = [f"state {s}: {x}=0 -> state {nxt[s][0]}, {x}=1 -> state {nxt[s][1]}; out = {outs[s]}" for s in range(k)]
    beh = (f"Only the combinational logic of a {k}-state machine with one-hot encoding (state[i] = 1 means state i). Derive each "
           f"next_state bit and the Moore output out directly from the one-hot bits (assume state is a valid one-hot code):\n" + bullets(rng, tr))
    lines = []
    for t in range(k):
        merged = []
        for s in range(k):
            if nxt[s][0] == t and nxt[s][1] == t:
                merged.append(f"state[{s}]")
            else:
                merged += [f"(state[{s}] & {'~' if b == 0 else ''}{x})" for b in (0, 1) if nxt[s][b] == t]
        lines.append(f"  assign next_state[{t}] = " + (" | ".join(merged) if merged else "1'b0") + ";")
    ones = [f"state[{s}]" for s in range(k) if outs[s]]
    lines.append("  assign out = " + " | ".join(ones) + ";")
    return make(rng, "onehot_next_state", ["comb", "fsm"], ports, beh, "\n".join(lines))


@family("bit_interleave", "comb", "vector")
def bit_interleave(rng):
    w = pick(rng, [2, 4, 8])
    mode = pick(rng, ["interleave", "even_odd", "nibble_swap"])
    if mode == "interleave":
        ports = [Port("input", "a", w), Port("input", "b", w), Port("output", "y", 2 * w)]
        beh = f"Interleave the bits of a and b: y[2*i] = a[i] and y[2*i+1] = b[i] for every i from 0 to {w - 1}."
        body = "  assign y = {" + ", ".join(f"b[{i}], a[{i}]" for i in range(w - 1, -1, -1)) + "};"
    elif mode == "even_odd":
        ports = [Port("input", "x", 2 * w), Port("output", "even", w), Port("output", "odd", w)]
        beh = f"Split x into its even-numbered bits (even[i] = x[2*i]) and odd-numbered bits (odd[i] = x[2*i+1])."
        body = ("  genvar i;\n  generate\n" + f"    for (i = 0; i < {w}; i = i + 1) begin : g_split\n"
                "      assign even[i] = x[2*i];\n      assign odd[i] = x[2*i+1];\n    end\n  endgenerate")
    else:
        nb = pick(rng, [1, 2, 4])
        ports = [Port("input", "x", 8 * nb), Port("output", "y", 8 * nb)]
        beh = "y is x with the two 4-bit halves of every byte exchanged (high nibble and low nibble swap places)."
        body = "  assign y = {" + ", ".join(f"x[{8 * i + 3}:{8 * i}], x[{8 * i + 7}:{8 * i + 4}]" for i in range(nb - 1, -1, -1)) + "};"
    return make(rng, "bit_interleave", ["comb", "vector"], ports, beh, body)


@family("ripple_adder", "comb", "arith", "hier")
def ripple_adder(rng):
    w = pick(rng, [2, 3, 4, 8, 16])
    sub = pick(rng, ["full_adder", "fa_cell", "add1"])
    cin = rng.random() < 0.5
    ports = [Port("input", "a", w), Port("input", "b", w)] + ([Port("input", "cin", 1)] if cin else []) + \
        [Port("output", "sum", w), Port("output", "cout", 1)]
    beh = (f"Ripple-carry adder built from {w} one-bit full adders: write a submodule `{sub}` (inputs a, b, ci; outputs s, co) and "
           f"chain {w} instances in TopModule, carry flowing from bit 0 upward. {{cout, sum}} = a + b" + (" + cin." if cin else "."))
    c0 = "cin" if cin else "1'b0"
    gen = (f"  wire [{w}:0] c;\n  assign c[0] = {c0};\n  genvar i;\n  generate\n"
           f"    for (i = 0; i < {w}; i = i + 1) begin : g_bit\n      {sub} u_fa (.a(a[i]), .b(b[i]), .ci(c[i]), .s(sum[i]), .co(c[i+1]));\n"
           f"    end\n  endgenerate\n  assign cout = c[{w}];")
    d = make(rng, "ripple_adder", ["comb", "arith", "hier"], ports, beh, gen)
    cell = (f"\nmodule {sub} (input a, input b, input ci, output s, output co);\n  assign s = a ^ b ^ ci;\n"
            f"  assign co = (a & b) | (ci & (a ^ b));\nendmodule\n")
    d.code += cell
    d.body += cell
    return d
