"""Families: flip-flops and registers (sync/async/active-low resets, enables, byte enables),
counters (up/down, mod-N, load, saturating, BCD, ring, Johnson), shift registers, LFSRs, edge
detectors, sticky captures, pulse/timer/clock-divider blocks and accumulators."""

from __future__ import annotations

from data_pipeline.procedural.common import (Port, always_ff, bullets, clk_port, family, lit, make, pick, reset_phrase,
                                             reset_pick, reset_port, rst_cond)


def seq(rst, reset_stmts: list[str], stmts: list[str], ind: str = "  ") -> str:
    """One clocked always block; `rst` is (name, kind, high) or None."""
    if rst is None:
        return f"{ind}always @(posedge clk) begin\n" + "\n".join(f"{ind}  {s}" for s in stmts) + f"\n{ind}end"
    name, kind, high = rst
    out = [f"{ind}{always_ff(kind, name, high)} begin", f"{ind}  if ({rst_cond(name, high)}) begin"]
    out += [f"{ind}    {s}" for s in reset_stmts]
    out += [f"{ind}  end else begin"]
    out += [f"{ind}    {s}" for s in stmts]
    out += [f"{ind}  end", f"{ind}end"]
    return "\n".join(out)


def _rst(rng, p_none: float = 0.0):
    return None if rng.random() < p_none else reset_pick(rng)


def _ports_head(rng, rst):
    ps = [clk_port(rng)]
    if rst:
        ps.append(reset_port(*rst))
    return ps


@family("dff", "seq", "register")
def dff(rng):
    w = pick(rng, [1, 1, 4, 8, 16, 32])
    rst = _rst(rng, 0.2)
    en = rng.random() < 0.5
    rv = rng.randrange(1 << w) if rng.random() < 0.3 else 0
    d, q = pick(rng, [("d", "q"), ("din", "dout"), ("data_in", "data_out")])
    ports = _ports_head(rng, rst) + ([Port("input", "en", 1, "load enable")] if en else []) + [Port("input", d, w), Port("output", q, w, proc=True)]
    beh = f"A {'register of ' + str(w) + ' flip-flops' if w > 1 else 'D flip-flop'} clocked on the rising edge of clk. "
    beh += f"{q} takes the value of {d} at each rising edge" + (" where en is 1; when en is 0 it keeps its value." if en else ".")
    if rst:
        beh += " " + reset_phrase(*rst, rng, f"{q} becomes {rv}" if rv else f"{q} is cleared to 0")
    st = [f"if (en) {q} <= {d};" if en else f"{q} <= {d};"]
    body = seq(rst, [f"{q} <= {lit(w, rv, rng)};"], st)
    return make(rng, "dff", ["seq", "register"], ports, beh, body)


@family("byte_enable_reg", "seq", "register")
def byte_enable_reg(rng):
    nb = pick(rng, [2, 4])
    w = 8 * nb
    rst = _rst(rng, 0.3)
    ports = _ports_head(rng, rst) + [Port("input", "be", nb, "byte write enables"), Port("input", "wdata", w),
                                     Port("output", "q", w, proc=True)]
    beh = (f"A {w}-bit register written byte by byte: at a rising clock edge, for each i where be[i] is 1, byte i of q "
           f"(q[8*i+7:8*i]) loads the same byte of wdata; bytes whose enable is 0 hold.")
    if rst:
        beh += " " + reset_phrase(*rst, rng, "q becomes 0")
    if rng.random() < 0.5:
        st = [f"if (be[{i}]) q[{8 * i + 7}:{8 * i}] <= wdata[{8 * i + 7}:{8 * i}];" for i in range(nb)]
        body = seq(rst, [f"q <= {w}'d0;"], st)
    else:
        st = [f"for (i = 0; i < {nb}; i = i + 1)", f"  if (be[i]) q[8*i +: 8] <= wdata[8*i +: 8];"]
        body = "  integer i;\n" + seq(rst, [f"q <= {w}'d0;"], st)
    return make(rng, "byte_enable_reg", ["seq", "register"], ports, beh, body)


