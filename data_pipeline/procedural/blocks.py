"""Families: arbiters, valid/ready handshakes, small memories, register files and FIFOs."""

from __future__ import annotations

from data_pipeline.procedural.common import Port, bullets, clk_port, family, make, pick, reset_phrase, reset_pick, \
    reset_port, always_ff, rst_cond
from data_pipeline.procedural.sequential import seq


@family("fixed_arbiter", "comb", "arbiter")
def fixed_arbiter(rng):
    n = pick(rng, [2, 3, 4, 8])
    msb = rng.random() < 0.4
    registered = rng.random() < 0.4
    ports = [Port("input", "req", n, "request lines"), Port("output", "grant", n, "one-hot grant", proc=True)]
    rst = None
    if registered:
        rst = reset_pick(rng)
        ports = [clk_port(rng), reset_port(*rst)] + ports
    beh = (f"Fixed-priority arbiter for {n} requesters: grant has at most one bit set, the bit of the "
           f"{'highest' if msb else 'lowest'}-numbered active request; no request means grant = 0.")
    order = f"i = 0; i < {n}; i = i + 1" if msb else f"i = {n - 1}; i >= 0; i = i - 1"
    if registered:
        beh += " The grant is registered: it shows the decision for the request sampled at the previous rising clock edge. "
        beh += reset_phrase(*rst, rng, "grant is 0")
        body = (f"  integer i;\n  reg [{n - 1}:0] nxt;\n  always @(*) begin\n    nxt = {n}'d0;\n    for ({order})\n"
                f"      if (req[i]) nxt = {n}'d1 << i;\n  end\n" + seq(rst, [f"grant <= {n}'d0;"], ["grant <= nxt;"]))
    else:
        body = (f"  integer i;\n  always @(*) begin\n    grant = {n}'d0;\n    for ({order})\n"
                f"      if (req[i]) grant = {n}'d1 << i;\n  end")
    return make(rng, "fixed_arbiter", ["arbiter", "seq" if registered else "comb"], ports, beh, body)


@family("rr_arbiter", "seq", "arbiter")
def rr_arbiter(rng):
    n = pick(rng, [2, 3, 4])
    pw = max(1, (n - 1).bit_length())
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "req", n), Port("output", "grant", n, "registered one-hot grant", proc=True)]
    beh = (f"Round-robin arbiter for {n} requesters. At each rising clock edge grant is updated: starting from the requester just "
           f"after the one granted most recently (wrapping from {n - 1} to 0), the first one with req set gets the grant (a one-hot "
           f"grant); with no requests grant becomes 0 and the memory of the last winner is kept. ")
    beh += reset_phrase(*rst, rng, f"grant is 0 and the last winner counts as requester {n - 1} (so requester 0 is looked at first)")
    body = (f"  reg [{pw - 1}:0] last;\n  reg [{n - 1}:0] nxt;\n  reg [{pw - 1}:0] nxt_idx;\n  reg found;\n  integer i, idx;\n"
            f"  always @(*) begin\n    nxt = {n}'d0;\n    nxt_idx = last;\n    found = 1'b0;\n    for (i = 1; i <= {n}; i = i + 1) begin\n"
            f"      idx = (last + i) % {n};\n      if (!found && req[idx]) begin\n        found = 1'b1;\n        nxt[idx] = 1'b1;\n"
            f"        nxt_idx = idx;\n      end\n    end\n  end\n"
            + seq(rst, [f"grant <= {n}'d0;", f"last <= {pw}'d{n - 1};"], ["grant <= nxt;", "last <= nxt_idx;"]))
    return make(rng, "rr_arbiter", ["seq", "arbiter"], ports, beh, body)


