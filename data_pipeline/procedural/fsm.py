"""Families: Moore and Mealy machines from random transition tables (given as a table or as
prose), sequence detectors (overlapping or not, Moore or Mealy) whose tables are computed from
the pattern (KMP-style), so spec and reference come from the same Python model."""

from __future__ import annotations

from data_pipeline.procedural.common import Port, bullets, clk_port, family, make, pick, reset_phrase, reset_pick, \
    reset_port, always_ff, rst_cond

STATE_NAMES = [["A", "B", "C", "D", "E", "F", "G"], ["S0", "S1", "S2", "S3", "S4", "S5", "S6"],
               ["IDLE", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"], ["ST_A", "ST_B", "ST_C", "ST_D", "ST_E", "ST_F", "ST_G"]]


def _reachable(nxt: list[list[int]]) -> bool:
    seen, stack = {0}, [0]
    while stack:
        s = stack.pop()
        for t in nxt[s]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return len(seen) == len(nxt)


def fsm_code(names, nxt, outs, mealy: bool, xin: str, xw: int, y: str, yw: int, rst, onehot: bool, rng,
             out_style: str) -> str:
    """Verilog for a table machine: state register, next-state case, output logic."""
    k = len(names)
    sw = k if onehot else max(1, (k - 1).bit_length())
    L = []
    for i, n in enumerate(names):
        v = (1 << i) if onehot else i
        L.append(f"  localparam [{sw - 1}:0] {n} = {sw}'b{v:0{sw}b};")
    L.append(f"  reg [{sw - 1}:0] state, next_state;")
    L.append("")
    L.append("  always @(*) begin")
    L.append("    case (state)")
    for s, n in enumerate(names):
        row = nxt[s]
        if xw == 1:
            if row[0] == row[1]:
                L.append(f"      {n}: next_state = {names[row[0]]};")
            else:
                L.append(f"      {n}: next_state = {xin} ? {names[row[1]]} : {names[row[0]]};")
        else:
            L.append(f"      {n}: begin")
            L.append(f"        case ({xin})")
            for x, t in enumerate(row):
                L.append(f"          {xw}'d{x}: next_state = {names[t]};")
            L.append(f"          default: next_state = {names[s]};")
            L.append("        endcase")
            L.append("      end")
    L.append(f"      default: next_state = {names[0]};")
    L.append("    endcase")
    L.append("  end")
    L.append("")
    name, kind, high = rst
    L.append(f"  {always_ff(kind, name, high)} begin")
    L.append(f"    if ({rst_cond(name, high)})")
    L.append(f"      state <= {names[0]};")
    L.append("    else")
    L.append("      state <= next_state;")
    L.append("  end")
    L.append("")
    yz = f"{yw}'d0" if yw > 1 else "1'b0"
    if not mealy:
        ones = [names[s] for s in range(k) if outs[s]]
        if yw == 1 and out_style == "assign":
            L.append(f"  assign {y} = " + " || ".join(f"(state == {n})" for n in ones) + ";")
        else:
            L.append("  always @(*) begin")
            L.append("    case (state)")
            for s, n in enumerate(names):
                L.append(f"      {n}: {y} = {yw}'d{outs[s]};")
            L.append(f"      default: {y} = {yz};")
            L.append("    endcase")
            L.append("  end")
    else:
        L.append("  always @(*) begin")
        L.append(f"    {y} = {yz};")
        L.append("    case (state)")
        for s, n in enumerate(names):
            if xw == 1:
                a, b = outs[s]
                if a == b:
                    L.append(f"      {n}: {y} = {yw}'d{a};")
                else:
                    L.append(f"      {n}: {y} = {xin} ? {yw}'d{b} : {yw}'d{a};")
            else:
                L.append(f"      {n}: begin")
                L.append(f"        case ({xin})")
                for x, o in enumerate(outs[s]):
                    L.append(f"          {xw}'d{x}: {y} = {yw}'d{o};")
                L.append(f"          default: {y} = {yz};")
                L.append("        endcase")
                L.append("      end")
        L.append(f"      default: {y} = {yz};")
        L.append("    endcase")
        L.append("  end")
    return "\n".join(L)


def _table_text(names, nxt, outs, mealy, xin, xw, y, rng) -> str:
    nx = 1 << xw
    style = rng.randrange(3)
    if style == 0:
        cols = [f"next ({xin}={x})" for x in range(nx)]
        if mealy:
            cols += [f"{y} ({xin}={x})" for x in range(nx)]
            head = "| state | " + " | ".join(cols) + " |"
            rows = [f"| {n} | " + " | ".join(names[t] for t in nxt[s]) + " | " + " | ".join(str(o) for o in outs[s]) + " |"
                    for s, n in enumerate(names)]
        else:
            head = "| state | " + " | ".join(cols) + f" | {y} |"
            rows = [f"| {n} | " + " | ".join(names[t] for t in nxt[s]) + f" | {outs[s]} |" for s, n in enumerate(names)]
        return head + "\n|" + "---|" * (head.count("|") - 1) + "\n" + "\n".join(rows)
    if style == 1:
        lines = []
        for s, n in enumerate(names):
            if mealy:
                parts = [f"{xin}={x} -> {names[t]} (output {outs[s][x]})" for x, t in enumerate(nxt[s])]
                lines.append(f"{n}: " + ", ".join(parts))
            else:
                parts = [f"{xin}={x} -> {names[t]}" for x, t in enumerate(nxt[s])]
                lines.append(f"{n} ({y}={outs[s]}): " + ", ".join(parts))
        return "\n".join(lines)
    sent = []
    for s, n in enumerate(names):
        row = nxt[s]
        trans = "; ".join(f"with {xin} = {x} it moves to {names[t]}" if t != s else f"with {xin} = {x} it stays"
                          for x, t in enumerate(row))
        if mealy:
            o = "; ".join(f"{y} is {outs[s][x]} when {xin} = {x}" for x in range(nx))
            sent.append(f"In state {n}, {trans}. While in {n}, {o}.")
        else:
            sent.append(f"State {n} outputs {y} = {outs[s]}; {trans}.")
    return bullets(rng, sent)


def _table_fsm(rng, mealy: bool):
    k = rng.randint(3, 6)
    names = pick(rng, STATE_NAMES)[:k]
    xw = 1 if rng.random() < 0.8 else 2
    yw = 1 if rng.random() < 0.85 else 2
    nx = 1 << xw
    for _ in range(50):
        nxt = [[rng.randrange(k) for _ in range(nx)] for _ in range(k)]
        if _reachable(nxt):
            break
    else:
        nxt = [[(s + 1) % k] * nx for s in range(k)]
    if mealy:
        outs = [[rng.randrange(1 << yw) for _ in range(nx)] for _ in range(k)]
        if len({o for r in outs for o in r}) == 1:
            outs[0][0] ^= 1
    else:
        outs = [rng.randrange(1 << yw) for _ in range(k)]
        if len(set(outs)) == 1:
            outs[-1] ^= 1
    rst = reset_pick(rng)
    xin = pick(rng, ["x", "in", "din", "w"])
    y = pick(rng, ["z", "out", "y", "dout"])
    ports = [clk_port(rng), reset_port(*rst), Port("input", xin, xw), Port("output", y, yw, proc=not (not mealy and yw == 1 and rng.random() < 0.5))]
    out_style = "always" if ports[-1].proc else "assign"
    kindw = "Mealy" if mealy else "Moore"
    intro = pick(rng, [f"A {kindw} state machine with {k} states ({', '.join(names)}).",
                       f"Finite state machine ({kindw} type): the output depends on the current state"
                       + (" and the current input." if mealy else " only."),
                       f"Implement this {k}-state {kindw} FSM."])
    beh = intro + " " + reset_phrase(*rst, rng, f"the machine enters state {names[0]}") + \
        " State changes happen on the rising edge of clk.\n\n" + _table_text(names, nxt, outs, mealy, xin, xw, y, rng)
    body = fsm_code(names, nxt, outs, mealy, xin, xw, y, yw, rst, rng.random() < 0.25, rng, out_style)
    fam = "mealy_fsm" if mealy else "moore_fsm"
    return make(rng, fam, ["seq", "fsm"], ports, beh, body)


@family("moore_fsm", "seq", "fsm")
def moore_fsm(rng):
    return _table_fsm(rng, False)


@family("mealy_fsm", "seq", "fsm")
def mealy_fsm(rng):
    return _table_fsm(rng, True)


def _adv(pattern: str, text: str, cap: int) -> int:
    """Longest k <= cap with pattern[:k] a suffix of text."""
    for k in range(min(cap, len(text)), -1, -1):
        if text.endswith(pattern[:k]) if k else True:
            return k
    return 0


def detector_tables(pattern: str, overlap: bool, mealy: bool):
    """(next[s][b], out) for a serial pattern detector; states are the count of matched bits."""
    L = len(pattern)
    if mealy:
        nxt, outs = [], []
        for s in range(L):
            rn, ro = [], []
            for b in "01":
                t = pattern[:s] + b
                if t.endswith(pattern):
                    ro.append(1)
                    rn.append(_adv(pattern, t, L - 1) if overlap else 0)
                else:
                    ro.append(0)
                    rn.append(_adv(pattern, t, L - 1))
            nxt.append(rn)
            outs.append(ro)
        return nxt, outs
    nxt = []
    for s in range(L + 1):
        row = []
        for b in "01":
            if s == L:
                t = (pattern + b) if overlap else b
            else:
                t = pattern[:s] + b
            row.append(_adv(pattern, t, L))
        nxt.append(row)
    return nxt, [0] * L + [1]


@family("seq_detector", "seq", "fsm", "sequence")
def seq_detector(rng):
    L = rng.randint(3, 6)
    while True:
        pattern = "".join(pick(rng, "01") for _ in range(L))
        if "0" in pattern and "1" in pattern or rng.random() < 0.1:
            break
    overlap = rng.random() < 0.5
    mealy = rng.random() < 0.5
    nxt, outs = detector_tables(pattern, overlap, mealy)
    k = len(nxt)
    names = [f"S{i}" for i in range(k)] if rng.random() < 0.6 else [f"GOT{i}" for i in range(k)]
    rst = reset_pick(rng)
    xin = pick(rng, ["din", "x", "bit_in", "serial"])
    y = pick(rng, ["detected", "match", "found", "z"])
    ports = [clk_port(rng), reset_port(*rst), Port("input", xin, 1, "one bit per clock"), Port("output", y, 1, proc=True)]
    when = ("in the same cycle as the last bit of the pattern is present on the input (the output is combinational from the state and "
            f"{xin})" if mealy else "during the clock cycle after the last bit of the pattern has been sampled (it depends on the state only)")
    ov = ("Occurrences may overlap: the tail of one match can start the next." if overlap else
          "Matches do not overlap: after a detection, the search starts again from scratch with the next bit.")
    beh = (f"Serial sequence detector. One bit arrives on {xin} per rising clock edge. Raise {y} when the last {L} bits received are "
           f"{pattern} (first received bit on the left). {y} is asserted {when}. {ov} "
           + reset_phrase(*rst, rng, "no bits have been seen yet"))
    body = fsm_code(names, nxt, outs, mealy, xin, 1, y, 1, rst, False, rng, "always")
    return make(rng, "seq_detector", ["seq", "fsm", "sequence"], ports, beh, body)


@family("parity_fsm", "seq", "fsm")
def parity_fsm(rng):
    rst = reset_pick(rng)
    mode = pick(rng, ["odd_ones", "div3", "toggle_on"])
    xin = pick(rng, ["x", "din", "in"])
    ports = [clk_port(rng), reset_port(*rst), Port("input", xin, 1)]
    if mode == "odd_ones":
        ports.append(Port("output", "odd", 1, proc=True))
        beh = f"odd is 1 when an odd number of 1s has been sampled on {xin} (at rising clock edges) since reset; odd is a register."
        body = f"  {always_ff(rst[1], rst[0], rst[2])} begin\n    if ({rst_cond(rst[0], rst[2])})\n      odd <= 1'b0;\n    else if ({xin})\n      odd <= ~odd;\n  end"
        what = "odd is 0"
    elif mode == "div3":
        ports.append(Port("output", "div3", 1))
        beh = (f"Bits arrive MSB first on {xin}, one per clock edge, forming a growing binary number. div3 is 1 when the number "
               f"received so far is divisible by 3 (track the remainder in a 2-bit register; the empty number counts as 0).")
        body = (f"  reg [1:0] r;\n  {always_ff(rst[1], rst[0], rst[2])} begin\n    if ({rst_cond(rst[0], rst[2])})\n      r <= 2'd0;\n"
                f"    else\n      case (r)\n        2'd0: r <= {xin} ? 2'd1 : 2'd0;\n        2'd1: r <= {xin} ? 2'd0 : 2'd2;\n"
                f"        2'd2: r <= {xin} ? 2'd2 : 2'd1;\n        default: r <= 2'd0;\n      endcase\n  end\n  assign div3 = (r == 2'd0);")
        what = "the remainder is 0"
    else:
        ports += [Port("input", "off", 1), Port("output", "on", 1, proc=True)]
        beh = f"A set/clear latch in a flip-flop: at a clock edge, off = 1 clears on; otherwise {xin} = 1 sets on; otherwise on holds."
        body = (f"  {always_ff(rst[1], rst[0], rst[2])} begin\n    if ({rst_cond(rst[0], rst[2])})\n      on <= 1'b0;\n"
                f"    else if (off)\n      on <= 1'b0;\n    else if ({xin})\n      on <= 1'b1;\n  end")
        what = "on is 0"
    beh += " " + reset_phrase(*rst, rng, what)
    return make(rng, "parity_fsm", ["seq", "fsm"], ports, beh, body)