@family("counter", "seq", "counter")
def counter(rng):
    w = pick(rng, [3, 4, 5, 8, 10, 16])
    rst = _rst(rng)
    up = pick(rng, ["up", "down", "updown"])
    en = rng.random() < 0.5
    load = rng.random() < 0.35
    q = pick(rng, ["count", "q", "cnt", "value"])
    ports = _ports_head(rng, rst)
    if en:
        ports.append(Port("input", "en", 1, "count enable"))
    if load:
        ports += [Port("input", "load", 1, "synchronous load"), Port("input", "din", w, "value to load")]
    if up == "updown":
        ports.append(Port("input", "up", 1, "1 counts up, 0 counts down"))
    ports.append(Port("output", q, w, proc=True))
    dirw = {"up": "increments", "down": "decrements", "updown": "increments when up is 1 and decrements when up is 0"}[up]
    items = []
    if rst:
        items.append(reset_phrase(*rst, rng, f"{q} goes to 0"))
    if load:
        items.append(f"load = 1 at a clock edge: {q} <= din (this wins over counting)")
    items.append(f"otherwise {q} {dirw} by one at each rising edge" + (" where en is 1" if en else "")
                 + f", wrapping around modulo {1 << w}")
    beh = f"A {w}-bit counter.\n" + bullets(rng, items)
    step = {"up": f"{q} <= {q} + 1'b1;", "down": f"{q} <= {q} - 1'b1;",
            "updown": f"{q} <= up ? {q} + 1'b1 : {q} - 1'b1;"}[up]
    st = []
    if load:
        st.append("if (load)")
        st.append(f"  {q} <= din;")
        st.append(f"else if (en)" if en else "else")
        st.append("  " + step)
    elif en:
        st += ["if (en)", "  " + step]
    else:
        st.append(step)
    body = seq(rst, [f"{q} <= {w}'d0;"], st)
    return make(rng, "counter", ["seq", "counter"], ports, beh, body)


@family("mod_counter", "seq", "counter")
def mod_counter(rng):
    n = rng.randint(3, 60)
    w = (n - 1).bit_length()
    start = rng.randint(0, 1) if n > 4 else 0
    rst = _rst(rng)
    en = rng.random() < 0.4
    tc = rng.random() < 0.6
    ports = _ports_head(rng, rst) + ([Port("input", "en", 1)] if en else []) + [Port("output", "q", w, proc=True)]
    if tc:
        ports.append(Port("output", "wrap", 1, "high while q holds its last value"))
    last = start + n - 1
    w = max(w, last.bit_length())
    ports[-1 - int(tc)].width = w
    beh = (f"Counter that runs {start}, {start + 1}, ..., {last}, then back to {start} (period {n})"
           + (", advancing only on clock edges where en is 1." if en else ", advancing at every rising clock edge."))
    if rst:
        beh += " " + reset_phrase(*rst, rng, f"q returns to {start}")
    if tc:
        beh += f" wrap is 1 whenever q equals {last}."
    step = [f"if (q == {w}'d{last})", f"  q <= {w}'d{start};", "else", "  q <= q + 1'b1;"]
    st = (["if (en) begin"] + ["  " + s for s in step] + ["end"]) if en else step
    body = seq(rst, [f"q <= {w}'d{start};"], st)
    if tc:
        body += f"\n  assign wrap = (q == {w}'d{last});"
    return make(rng, "mod_counter", ["seq", "counter"], ports, beh, body)


@family("sat_counter", "seq", "counter")
def sat_counter(rng):
    w = pick(rng, [2, 3, 4, 8])
    rst = _rst(rng)
    init = rng.randrange(1 << w)
    ports = _ports_head(rng, rst) + [Port("input", "inc", 1), Port("input", "dec", 1), Port("output", "state", w, proc=True)]
    mx = (1 << w) - 1
    beh = (f"A {w}-bit saturating counter. On a rising clock edge: if inc is 1 and dec is 0 it counts up but never past {mx}; "
           f"if dec is 1 and inc is 0 it counts down but never below 0; otherwise it holds.")
    if rst:
        beh += " " + reset_phrase(*rst, rng, f"state becomes {init}")
    st = [f"if (inc && !dec && state != {w}'d{mx})", "  state <= state + 1'b1;",
          f"else if (dec && !inc && state != {w}'d0)", "  state <= state - 1'b1;"]
    body = seq(rst, [f"state <= {w}'d{init};"], st)
    return make(rng, "sat_counter", ["seq", "counter"], ports, beh, body)