@family("pipe_reg", "seq", "handshake")
def pipe_reg(rng):
    w = pick(rng, [8, 16, 32])
    rst = reset_pick(rng)
    ports = [clk_port(rng), reset_port(*rst), Port("input", "in_valid", 1), Port("output", "in_ready", 1),
             Port("input", "in_data", w), Port("output", "out_valid", 1, proc=True), Port("input", "out_ready", 1),
             Port("output", "out_data", w, proc=True)]
    beh = ("A one-entry pipeline stage with valid/ready handshakes on both sides.\n" + bullets(rng, [
        "in_ready = 1 when the stage is empty (out_valid = 0) or the consumer takes the current item this cycle (out_ready = 1)",
        "at a rising clock edge with in_ready = 1, out_valid <= in_valid, and out_data <= in_data if in_valid is 1",
        "when in_ready = 0 the stage holds its item and out_data stays stable",
        reset_phrase(*rst, rng, "out_valid becomes 0 (out_data is cleared too)")]))
    body = ("  assign in_ready = !out_valid || out_ready;\n" +
            seq(rst, ["out_valid <= 1'b0;", f"out_data <= {w}'d0;"],
                ["if (in_ready) begin", "  out_valid <= in_valid;", "  if (in_valid) out_data <= in_data;", "end"]))
    return make(rng, "pipe_reg", ["seq", "handshake"], ports, beh, body)


@family("req_ack", "seq", "handshake")
def req_ack(rng):
    rst = reset_pick(rng)
    n = rng.randint(1, 4)
    w = (n + 1).bit_length()
    ports = [clk_port(rng), reset_port(*rst), Port("input", "req", 1), Port("output", "ack", 1), Port("output", "busy", 1)]
    beh = (f"Request/acknowledge responder. While idle, a clock edge with req = 1 starts a job that takes {n} cycle(s) of work "
           f"(busy is 1 during them); after the work, ack is 1 for exactly one cycle and the block returns to idle (busy and ack "
           f"are both 0 when idle). Requests are ignored while busy and during the ack cycle. " + reset_phrase(*rst, rng, "the block is idle"))
    body = (f"  reg [{w - 1}:0] cnt;\n  reg working, done;\n" +
            seq(rst, ["working <= 1'b0;", "done <= 1'b0;", f"cnt <= {w}'d0;"],
                ["done <= 1'b0;", "if (!working && !done && req) begin", "  working <= 1'b1;", f"  cnt <= {w}'d{n};",
                 "end else if (working) begin", f"  if (cnt == {w}'d1) begin", "    working <= 1'b0;", "    done <= 1'b1;", "  end",
                 "  cnt <= cnt - 1'b1;", "end"]) +
            "\n  assign busy = working;\n  assign ack = done;")
    return make(rng, "req_ack", ["seq", "handshake"], ports, beh, body)


@family("ram", "seq", "memory")
def ram(rng):
    depth = pick(rng, [4, 8, 16, 32])
    aw = (depth - 1).bit_length()
    w = pick(rng, [4, 8, 16])
    sync_read = rng.random() < 0.5
    ports = [clk_port(rng), Port("input", "we", 1, "write enable"), Port("input", "addr", aw), Port("input", "wdata", w),
             Port("output", "rdata", w, proc=sync_read)]
    beh = (f"A {depth} x {w}-bit memory with one shared address. At a rising clock edge with we = 1, mem[addr] <= wdata. "
           + ("Reads are synchronous: at every rising edge rdata <= mem[addr], the old contents when the same edge writes (read-before-write)."
              if sync_read else "Reads are asynchronous: rdata always shows mem[addr]."))
    beh += " The memory has no reset."
    body = f"  reg [{w - 1}:0] mem [0:{depth - 1}];\n  always @(posedge clk) begin\n    if (we)\n      mem[addr] <= wdata;\n"
    if sync_read:
        body += "    rdata <= mem[addr];\n  end"
    else:
        body += "  end\n  assign rdata = mem[addr];"
    return make(rng, "ram", ["seq", "memory"], ports, beh, body)


