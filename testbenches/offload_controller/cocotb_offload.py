"""cocotb 2.x bench for offload_controller: every decision is checked against the golden model.

One coroutine per clock does everything, so there are no races between driver, monitor and the
DMA model: inputs change just after a rising edge, and at the falling edge the bench samples all
valid/ready pairs. Accepted inputs (release, request, prefetch) go to the model in that order;
the DMA requests and router responses the design emits must equal the model's queues entry by
entry (expert, precision, slot; slots, hit mask, precision mask). The counters are read back over
AXI4-Lite and compared at every quiescent point. Workloads: random traffic, synthetic router
traces with prefetch hints, and directed corner cases (all slots busy, DMA back-pressure,
threshold edges, reset mid-stream, CSR byte strobes).

Parameters come from the environment (OC_PARAMS, JSON of the Verilog parameters; OC_SEED;
OC_SCALE multiplies the workload lengths) so the same module serves every configuration.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oc_model import (A_BYTES_HI, A_BYTES_LO, A_CLEAR, A_CTRL, A_HITS, A_INFO, A_LOWP,  # noqa: E402
                      A_MISSES, A_PF_HITS, A_PF_LOADS, A_THRESH, DmaReq, OffloadModel, Params,
                      Response)
from oc_traces import TraceConfig, history_prediction, router_trace  # noqa: E402

READ_BACK = (A_CTRL, A_THRESH, A_INFO, A_HITS, A_MISSES, A_LOWP, A_PF_LOADS, A_PF_HITS,
             A_BYTES_LO, A_BYTES_HI)


def params_from_env() -> Params:
    return Params(**json.loads(os.environ.get("OC_PARAMS", "{}")))


def u(sig) -> int:
    return int(sig.value)


def pack(values, width: int) -> int:
    out = 0
    for i, v in enumerate(values):
        out |= (v & ((1 << width) - 1)) << (i * width)
    return out


def unpack(value: int, width: int, n: int) -> tuple[int, ...]:
    return tuple((value >> (i * width)) & ((1 << width) - 1) for i in range(n))


class Bench:
    """Drives the DUT cycle by cycle and keeps the golden model in step."""

    def __init__(self, dut, seed: int):
        self.dut = dut
        self.p = params_from_env()
        self.rng = random.Random(seed)
        self.model = OffloadModel(self.p)
        self.cycle = 0
        # stimulus queues (items wait here until the design accepts them)
        self.req_q: list[tuple] = []
        self.pf_q: list[tuple] = []
        self.ordered: list[tuple] = []     # ("req", item) / ("pf", item): one at a time, in order
        self.cur_req = None
        self.cur_pf = None
        self.rel_hold = False
        # environment behaviour knobs
        self.dma_ready_p = 0.8
        self.dma_latency = (1, 6)
        self.rsp_ready_p = 0.8
        self.rel_p = 0.3
        self.req_gap_p = 0.2
        self.dma_pending: list[int] = []   # due cycle of each accepted DMA request, in order
        # coverage
        self.cov = {"dma_stall_cycles": 0, "rtl_stall_cycles": 0, "dma_reqs": 0, "responses": 0,
                    "requests": 0, "prefetches": 0, "releases": 0}

    # -- plumbing --
    async def start(self) -> None:
        Clock(self.dut.clk, 10, unit="ns").start()
        d = self.dut
        for name in ("req_valid", "rsp_ready", "rel_valid", "pf_valid", "dma_req_ready",
                     "dma_ack_valid", "s_axil_awvalid", "s_axil_wvalid", "s_axil_bready",
                     "s_axil_arvalid", "s_axil_rready", "req_ids", "req_gates", "req_layer",
                     "pf_ids", "pf_layer", "s_axil_awaddr", "s_axil_wdata", "s_axil_araddr"):
            getattr(d, name).value = 0
        d.s_axil_wstrb.value = 0xF
        await self.reset()

    async def reset(self, cycles: int = 3) -> None:
        d = self.dut
        d.rst_n.value = 0
        for sig in (d.req_valid, d.pf_valid, d.rel_valid, d.dma_ack_valid, d.s_axil_awvalid,
                    d.s_axil_wvalid, d.s_axil_arvalid):
            sig.value = 0
        for _ in range(cycles):
            await RisingEdge(d.clk)
        d.rst_n.value = 1
        self.model.reset()
        self.cur_req = self.cur_pf = None
        self.rel_hold = False
        self.dma_pending.clear()

    def quiescent(self) -> bool:
        return (not self.model.dma and not self.model.responses and not self.dma_pending
                and self.cur_req is None and self.cur_pf is None and not self.rel_hold
                and u(self.dut.pf_ready) == 1)

    # -- one clock cycle --
    async def step(self) -> None:
        d, m = self.dut, self.model
        await FallingEdge(d.clk)
        # sample handshakes (they complete at the next rising edge)
        rel = u(d.rel_valid) and u(d.rel_ready)
        req = u(d.req_valid) and u(d.req_ready)
        pf = u(d.pf_valid) and u(d.pf_ready)
        dma = u(d.dma_req_valid) and u(d.dma_req_ready)
        rsp = u(d.rsp_valid) and u(d.rsp_ready)
        if u(d.dma_req_valid) and not u(d.dma_req_ready):
            self.cov["dma_stall_cycles"] += 1
        if u(d.rel_ready) and not u(d.req_ready) and not u(d.pf_ready) and m.stalled:
            self.cov["rtl_stall_cycles"] += 1
        assert sum([rel, req, pf]) <= 1, f"cycle {self.cycle}: more than one input accepted at once"
        if rel:
            m.release()
            self.rel_hold = False
            self.cov["releases"] += 1
        if req:
            assert m.can_accept_request(), f"cycle {self.cycle}: request accepted while the model could not"
            ids, gates, layer = self.cur_req
            m.request(ids, gates, layer)
            self.cur_req = None
            self.cov["requests"] += 1
        if pf:
            ids, layer = self.cur_pf
            m.prefetch(ids, layer)
            self.cur_pf = None
            self.cov["prefetches"] += 1
        if dma:
            got = DmaReq(u(d.dma_req_id), bool(u(d.dma_req_lowp)), u(d.dma_req_slot))
            assert m.dma, f"cycle {self.cycle}: unexpected DMA request {got}"
            want = m.dma.popleft()
            assert got == want, f"cycle {self.cycle}: DMA request {got}, model expects {want}"
            self.dma_pending.append(self.cycle + self.rng.randint(*self.dma_latency))
            self.cov["dma_reqs"] += 1
        if rsp:
            k, sw = self.p.K, self.p.SW
            got = Response(unpack(u(d.rsp_slots), sw, k),
                           tuple(bool(b) for b in unpack(u(d.rsp_hit), 1, k)),
                           tuple(bool(b) for b in unpack(u(d.rsp_lowp), 1, k)))
            assert m.responses, f"cycle {self.cycle}: unexpected response {got}"
            want = m.responses.popleft()
            assert got == want, f"cycle {self.cycle}: response {got}, model expects {want}"
            self.cov["responses"] += 1
        await RisingEdge(d.clk)
        self.cycle += 1
        self._drive()

    def _drive(self) -> None:
        d, p, rng = self.dut, self.p, self.rng
        # ordered stimulus (trace replay): the next item is offered once the previous was taken
        if self.ordered and self.cur_req is None and self.cur_pf is None:
            kind, item = self.ordered.pop(0)
            if kind == "req":
                self.cur_req = item
            else:
                self.cur_pf = item
        # router requests: valid stays up until accepted
        if self.cur_req is None and self.req_q and rng.random() >= self.req_gap_p:
            self.cur_req = self.req_q.pop(0)
        if self.cur_req is not None:
            ids, gates, layer = self.cur_req
            d.req_ids.value = pack(ids, p.EW)
            d.req_gates.value = pack(gates, p.GW)
            d.req_layer.value = layer
        d.req_valid.value = int(self.cur_req is not None)
        if self.cur_pf is None and self.pf_q:
            self.cur_pf = self.pf_q.pop(0)
        if self.cur_pf is not None:
            d.pf_ids.value = pack(self.cur_pf[0], p.EW)
            d.pf_layer.value = self.cur_pf[1]
        d.pf_valid.value = int(self.cur_pf is not None)
        # compute engine: release the oldest token after a random while
        if not self.rel_hold and self.model.inflight and rng.random() < self.rel_p:
            self.rel_hold = True
        d.rel_valid.value = int(self.rel_hold)
        d.rsp_ready.value = int(rng.random() < self.rsp_ready_p)
        # DMA engine: random back-pressure, in-order acks after a random latency
        d.dma_req_ready.value = int(rng.random() < self.dma_ready_p)
        ack = bool(self.dma_pending) and self.dma_pending[0] <= self.cycle
        if ack:
            self.dma_pending.pop(0)
        d.dma_ack_valid.value = int(ack)

    # -- AXI4-Lite (used only at quiescent points, like the software the spec describes) --
    async def csr_write(self, addr: int, data: int, strb: int = 0xF) -> None:
        d = self.dut
        await RisingEdge(d.clk)
        d.s_axil_awaddr.value = addr
        d.s_axil_wdata.value = data & 0xFFFFFFFF
        d.s_axil_wstrb.value = strb
        d.s_axil_awvalid.value = 1
        d.s_axil_wvalid.value = 1
        d.s_axil_bready.value = 1
        for _ in range(20):
            await FallingEdge(d.clk)
            if u(d.s_axil_awready):
                break
        else:
            raise AssertionError("AXI4-Lite write not accepted")
        await RisingEdge(d.clk)
        d.s_axil_awvalid.value = 0
        d.s_axil_wvalid.value = 0
        self.model.csr_write(addr, data, strb)
        for _ in range(20):
            await FallingEdge(d.clk)
            if u(d.s_axil_bvalid):
                assert u(d.s_axil_bresp) == 0
                break
        else:
            raise AssertionError("AXI4-Lite write response missing")
        await RisingEdge(d.clk)
        d.s_axil_bready.value = 0

    async def csr_read(self, addr: int) -> int:
        d = self.dut
        await RisingEdge(d.clk)
        d.s_axil_araddr.value = addr
        d.s_axil_arvalid.value = 1
        d.s_axil_rready.value = 1
        for _ in range(20):
            await FallingEdge(d.clk)
            if u(d.s_axil_arready):
                break
        else:
            raise AssertionError("AXI4-Lite read not accepted")
        await RisingEdge(d.clk)
        d.s_axil_arvalid.value = 0
        for _ in range(20):
            await FallingEdge(d.clk)
            if u(d.s_axil_rvalid):
                value = u(d.s_axil_rdata)
                break
        else:
            raise AssertionError("AXI4-Lite read data missing")
        await RisingEdge(d.clk)
        d.s_axil_rready.value = 0
        return value

    async def check_csrs(self) -> None:
        for a in READ_BACK:
            got, want = await self.csr_read(a), self.model.csr_read(a)
            assert got == want, f"CSR 0x{a:02x} reads {got}, model expects {want}"

    # -- running workloads --
    async def drain(self, max_cycles: int = 20000) -> None:
        """Run until every queued input was accepted and every expected output appeared; the
        compute engine releases all tokens. Deadlock or a missing output fails here."""
        for _ in range(max_cycles):
            if not self.req_q and not self.pf_q and not self.ordered and self.quiescent():
                break
            await self.step()
        else:
            raise AssertionError(f"no progress: {len(self.model.dma)} DMA requests and "
                                 f"{len(self.model.responses)} responses still expected; "
                                 f"{len(self.req_q)} requests queued")
        for _ in range(3):          # pf_ready is up, so the FSM is in IDLE; settle the drivers
            await self.step()
        self.dut.req_valid.value = 0
        self.dut.pf_valid.value = 0
        self.dut.rel_valid.value = 0

    async def configure(self, policy: int, threshold: int, pf_en: bool) -> None:
        await self.csr_write(A_CTRL, policy | (int(pf_en) << 4))
        await self.csr_write(A_THRESH, threshold)

    def random_ids(self, n: int, distinct: bool = True) -> tuple[int, ...]:
        if distinct and n <= self.p.E:
            return tuple(self.rng.sample(range(self.p.E), n))
        return tuple(self.rng.randrange(self.p.E) for _ in range(n))

    def queue_random(self, n: int, pf_rate: float = 0.3, dup_rate: float = 0.05) -> None:
        p, rng = self.p, self.rng
        nl = 1 << p.LW
        for _ in range(n):
            ids = self.random_ids(p.K, distinct=rng.random() >= dup_rate)
            gates = tuple(rng.randrange(1 << p.GW) for _ in range(p.K))
            self.req_q.append((ids, gates, rng.randrange(nl)))
            if rng.random() < pf_rate:
                self.pf_q.append((self.random_ids(p.P), rng.randrange(nl)))


def scale() -> float:
    return float(os.environ.get("OC_SCALE", "1"))


def seed() -> int:
    return int(os.environ.get("OC_SEED", "1"))


async def new_bench(dut, salt: int) -> Bench:
    b = Bench(dut, seed() * 1000 + salt)
    await b.start()
    return b


@cocotb.test()
async def csr_access(dut):
    """Reset values, INFO, byte strobes on CTRL/THRESH, counter clear."""
    b = await new_bench(dut, 1)
    await b.check_csrs()
    await b.csr_write(A_CTRL, 0x12)
    await b.csr_write(A_THRESH, 0xA5, strb=0x1)
    await b.csr_write(A_THRESH, 0xFF00, strb=0x2)     # byte 1 only: threshold keeps its low byte
    await b.csr_write(A_CTRL, 0x0, strb=0x2)           # no bit of byte 1 is used: CTRL unchanged
    await b.check_csrs()
    assert b.model.csr.policy == 2 and b.model.csr.pf_en
    b.queue_random(20)
    await b.drain()
    await b.check_csrs()
    await b.csr_write(A_CLEAR, 1)
    await b.check_csrs()
    assert await b.csr_read(A_HITS) == 0 and await b.csr_read(A_MISSES) == 0


@cocotb.test()
async def random_traffic(dut):
    """Random requests and hints under every policy, threshold and prefetch setting."""
    b = await new_bench(dut, 2)
    n = max(20, int(120 * scale()))
    for policy in (0, 1, 2, 3):
        for pf_en in (False, True):
            thr = b.rng.choice([0, 1 << (b.p.GW - 1), b.rng.randrange(1 << b.p.GW)])
            await b.configure(policy, thr, pf_en)
            b.queue_random(n // 4)
            await b.drain()
            await b.check_csrs()
    assert b.cov["dma_reqs"] > 0 and b.cov["responses"] == b.cov["requests"]


@cocotb.test()
async def trace_driven(dut):
    """Synthetic router traces with history-based prefetch hints, one run per policy."""
    b = await new_bench(dut, 3)
    p = b.p
    nl = 1 << p.LW
    epl = max(p.K, p.E // nl)
    for policy in (0, 1, 2):
        cfg = TraceConfig(tokens=max(4, int(24 * scale())), layers=nl, experts_per_layer=epl,
                          k=p.K, zipf=1.1, locality=0.6, gate_bits=p.GW, seed=seed() + policy)
        steps = router_trace(cfg)
        await b.csr_write(A_CLEAR, 1)
        await b.configure(policy, 1 << (p.GW - 2), True)
        for i, s in enumerate(steps):
            b.ordered.append(("req", (tuple(e % p.E for e in s.ids), s.gates, s.layer % nl)))
            hint = history_prediction(steps, i, p.P)
            if hint:
                b.ordered.append(("pf", (tuple(e % p.E for e in hint), steps[i + 1].layer % nl)))
        await b.drain()
        await b.check_csrs()
        assert b.model.csr.counters["hits"] > 0
        assert b.model.csr.counters["pf_loads"] + b.model.stats.pf_dropped > 0


@cocotb.test()
async def all_slots_busy(dut):
    """Tokens in flight pin every slot; a miss must wait for a release, prefetches are dropped."""
    b = await new_bench(dut, 4)
    p = b.p
    b.rel_p = 0.0                      # the compute engine holds its tokens
    await b.configure(0, 0, True)
    nl = 1 << p.LW
    ids = list(range(p.E))
    b.rng.shuffle(ids)
    # enough distinct misses to pin D tokens' worth of slots, then one more token
    for t in range(p.D + 1):
        chunk = tuple(ids[(t * p.K + i) % p.E] for i in range(p.K))
        b.req_q.append((chunk, (255,) * p.K, 0))
    b.pf_q.append((tuple(ids[-p.P:]), 1 % nl))
    can_block = (p.D - 1) * p.K + p.K - 1 >= p.S
    for _ in range(400):
        await b.step()
    if can_block:
        assert b.model.stalled or b.model.stats.pf_dropped, "expected the pinned slots to block"
    b.rel_p = 0.5
    await b.drain()
    await b.check_csrs()
    if can_block:
        assert b.model.stats.stalls > 0 and b.cov["rtl_stall_cycles"] > 0


@cocotb.test()
async def dma_backpressure(dut):
    """The DMA engine refuses most cycles and acknowledges late; requests must stay stable."""
    b = await new_bench(dut, 5)
    b.dma_ready_p = 0.1
    b.dma_latency = (5, 30)
    b.rsp_ready_p = 0.3
    await b.configure(2, 100, True)
    b.queue_random(max(10, int(40 * scale())))
    await b.drain(max_cycles=100000)
    await b.check_csrs()
    assert b.cov["dma_stall_cycles"] > 10


@cocotb.test()
async def threshold_edges(dut):
    """Gate weights just below, at and above the threshold; threshold 0 and all-ones."""
    b = await new_bench(dut, 6)
    p = b.p
    gmax = (1 << p.GW) - 1
    for thr in (0, 1, gmax // 2, gmax):
        await b.csr_write(A_CLEAR, 1)
        await b.configure(0, thr, False)
        for g in sorted({0, max(0, thr - 1), thr, min(gmax, thr + 1), gmax}):
            b.req_q.append((b.random_ids(p.K), (g,) * p.K, 0))
        await b.drain()
        await b.check_csrs()
    # a hit on a low-precision copy reports low precision even with a large gate weight
    await b.configure(0, gmax, False)
    e = b.random_ids(p.K)
    b.req_q.append((e, (0,) * p.K, 0))
    b.req_q.append((e, (gmax,) * p.K, 0))
    await b.drain()
    await b.check_csrs()


@cocotb.test()
async def reset_mid_stream(dut):
    """Reset while requests, loads and acks are in flight; the design must restart clean."""
    b = await new_bench(dut, 7)
    for rnd in range(3):
        await b.configure(rnd % 3, 64, True)
        b.queue_random(30)
        for _ in range(b.rng.randrange(20, 120)):
            await b.step()
        assert b.cov["dma_reqs"] > 0 or b.cov["requests"] > 0
        b.req_q.clear()
        b.pf_q.clear()
        await b.reset(cycles=b.rng.randrange(1, 4))
        await b.check_csrs()           # all registers and counters back to reset values
        b.queue_random(15)
        await b.drain()
        await b.check_csrs()