@family("bcd_counter", "seq", "counter")
def bcd_counter(rng):
    nd = pick(rng, [1, 2, 3])
    rst = _rst(rng)
    en = rng.random() < 0.5
    ports = _ports_head(rng, rst) + ([Port("input", "en", 1)] if en else []) + [Port("output", "bcd", 4 * nd, proc=True)]
    beh = (f"A decimal counter with {nd} BCD digit(s) (least significant digit in bcd[3:0]), counting 0 to {10 ** nd - 1} and "
           f"wrapping to 0" + (", one step per clock edge with en high." if en else ", one step per rising clock edge."))
    if rst:
        beh += " " + reset_phrase(*rst, rng, "all digits become 0")
    lines = []
    for i in range(nd):
        cond = " && ".join(f"bcd[{4 * j + 3}:{4 * j}] == 4'd9" for j in range(i)) or None
        s = f"bcd[{4 * i + 3}:{4 * i}] <= (bcd[{4 * i + 3}:{4 * i}] == 4'd9) ? 4'd0 : bcd[{4 * i + 3}:{4 * i}] + 4'd1;"
        lines.append(f"if ({cond}) {s}" if cond else s)
    st = (["if (en) begin"] + ["  " + s for s in lines] + ["end"]) if en else lines
    body = seq(rst, [f"bcd <= {4 * nd}'d0;"], st)
    return make(rng, "bcd_counter", ["seq", "counter"], ports, beh, body)


@family("ring_johnson", "seq", "counter")
def ring_johnson(rng):
    w = pick(rng, [3, 4, 5, 6, 8])
    rst = reset_pick(rng)
    john = rng.random() < 0.5
    left = rng.random() < 0.5
    ports = _ports_head(rng, rst) + [Port("output", "q", w, proc=True)]
    if john:
        init = 0
        beh = (f"A {w}-bit Johnson (twisted-ring) counter shifting {'left' if left else 'right'}: each clock edge moves q one place "
               f"{'towards the MSB' if left else 'towards the LSB'} and the vacated bit gets the inverse of the bit that falls out.")
        st = [f"q <= {{q[{w - 2}:0], ~q[{w - 1}]}};" if left else f"q <= {{~q[0], q[{w - 1}:1]}};"]
    else:
        init = 1 if rng.random() < 0.6 else 1 << (w - 1)
        beh = (f"A {w}-bit ring counter: a single 1 circulates, moving one place {'up (towards the MSB)' if left else 'down (towards the LSB)'} "
               f"per rising clock edge and wrapping around at the end.")
        st = [f"q <= {{q[{w - 2}:0], q[{w - 1}]}};" if left else f"q <= {{q[0], q[{w - 1}:1]}};"]
    beh += " " + reset_phrase(*rst, rng, f"q is set to {lit(w, init, None, 'b')}")
    body = seq(rst, [f"q <= {lit(w, init, None, 'b')};"], st)
    return make(rng, "ring_johnson", ["seq", "counter"], ports, beh, body)


