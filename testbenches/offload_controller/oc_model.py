"""Transaction-level golden model of the MoE expert-offload controller (see spec.md).

The controller makes every decision (hit or miss, victim slot, precision, DMA order, counters)
as a pure function of the order in which it accepted transactions on its input channels
(router request, prefetch hint, token release, CSR write). The model therefore needs no clock:
the cocotb bench feeds it the accepted transactions in handshake order and compares the DMA
requests and router responses the RTL emits with the queues the model fills. The pieces the
sub-blocks implement (tag store, victim selector, CSR block) are separate classes/functions so
that per-block unit tests can be derived from the same code.

Pure Python (no cocotb import) so that the policy study and pytest can use it directly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

POLICY_LRU, POLICY_LFU, POLICY_HOBBIT = 0, 1, 2
POLICY_NAMES = {POLICY_LRU: "lru", POLICY_LFU: "lfu", POLICY_HOBBIT: "hobbit"}

# CSR byte addresses
A_CTRL, A_THRESH, A_INFO, A_CLEAR = 0x00, 0x04, 0x08, 0x0C
A_HITS, A_MISSES, A_LOWP, A_PF_LOADS, A_PF_HITS, A_BYTES_LO, A_BYTES_HI = (
    0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28)
COUNTER_ADDRS = {A_HITS: "hits", A_MISSES: "misses", A_LOWP: "lowp_loads",
                 A_PF_LOADS: "pf_loads", A_PF_HITS: "pf_hits"}
M32 = (1 << 32) - 1
M64 = (1 << 64) - 1


def clog2(n: int) -> int:
    """Verilog $clog2."""
    return max(0, (n - 1).bit_length())


@dataclass(frozen=True)
class Params:
    """The RTL parameters; names and defaults match the Verilog module."""

    E: int = 16           # experts (ids 0..E-1)
    S: int = 4            # cache slots, power of two >= 2
    K: int = 2            # experts per router request (top-k)
    P: int = 2            # ids per prefetch hint
    D: int = 3            # tokens that may be in flight (responded, not yet released)
    GW: int = 8           # gate-weight width
    LW: int = 2           # layer-index width (2**LW layers, distance is modulo 2**LW)
    FW: int = 4           # frequency-counter width (saturating)
    FULL_BYTES: int = 4096
    LOW_BYTES: int = 1024

    def __post_init__(self):
        if self.S < 2 or self.S & (self.S - 1):
            raise ValueError("S must be a power of two >= 2")
        if self.K < 1 or self.K > self.S:
            raise ValueError("need 1 <= K <= S")
        if self.E < 2 or self.P < 1 or self.D < 1:
            raise ValueError("need E >= 2, P >= 1, D >= 1")

    @property
    def EW(self) -> int:
        return max(1, clog2(self.E))

    @property
    def SW(self) -> int:
        return clog2(self.S)

    def verilog(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in
                ("E", "S", "K", "P", "D", "GW", "LW", "FW", "FULL_BYTES", "LOW_BYTES")}


# --- tag store ----------------------------------------------------------------------------------

@dataclass
class Slot:
    valid: bool = False
    tag: int = 0
    lowp: bool = False
    pf: bool = False      # filled by a prefetch and not yet hit
    age: int = 0          # LRU rank: 0 = most recently used; valid slots hold distinct ranks
    freq: int = 0
    layer: int = 0


class TagStore:
    """Slot state plus the two update operations (touch on hit, fill on load)."""

    def __init__(self, p: Params):
        self.p = p
        self.slots = [Slot() for _ in range(p.S)]

    def lookup(self, expert: int) -> int | None:
        """Slot holding `expert`, or None. At most one slot holds a given expert."""
        for i, s in enumerate(self.slots):
            if s.valid and s.tag == expert:
                return i
        return None

    def _age_update(self, s: int) -> None:
        """Make slot s most recent: valid slots younger than s (all, if s was invalid) age by one."""
        me = self.slots[s]
        for j, o in enumerate(self.slots):
            if j != s and o.valid and (not me.valid or o.age < me.age):
                o.age += 1
        me.age = 0

    def touch(self, s: int, layer: int) -> bool:
        """A demand hit on slot s. Returns whether it was a prefetch hit."""
        self._age_update(s)
        sl = self.slots[s]
        sl.freq = min(sl.freq + 1, (1 << self.p.FW) - 1)
        sl.layer = layer
        was_pf = sl.pf
        sl.pf = False
        return was_pf

    def fill(self, s: int, expert: int, lowp: bool, prefetch: bool, layer: int) -> None:
        self._age_update(s)
        sl = self.slots[s]
        sl.valid, sl.tag, sl.lowp, sl.pf = True, expert, lowp, prefetch
        sl.freq = 0 if prefetch else 1
        sl.layer = layer


def keep_score(p: Params, sl: Slot, policy: int, cur_layer: int) -> int:
    """How much the policy wants to keep a valid slot; the victim has the lowest score."""
    rec = (p.S - 1) - sl.age
    if policy == POLICY_LFU:
        return (sl.freq << p.SW) | rec
    if policy == POLICY_HOBBIT:
        nl = 1 << p.LW
        dist = (sl.layer - cur_layer - 1) % nl   # layers until this slot's layer runs again, minus one
        near = (nl - 1) - dist
        return rec + sl.freq + near
    return rec  # LRU, and the reserved policy code 3


def victim_select(p: Params, slots: list[Slot], busy: int, policy: int, cur_layer: int) -> int | None:
    """Victim slot among those not busy: an invalid slot first, else the lowest keep score;
    ties go to the lowest index. None when every slot is busy."""
    best, best_key = None, None
    for j, sl in enumerate(slots):
        if busy >> j & 1:
            continue
        key = (1, keep_score(p, sl, policy, cur_layer)) if sl.valid else (0, 0)
        if best_key is None or key < best_key:
            best, best_key = j, key
    return best


# --- CSR block ----------------------------------------------------------------------------------

class Csr:
    """Registers and counters of the AXI4-Lite block."""

    def __init__(self, p: Params):
        self.p = p
        self.reset()

    def reset(self) -> None:
        self.policy = 0
        self.pf_en = False
        self.threshold = 0
        self.clear()

    def clear(self) -> None:
        self.counters = {n: 0 for n in COUNTER_ADDRS.values()}
        self.bytes = 0

    def count(self, name: str) -> None:
        self.counters[name] = (self.counters[name] + 1) & M32

    def add_bytes(self, n: int) -> None:
        self.bytes = (self.bytes + n) & M64

    def ctrl_value(self) -> int:
        return self.policy | (int(self.pf_en) << 4)

    def write(self, addr: int, data: int, strb: int = 0xF) -> None:
        addr &= 0xFC
        mask = 0
        for b in range(4):
            if strb >> b & 1:
                mask |= 0xFF << (8 * b)
        if addr == A_CTRL:
            v = (self.ctrl_value() & ~mask) | (data & mask)
            self.policy = v & 3
            self.pf_en = bool(v >> 4 & 1)
        elif addr == A_THRESH:
            gm = (1 << self.p.GW) - 1
            v = (self.threshold & ~mask) | (data & mask)
            self.threshold = v & gm
        elif addr == A_CLEAR:
            if strb:
                self.clear()

    def read(self, addr: int) -> int:
        addr &= 0xFC
        if addr == A_CTRL:
            return self.ctrl_value()
        if addr == A_THRESH:
            return self.threshold
        if addr == A_INFO:
            return ((self.p.E & 0xFFFF) << 16) | ((self.p.S & 0xFF) << 8) | (self.p.K & 0xFF)
        if addr in COUNTER_ADDRS:
            return self.counters[COUNTER_ADDRS[addr]]
        if addr == A_BYTES_LO:
            return self.bytes & M32
        if addr == A_BYTES_HI:
            return self.bytes >> 32
        return 0


# --- top level ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DmaReq:
    expert: int
    lowp: bool
    slot: int


@dataclass(frozen=True)
class Response:
    slots: tuple[int, ...]
    hits: tuple[bool, ...]
    lowp: tuple[bool, ...]


@dataclass
class Stats:
    """Extra bookkeeping for the policy study (not visible in the RTL)."""

    accesses: int = 0
    stalls: int = 0
    pf_dropped: int = 0


class OffloadModel:
    """The whole controller at transaction level.

    Inputs, in the order the RTL accepted them: `request`, `prefetch`, `release`, `csr_write`,
    `reset`. Outputs: `dma` (deque of DmaReq) and `responses` (deque of Response), in order.
    A demand miss that finds every slot busy stalls the model (`stalled`) until `release`.
    """

    def __init__(self, p: Params):
        self.p = p
        self.reset()

    def reset(self) -> None:
        self.tags = TagStore(self.p)
        self.csr = Csr(self.p)
        self.inflight: deque[int] = deque()   # busy masks of tokens responded, not released
        self.dma: deque[DmaReq] = deque()
        self.responses: deque[Response] = deque()
        self.stats = Stats()
        self._job = None
        self._cur = 0

    # -- state queries --
    @property
    def stalled(self) -> bool:
        return self._job is not None

    def can_accept_request(self) -> bool:
        return self._job is None and len(self.inflight) < self.p.D

    def busy_mask(self) -> int:
        m = self._cur
        for x in self.inflight:
            m |= x
        return m

    # -- inputs --
    def csr_write(self, addr: int, data: int, strb: int = 0xF) -> None:
        self.csr.write(addr, data, strb)

    def csr_read(self, addr: int) -> int:
        return self.csr.read(addr)

    def request(self, ids, gates, layer: int) -> None:
        if not self.can_accept_request():
            raise AssertionError("request accepted while the controller could not accept one")
        self._job = self._serve(list(ids), list(gates), layer)
        self._advance()

    def prefetch(self, ids, layer: int) -> None:
        if self._job is not None:
            raise AssertionError("prefetch accepted while a request was stalled")
        if not self.csr.pf_en:
            return
        self._cur = 0
        for e in ids:
            if self.tags.lookup(e) is not None:
                continue
            v = victim_select(self.p, self.tags.slots, self.busy_mask(), self.csr.policy, layer)
            if v is None:
                self.stats.pf_dropped += 1
                break
            self._load(e, v, False, True, layer)
        self._cur = 0

    def release(self) -> None:
        if not self.inflight:
            raise AssertionError("release accepted with no token in flight")
        self.inflight.popleft()
        if self._job is not None:
            self._advance()

    # -- internals --
    def _advance(self) -> None:
        try:
            next(self._job)
        except StopIteration:
            self._job = None

    def _load(self, e: int, v: int, lowp: bool, prefetch: bool, layer: int) -> None:
        self.tags.fill(v, e, lowp, prefetch, layer)
        self._cur |= 1 << v
        self.dma.append(DmaReq(e, lowp, v))
        self.csr.add_bytes(self.p.LOW_BYTES if lowp else self.p.FULL_BYTES)
        self.csr.count("pf_loads" if prefetch else "misses")
        if lowp:
            self.csr.count("lowp_loads")

    def _serve(self, ids, gates, layer):
        self._cur = 0
        slots, hits, lowps = [], [], []
        for e, g in zip(ids, gates):
            self.stats.accesses += 1
            s = self.tags.lookup(e)
            if s is not None:
                self.csr.count("hits")
                if self.tags.touch(s, layer):
                    self.csr.count("pf_hits")
                self._cur |= 1 << s
                slots.append(s), hits.append(True), lowps.append(self.tags.slots[s].lowp)
                continue
            while True:
                v = victim_select(self.p, self.tags.slots, self.busy_mask(), self.csr.policy, layer)
                if v is not None:
                    break
                self.stats.stalls += 1
                yield "stall"
            lowp = g < self.csr.threshold
            self._load(e, v, lowp, False, layer)
            slots.append(v), hits.append(False), lowps.append(lowp)
        self.inflight.append(self._cur)
        self._cur = 0
        self.responses.append(Response(tuple(slots), tuple(hits), tuple(lowps)))