@family("regfile", "seq", "memory")
def regfile(rng):
    n = pick(rng, [4, 8, 16])
    aw = (n - 1).bit_length()
    w = pick(rng, [8, 16, 32])
    zero = rng.random() < 0.5
    rst = reset_pick(rng) if rng.random() < 0.4 else None
    ports = [clk_port(rng)] + ([reset_port(*rst)] if rst else []) + [
        Port("input", "we", 1), Port("input", "waddr", aw), Port("input", "wdata", w),
        Port("input", "raddr1", aw), Port("output", "rdata1", w), Port("input", "raddr2", aw), Port("output", "rdata2", w)]
    beh = (f"Register file of {n} registers x {w} bits with one write port and two asynchronous read ports. At a rising edge with "
           f"we = 1, register waddr takes wdata. rdata1/rdata2 show the registers selected by raddr1/raddr2 (combinational reads; a "
           f"write becomes visible after the edge).")
    if zero:
        beh += " Register 0 always reads as 0 (writes to it are ignored)."
    if rst:
        beh += " " + reset_phrase(*rst, rng, "all registers become 0")
    wcond = "we && waddr != 0" if zero else "we"
    if rst:
        body = (f"  reg [{w - 1}:0] regs [0:{n - 1}];\n  integer i;\n" +
                seq(rst, [f"for (i = 0; i < {n}; i = i + 1)", f"  regs[i] <= {w}'d0;"], [f"if ({wcond})", "  regs[waddr] <= wdata;"]))
    else:
        body = f"  reg [{w - 1}:0] regs [0:{n - 1}];\n  always @(posedge clk)\n    if ({wcond})\n      regs[waddr] <= wdata;"
    if zero:
        body += f"\n  assign rdata1 = (raddr1 == {aw}'d0) ? {w}'d0 : regs[raddr1];\n  assign rdata2 = (raddr2 == {aw}'d0) ? {w}'d0 : regs[raddr2];"
    else:
        body += "\n  assign rdata1 = regs[raddr1];\n  assign rdata2 = regs[raddr2];"
    return make(rng, "regfile", ["seq", "memory"], ports, beh, body)


@family("fifo", "seq", "fifo")
def fifo(rng):
    depth = pick(rng, [2, 4, 8, 16])
    aw = (depth - 1).bit_length()
    w = pick(rng, [4, 8, 16])
    rst = reset_pick(rng)
    cnt_out = rng.random() < 0.5
    ports = [clk_port(rng), reset_port(*rst), Port("input", "push", 1), Port("input", "din", w), Port("input", "pop", 1),
             Port("output", "dout", w), Port("output", "full", 1), Port("output", "empty", 1)]
    if cnt_out:
        ports.append(Port("output", "count", aw + 1))
    beh = (f"Synchronous FIFO, {depth} entries of {w} bits.\n" + bullets(rng, [
        "push at a rising clock edge stores din at the tail, unless the FIFO is full (then push is ignored)",
        "pop at a rising clock edge removes the head entry, unless the FIFO is empty (then pop is ignored)",
        "push and pop in the same cycle are each judged against the state before the edge",
        "dout always shows the head entry (first-word fall-through); its value is unspecified while empty",
        "full / empty flag the occupancy" + (", count gives the number of stored entries" if cnt_out else ""),
        reset_phrase(*rst, rng, "the FIFO becomes empty")]))
    do_push = "push && !full"
    do_pop = "pop && !empty"
    body = (f"  reg [{w - 1}:0] mem [0:{depth - 1}];\n  reg [{aw - 1 if aw > 0 else 0}:0] rd_ptr, wr_ptr;\n  reg [{aw}:0] used;\n"
            f"  wire do_push = {do_push};\n  wire do_pop = {do_pop};\n"
            f"  always @(posedge clk)\n    if (do_push)\n      mem[wr_ptr] <= din;\n" +
            seq(rst, ["rd_ptr <= 0;", "wr_ptr <= 0;", f"used <= {aw + 1}'d0;"],
                ["if (do_push) wr_ptr <= wr_ptr + 1'b1;", "if (do_pop) rd_ptr <= rd_ptr + 1'b1;",
                 "if (do_push && !do_pop) used <= used + 1'b1;", "else if (do_pop && !do_push) used <= used - 1'b1;"]) +
            f"\n  assign dout = mem[rd_ptr];\n  assign full = (used == {aw + 1}'d{depth});\n  assign empty = (used == {aw + 1}'d0);")
    if cnt_out:
        body += "\n  assign count = used;"
    return make(rng, "fifo", ["seq", "fifo"], ports, beh, body)