@family("shift_register", "seq", "shift-register")
def shift_register(rng):
    w = pick(rng, [4, 8, 16])
    rst = _rst(rng, 0.25)
    mode = pick(rng, ["sipo", "piso", "bidir", "delay"])
    ports = _ports_head(rng, rst)
    if mode == "sipo":
        left = rng.random() < 0.5
        en = rng.random() < 0.5
        ports += ([Port("input", "en", 1, "shift enable")] if en else []) + [Port("input", "sin", 1, "serial in"),
                                                                              Port("output", "q", w, proc=True)]
        beh = (f"Serial-in parallel-out shift register of {w} bits. At each rising clock edge{' with en = 1' if en else ''} the "
               f"contents move one place {'towards the MSB with sin entering at bit 0' if left else 'towards the LSB with sin entering at the MSB'}.")
        s = f"q <= {{q[{w - 2}:0], sin}};" if left else f"q <= {{sin, q[{w - 1}:1]}};"
        st = [f"if (en) {s}" if en else s]
        rs = [f"q <= {w}'d0;"]
    elif mode == "piso":
        ports += [Port("input", "load", 1), Port("input", "din", w), Port("output", "sout", 1)]
        beh = (f"Parallel-in serial-out register: load = 1 at a clock edge copies din into the {w}-bit internal register; "
               f"otherwise the register shifts right by one (a 0 enters at the top). sout is always the register's bit 0.")
        body_extra = "  assign sout = sr[0];"
        st = ["if (load)", "  sr <= din;", "else", f"  sr <= {{1'b0, sr[{w - 1}:1]}};"]
        rs = [f"sr <= {w}'d0;"]
        body = f"  reg [{w - 1}:0] sr;\n" + seq(rst, rs, st) + "\n" + body_extra
        if rst:
            beh += " " + reset_phrase(*rst, rng, "the register is cleared")
        return make(rng, "shift_register", ["seq", "shift-register"], ports, beh, body)
    elif mode == "bidir":
        ports += [Port("input", "load", 1), Port("input", "ena", 2, "shift control"), Port("input", "data", w),
                  Port("output", "q", w, proc=True)]
        rot = rng.random() < 0.5
        beh = ("Register with priority load and {} controls:\n".format("rotate" if rot else "shift") + bullets(rng, [
            "load = 1: q <= data",
            f"else ena = 2'b01: {'rotate' if rot else 'shift'} right by one" + ("" if rot else " (0 enters at the top)"),
            f"else ena = 2'b10: {'rotate' if rot else 'shift'} left by one" + ("" if rot else " (0 enters at bit 0)"),
            "else (00 or 11): hold"]))
        r_ = f"{{q[0], q[{w - 1}:1]}}" if rot else f"{{1'b0, q[{w - 1}:1]}}"
        l_ = f"{{q[{w - 2}:0], q[{w - 1}]}}" if rot else f"{{q[{w - 2}:0], 1'b0}}"
        st = ["if (load)", "  q <= data;", "else if (ena == 2'b01)", f"  q <= {r_};", "else if (ena == 2'b10)", f"  q <= {l_};"]
        rs = [f"q <= {w}'d0;"]
    else:
        k = rng.randint(2, 6)
        dw = pick(rng, [1, 4, 8])
        ports += [Port("input", "d", dw), Port("output", "q", dw)]
        beh = f"q is d delayed by exactly {k} rising clock edges (a {k}-stage pipeline of {dw}-bit registers)."
        if rst:
            beh += " " + reset_phrase(*rst, rng, "every stage is cleared")
        st = [f"stage[0] <= d;"] + [f"stage[{i}] <= stage[{i - 1}];" for i in range(1, k)]
        rs = [f"stage[{i}] <= {dw}'d0;" for i in range(k)]
        body = f"  reg [{dw - 1}:0] stage [0:{k - 1}];\n" + seq(rst, rs, st) + f"\n  assign q = stage[{k - 1}];"
        return make(rng, "shift_register", ["seq", "shift-register"], ports, beh, body)
    if rst:
        beh += " " + reset_phrase(*rst, rng, "q is cleared")
    body = seq(rst, rs, st)
    return make(rng, "shift_register", ["seq", "shift-register"], ports, beh, body)


_TAPS = {3: [3, 2], 4: [4, 3], 5: [5, 3], 6: [6, 5], 7: [7, 6], 8: [8, 6, 5, 4], 16: [16, 15, 13, 4]}


@family("lfsr", "seq", "lfsr")
def lfsr(rng):
    w = pick(rng, list(_TAPS))
    taps = _TAPS[w]
    rst = reset_pick(rng)
    seed = rng.randrange(1, 1 << w)
    galois = rng.random() < 0.4
    ports = _ports_head(rng, rst) + [Port("output", "q", w, proc=True)]
    tap_bits = [t - 1 for t in taps]
    if galois:
        mask = 0
        for t in taps:
            mask |= 1 << (t - 1)
        beh = (f"A {w}-bit Galois LFSR shifting right. Each rising edge: q becomes q >> 1, and if the bit shifted out (q[0]) was 1, "
               f"the result is XORed with the tap mask {lit(w, mask, None, 'h')}.")
        st = [f"q <= (q >> 1) ^ (q[0] ? {lit(w, mask, None, 'h')} : {w}'d0);"]
    else:
        fb = " ^ ".join(f"q[{b}]" for b in sorted(tap_bits, reverse=True))
        beh = (f"A {w}-bit Fibonacci LFSR shifting left: at every rising clock edge q <= {{q[{w - 2}:0], fb}} where "
               f"fb = " + " XOR ".join(f"q[{b}]" for b in sorted(tap_bits, reverse=True)) + ".")
        st = [f"q <= {{q[{w - 2}:0], {fb}}};"]
    beh += " " + reset_phrase(*rst, rng, f"q loads the seed {lit(w, seed, None, 'h')}")
    body = seq(rst, [f"q <= {lit(w, seed, None, 'h')};"], st)
    return make(rng, "lfsr", ["seq", "lfsr"], ports, beh, body)


@family("edge_detect", "seq", "edge")
def edge_detect(rng):
    w = pick(rng, [1, 1, 4, 8])
    kind = pick(rng, ["rise", "fall", "both"])
    rst = _rst(rng, 0.4)
    sig = pick(rng, ["in", "sig", "din", "level"])
    y = {"rise": "rise", "fall": "fall", "both": "changed"}[kind] if rng.random() < 0.5 else pick(rng, ["pulse", "det", "out"])
    reg_out = rng.random() < 0.5
    ports = _ports_head(rng, rst) + [Port("input", sig, w), Port("output", y, w, proc=reg_out)]
    what = {"rise": "went from 0 to 1", "fall": "went from 1 to 0", "both": "changed value"}[kind]
    per = " (each bit independently)" if w > 1 else ""
    expr = {"rise": f"{sig} & ~prev", "fall": f"~{sig} & prev", "both": f"{sig} ^ prev"}[kind]
    if reg_out:
        beh = (f"Edge detector{per}: sample {sig} at every rising clock edge. In the cycle after a sample where the bit "
               f"{what} compared with the previous sample, {y} is 1; otherwise 0.")
        st = [f"prev <= {sig};", f"{y} <= {expr};"]
        rs = [f"prev <= {w}'d0;" if w > 1 else "prev <= 1'b0;", f"{y} <= {w}'d0;" if w > 1 else f"{y} <= 1'b0;"]
        body = f"  reg {'[%d:0] ' % (w - 1) if w > 1 else ''}prev;\n" + seq(rst, rs, st)
    else:
        beh = (f"Edge detector{per}: keep a copy of {sig} from the previous rising clock edge. {y} is combinational and is 1 "
               f"while the current {sig} differs from that copy in the way that it {what}.")
        st = [f"prev <= {sig};"]
        rs = [f"prev <= {w}'d0;" if w > 1 else "prev <= 1'b0;"]
        body = f"  reg {'[%d:0] ' % (w - 1) if w > 1 else ''}prev;\n" + seq(rst, rs, st) + f"\n  assign {y} = {expr};"
    if rst:
        beh += " " + reset_phrase(*rst, rng, "the stored history is cleared" + (f" and {y} is 0" if reg_out else ""))
    return make(rng, "edge_detect", ["seq", "edge"], ports, beh, body)


@family("sticky_capture", "seq", "edge")
def sticky_capture(rng):
    w = pick(rng, [1, 4, 8, 16, 32])
    rst = reset_pick(rng)
    fall = rng.random() < 0.5
    clr = rng.random() < 0.4
    ports = _ports_head(rng, rst) + ([Port("input", "clear", 1)] if clr else []) + [Port("input", "in", w), Port("output", "seen", w, proc=True)]
    beh = (f"For each bit of in, seen remembers that the bit had a {'1-to-0' if fall else '0-to-1'} transition between two consecutive "
           f"clock edges: once set, that bit of seen stays 1 until reset" + (" or until clear is 1 at a clock edge (clear wins over new edges)." if clr else "."))
    beh += " " + reset_phrase(*rst, rng, "seen and the stored copy of in are cleared")
    det = "prev & ~in" if fall else "~prev & in"
    st = ["prev <= in;", ("if (clear) seen <= 0;" if clr else "") + ("\n      else " if clr else "") + f"seen <= seen | ({det});"]
    if clr:
        st = ["prev <= in;", "if (clear)", f"  seen <= {w}'d0;", "else", f"  seen <= seen | ({det});"]
    else:
        st = ["prev <= in;", f"seen <= seen | ({det});"]
    body = f"  reg [{w - 1}:0] prev;\n" + seq(rst, [f"prev <= {w}'d0;", f"seen <= {w}'d0;"], st)
    return make(rng, "sticky_capture", ["seq", "edge"], ports, beh, body)


@family("pulse_timer", "seq", "timer")
def pulse_timer(rng):
    n = rng.randint(2, 20)
    w = n.bit_length()
    rst = reset_pick(rng)
    retrig = rng.random() < 0.5
    ports = _ports_head(rng, rst) + [Port("input", "trig", 1, "start request"), Port("output", "busy", 1)]
    beh = (f"One-shot pulse generator: when trig is 1 at a rising clock edge{' (even while already busy, which restarts the time)' if retrig else ' and the block is idle'}, "
           f"busy goes high for exactly {n} clock cycles starting at the next cycle" + ("." if retrig else "; trig is ignored while busy."))
    beh += " " + reset_phrase(*rst, rng, "the block is idle with busy low")
    cond = "trig" if retrig else "trig && cnt == 0"
    st = [f"if ({cond})", f"  cnt <= {w}'d{n};", f"else if (cnt != {w}'d0)", "  cnt <= cnt - 1'b1;"]
    body = f"  reg [{w - 1}:0] cnt;\n" + seq(rst, [f"cnt <= {w}'d0;"], st) + f"\n  assign busy = (cnt != {w}'d0);"
    return make(rng, "pulse_timer", ["seq", "timer"], ports, beh, body)


@family("clock_divider", "seq", "timer")
def clock_divider(rng):
    n = rng.randint(2, 24)
    w = (n - 1).bit_length()
    rst = reset_pick(rng)
    mode = pick(rng, ["tick", "toggle"])
    if mode == "tick":
        ports = _ports_head(rng, rst) + [Port("output", "tick", 1)]
        beh = (f"Tick generator: an internal counter counts clock cycles 0..{n - 1} and wraps; tick is 1 during the cycle in which the "
               f"counter equals {n - 1}, so one pulse every {n} clocks.")
        beh += " " + reset_phrase(*rst, rng, "the counter restarts at 0")
        st = [f"cnt <= (cnt == {w}'d{n - 1}) ? {w}'d0 : cnt + 1'b1;"]
        body = f"  reg [{w - 1}:0] cnt;\n" + seq(rst, [f"cnt <= {w}'d0;"], st) + f"\n  assign tick = (cnt == {w}'d{n - 1});"
    else:
        ports = _ports_head(rng, rst) + [Port("output", "clk_out", 1, proc=True)]
        beh = (f"Divide the clock by {2 * n}: clk_out toggles every {n} rising edges of clk (a counter counts 0..{n - 1}; when it "
               f"wraps from {n - 1} to 0, clk_out inverts).")
        beh += " " + reset_phrase(*rst, rng, "the counter and clk_out go to 0")
        st = [f"if (cnt == {w}'d{n - 1}) begin", f"  cnt <= {w}'d0;", "  clk_out <= ~clk_out;", "end else begin",
              "  cnt <= cnt + 1'b1;", "end"]
        body = f"  reg [{w - 1}:0] cnt;\n" + seq(rst, [f"cnt <= {w}'d0;", "clk_out <= 1'b0;"], st)
    return make(rng, "clock_divider", ["seq", "timer"], ports, beh, body)


@family("accumulator", "seq", "arith")
def accumulator(rng):
    wi = pick(rng, [4, 8, 16])
    wo = wi + pick(rng, [0, 4, 8])
    rst = reset_pick(rng)
    mode = pick(rng, ["sum", "max", "min"])
    clr = rng.random() < 0.5
    ports = _ports_head(rng, rst) + [Port("input", "valid", 1, "in carries a sample")] + \
        ([Port("input", "clear", 1)] if clr else []) + [Port("input", "in", wi), Port("output", "acc", wo if mode == "sum" else wi, proc=True)]
    wa = wo if mode == "sum" else wi
    init = 0 if mode != "min" else (1 << wi) - 1
    what = {"sum": f"adds in to acc (modulo 2^{wo})", "max": "keeps the largest unsigned in seen so far",
            "min": "keeps the smallest unsigned in seen so far"}[mode]
    beh = f"Accumulator: at each rising clock edge with valid = 1, acc {what}."
    if clr:
        beh += f" clear = 1 at a clock edge sets acc to {init} and has priority over valid."
    beh += " " + reset_phrase(*rst, rng, f"acc becomes {init}")
    upd = {"sum": f"acc <= acc + in;" if wa == wi else f"acc <= acc + {{{wa - wi}'d0, in}};",
           "max": "if (in > acc) acc <= in;", "min": "if (in < acc) acc <= in;"}[mode]
    st = (["if (clear)", f"  acc <= {lit(wa, init, None, 'd')};", "else if (valid) begin", f"  {upd}", "end"] if clr
          else ["if (valid) begin", f"  {upd}", "end"])
    body = seq(rst, [f"acc <= {lit(wa, init, None, 'd')};"], st)
    return make(rng, "accumulator", ["seq", "arith"], ports, beh, body)
