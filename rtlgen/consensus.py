"""Functional consensus: pick the candidate whose *behaviour* most other candidates share.

Why: a small model's sampled pass@10 is several times its pass@1, so among N candidates there is
often a right one, but "compiles lint-clean, earlier first" cannot tell it from a wrong one.
Wrong answers tend to be wrong in different ways, right ones agree (the self-consistency idea of
CodeT / VRank). Without the user's testbench or any reference we can still measure agreement:
drive every candidate with the SAME seeded random stimulus, built from the interface alone,
record every output each cycle, and group candidates by identical traces. The biggest group wins.

Steps (`functional_consensus`):
1. Ports of the top module of each candidate (pyslang; a regex fallback for ANSI headers). The
   reference interface is the spec's header when given, else the majority port set; candidates
   whose ports differ (names, directions, widths) cannot share a bench and are left out.
2. One deterministic testbench per task (`make_testbench`): a clock (clk/clock/…) and reset
   (reset/rst/areset/rst_n/resetn…, active low when the name says so) are detected; reset is held
   for a few cycles, then ~200 cycles of random inputs (and a few all-0/all-1 vectors, and rare
   reset pulses). Outputs are sampled just before each rising edge (sequential) or #1 after the
   inputs change (combinational) and printed with %b so x/z stay visible.
3. Each candidate is compiled with the bench and simulated under Icarus through the sandbox with
   a time and output limit: a hang, flood or crash removes only that candidate.
4. Clusters of identical traces; ranking = cluster size desc, then lint-clean, then earlier index.
   With `demote_degenerate`, clusters whose trace is degenerate come after all others whatever
   their size: "undefined" (every output bit x/z at every sample: the outputs are never driven)
   last, "constant" (no output ever changes although the data inputs do) before it. Small models
   produce such answers often and alike (`assign out = 0;`, an undriven output), so they win a
   pure size vote; a task whose right answer is constant has no data inputs or loses only to
   clusters that at least react to their inputs.

Nothing is cached between calls; `workers` threads simulate in parallel (each run in its own dir).
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from eval.extract import strip_comments
from eval.sandbox import Limits, RunDir, forbidden_system_tasks
from eval.signals import elaborated_ports, is_clock, is_reset, reset_active_low
from eval.simulators import iverilog_compile, vvp_run

TB_TOP = "rtlgen_consensus_tb"
# where a cluster goes in the preference order by its degeneracy (see the module docstring)
DEGENERATE_RANK = {None: 0, "constant": 1, "undefined": 2}
MARK = "#RTLGEN-C"  # prefix of the lines the bench prints; other output is not part of the trace


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "input" | "output" | "inout"
    width: int

    def __str__(self) -> str:
        return f"{self.direction} [{self.width}] {self.name}"


Signature = tuple  # sorted tuple of Ports: order-free, since the bench connects by name


def signature(ports) -> Signature:
    return tuple(sorted(ports, key=lambda p: p.name))


def parse_ports(source: str, top: str) -> Signature | None:
    """The top module's ports as elaborated by pyslang (default parameters); the regex fallback
    reads an ANSI header with constant widths. None when the ports cannot be known, or a port is
    not a plain integral vector (unpacked arrays, reals, interfaces: the bench cannot drive them)."""
    try:
        ports = elaborated_ports(source, top)
    except Exception:  # noqa: BLE001 - pyslang confused: try the header by hand
        ports = None
    if ports is not None:
        if any(d not in ("input", "output", "inout") or w < 1 for _, d, w in ports):
            return None
        return signature(Port(n, d, w) for n, d, w in ports) if ports else None
    return _regex_ports(source, top)


_HDR = re.compile(r"\bmodule\s+(\w+)\s*(?:#\s*\((?:[^()]|\([^()]*\))*\)\s*)?\((.*?)\)\s*;", re.S)


def _regex_ports(source: str, top: str) -> Signature | None:
    for m in _HDR.finditer(strip_comments(source)):
        if m.group(1) != top:
            continue
        ports, direction, width = [], None, 1
        for item in m.group(2).split(","):
            item = item.strip()
            d = re.match(r"(input|output|inout)\b\s*(?:wire|reg|logic)?\s*(signed)?\s*(\[[^\]]*\])?\s*(\w+)$", item)
            if d:
                direction = d.group(1)
                width = _const_width(d.group(3))
                name = d.group(4)
            elif re.fullmatch(r"\w+", item) and direction:
                name = item
            else:
                return None
            if width is None:
                return None
            ports.append(Port(name, direction, width))
        return signature(ports) if ports else None
    return None


def _const_width(rng: str | None) -> int | None:
    if not rng:
        return 1
    m = re.fullmatch(r"\[\s*(\d+)\s*:\s*(\d+)\s*\]", rng)
    return abs(int(m.group(1)) - int(m.group(2))) + 1 if m else None


def interface_ports(interface: str, top: str) -> Signature | None:
    """Ports of a given module header (code-completion tasks, or a header in the user's spec)."""
    text = interface.strip()
    if not re.search(r"\bendmodule\b", text):
        text += "\nendmodule\n"
    return parse_ports(text, top)


# --- the stimulus bench ------------------------------------------------------------------------

@dataclass
class Bench:
    """One task's testbench and the roles it gave the ports."""

    source: str
    clock: str | None
    reset: str | None
    reset_active_low: bool
    cycles: int
    out_bits: int
    data_inputs: int = 0  # inputs other than clock and reset


def _lit(width: int, value: int) -> str:
    return f"{width}'h{value:x}"


def make_testbench(ports: Signature, top: str, *, seed: int = 0, cycles: int = 200, reset_cycles: int = 3,
                   reset_pulse_p: float = 0.03) -> Bench:
    """A self-contained Verilog bench driving `top` by port name with seeded random stimulus.

    The stimulus is drawn in Python and written as literals, so it is identical for every candidate
    and independent of the simulator's $random. Every output is printed with %b each sample."""
    rng = random.Random(f"rtlgen-consensus:{seed}:{top}:{ports}")
    ins = [p for p in ports if p.direction == "input"]
    outs = [p for p in ports if p.direction != "input"]
    clock = next((p.name for p in ins if p.width == 1 and is_clock(p.name)), None)
    reset = next((p.name for p in ins if p.width == 1 and is_reset(p.name)), None) if clock else None
    low = reset_active_low(reset) if reset else False
    data = [p for p in ins if p.name not in (clock, reset)]

    def sig(p: Port) -> str:
        return f"s_{p.name}"

    L = ["`timescale 1ns/1ps", f"module {TB_TOP};"]
    for p in ins:
        L.append(f"  reg [{p.width - 1}:0] {sig(p)};")
    for p in outs:
        L.append(f"  wire [{p.width - 1}:0] {sig(p)};")
    conns = ", ".join(f".{p.name}({sig(p)})" for p in ports)
    L.append(f"  {top} dut ({conns});")
    fmt = " ".join(["%0d"] + ["%b"] * len(outs))
    args = ", ".join(["cyc"] + [sig(p) for p in outs])
    L += ["  integer cyc;", "  task sample;", f'    $display("{MARK} {fmt}", {args});', "  endtask"]

    def vector(kind: str) -> list[str]:
        vals = []
        for p in data:
            v = 0 if kind == "zeros" else (1 << p.width) - 1 if kind == "ones" else rng.getrandbits(p.width)
            vals.append(f"{sig(p)} = {_lit(p.width, v)};")
        return vals

    kinds = ["zeros", "ones", "zeros", "ones"] + ["random"] * max(0, cycles - 4)
    body = ["  initial begin", "    cyc = 0;"]
    body += ["    " + s for s in vector("zeros")]
    on, off = ("1'b0", "1'b1") if low else ("1'b1", "1'b0")
    if clock:
        body.append(f"    {sig(Port(clock, 'input', 1))} = 1'b0;")
        if reset:
            body.append(f"    s_{reset} = {on};")
        for _ in range(reset_cycles if reset else 1):
            body.append(f"    #5 s_{clock} = 1'b1; #5 s_{clock} = 1'b0;")
        for i, kind in enumerate(kinds):
            step = vector(kind)
            if reset:
                pulse = i >= 4 and rng.random() < reset_pulse_p
                step.append(f"s_{reset} = {on if pulse else off};")
            # inputs change at the falling edge; outputs sampled 1 ns before the rising edge
            body.append(f"    cyc = {i}; " + " ".join(step) + f" #4 sample; #1 s_{clock} = 1'b1; #5 s_{clock} = 1'b0;")
        body.append(f"    cyc = {len(kinds)}; #4 sample;")
    else:
        for i, kind in enumerate(kinds):
            body.append(f"    cyc = {i}; " + " ".join(vector(kind)) + " #1 sample; #4;")
    body += [f'    $display("{MARK} END");', "    $finish;", "  end"]
    L += body + ["endmodule", ""]
    return Bench("\n".join(L), clock, reset, low, len(kinds), sum(p.width for p in outs), len(data))


# --- simulating and clustering -----------------------------------------------------------------

@dataclass
class Behaviour:
    index: int
    status: str  # ok | no-code | ports | forbidden | compile | timeout | flood | crash
    trace: str | None = None  # sha256 of the marked lines
    seconds: float = 0.0
    detail: str = ""
    degenerate: str | None = None  # None | "constant" | "undefined" (see the module's docstring)


@dataclass
class Consensus:
    """What `functional_consensus` found; `ranking` holds only candidates that ran to the end."""

    ranking: list[int]
    clusters: list[list[int]]  # indices with identical traces, biggest first
    behaviours: dict[int, Behaviour]
    interface: Signature | None
    interface_from: str  # "spec" | "majority" | "none"
    bench: Bench | None = None
    seconds: float = 0.0

    def cluster_of(self, index: int) -> list[int]:
        return next((c for c in self.clusters if index in c), [])

    def cluster_size(self, index: int) -> int:
        return len(self.cluster_of(index))

    def cluster_rank(self, index: int) -> int:
        """Position of the index's cluster in the preference order (len(clusters) when in none)."""
        return next((k for k, c in enumerate(self.clusters) if index in c), len(self.clusters))

    def summary(self) -> dict:
        """A JSON-friendly account for reports."""
        st = Counter(b.status for b in self.behaviours.values())
        return {"interface_from": self.interface_from,
                "interface": [str(p) for p in self.interface] if self.interface else None,
                "clock": self.bench.clock if self.bench else None,
                "reset": self.bench.reset if self.bench else None,
                "clusters": self.clusters, "cluster_sizes": [len(c) for c in self.clusters],
                "degenerate": [self.behaviours[c[0]].degenerate for c in self.clusters],
                "status": dict(st), "seconds": round(self.seconds, 3)}


def simulate(index: int, source: str, bench: Bench, top: str, wall_s: float = 5.0) -> Behaviour:
    """Compile `source` with the bench and run it in the sandbox; the marked lines are the trace."""
    t0 = time.monotonic()
    if forbidden_system_tasks(source):
        return Behaviour(index, "forbidden", seconds=time.monotonic() - t0)
    # an expected trace is (cycles) lines of (outputs' bits + counters); allow plenty, cut floods
    cap = max(256 << 10, 4 * (bench.cycles + 8) * (bench.out_bits + 2 * bench.out_bits // 8 + 24))
    with RunDir(prefix="rtlgen-cons-") as rd:
        (rd / "design.sv").write_text(source)
        (rd / "tb.sv").write_text(bench.source)
        # a runaway elaboration (huge arrays) must not cost more than a candidate is worth
        comp = iverilog_compile(rd, ["tb.sv", "design.sv"], out="c.vvp", top=TB_TOP,
                                limits=Limits(wall_s=max(10.0, 2 * wall_s), mem_bytes=1 << 30))
        if comp.returncode != 0 or not (rd / "c.vvp").exists():
            return Behaviour(index, "compile", seconds=time.monotonic() - t0, detail=comp.output[-300:])
        sim = vvp_run(rd, "c.vvp", limits=Limits(wall_s=wall_s, output_bytes=cap))
    status = "timeout" if sim.timed_out else "flood" if sim.truncated else \
        "crash" if (sim.returncode != 0 or sim.signal is not None) else "ok"
    if status != "ok":
        return Behaviour(index, status, seconds=time.monotonic() - t0, detail=sim.output[-300:])
    lines = [ln for ln in sim.stdout.splitlines() if ln.startswith(MARK)]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return Behaviour(index, "ok", digest, time.monotonic() - t0, degenerate=degeneracy(lines, bench))


def degeneracy(lines: list[str], bench: Bench) -> str | None:
    """"undefined" when every sampled output bit is x or z; "constant" when the bench varies data
    inputs and no output value ever changes; else None."""
    values = [ln.split()[2:] for ln in lines if not ln.endswith(" END")]
    if not values or not bench.out_bits:
        return None
    bits = "".join("".join(v) for v in values).lower()
    if bits and not bits.strip("xz"):
        return "undefined"
    if bench.data_inputs and all(v == values[0] for v in values):
        return "constant"
    return None


def functional_consensus(sources: list[str | None], top: str, *, interface: str | None = None,
                         lint_clean: list[bool] | None = None, seed: int = 0, cycles: int = 200,
                         workers: int = 2, wall_s: float = 5.0, demote_degenerate: bool = True) -> Consensus:
    """Cluster `sources` (full Verilog of each candidate, None where there is none) by behaviour.

    `interface`: a module header from the spec; when its ports parse they define the bench,
    otherwise the majority port set of the candidates does (ties: the earliest candidate's)."""
    t0 = time.monotonic()
    behaviours: dict[int, Behaviour] = {}
    sigs: dict[int, Signature] = {}
    for i, src in enumerate(sources):
        if not src:
            behaviours[i] = Behaviour(i, "no-code")
            continue
        s = parse_ports(src, top)
        if s is None:
            behaviours[i] = Behaviour(i, "ports", detail="ports could not be read")
        else:
            sigs[i] = s
    want, origin = (interface_ports(interface, top), "spec") if interface else (None, "none")
    if want is None and sigs:
        counts = Counter(sigs.values())
        best = max(counts.values())
        want = next(s for s in sigs.values() if counts[s] == best)  # dicts keep insertion order
        origin = "majority"
    if want is None:
        return Consensus([], [], behaviours, None, "none", None, time.monotonic() - t0)
    for i, s in sigs.items():
        if s != want:
            behaviours[i] = Behaviour(i, "ports", detail="ports differ from the interface")
    todo = [i for i in sigs if i not in behaviours]
    bench = make_testbench(want, top, seed=seed, cycles=cycles)
    first: dict[str, int] = {}  # identical sources behave identically: simulate one of each
    for i in todo:
        first.setdefault(sources[i], i)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for b in pool.map(lambda i: simulate(i, sources[i], bench, top, wall_s), sorted(set(first.values()))):
            behaviours[b.index] = b
    for i in todo:
        if i not in behaviours:
            b = behaviours[first[sources[i]]]
            behaviours[i] = Behaviour(i, b.status, b.trace, 0.0, "same source as candidate " + str(b.index),
                                      b.degenerate)
    groups: dict[str, list[int]] = {}
    for i in sorted(behaviours):
        b = behaviours[i]
        if b.status == "ok":
            groups.setdefault(b.trace, []).append(i)
    lint = lint_clean or [False] * len(sources)
    rank = {c[0]: DEGENERATE_RANK[behaviours[c[0]].degenerate] if demote_degenerate else 0 for c in groups.values()}
    clusters = sorted(groups.values(), key=lambda c: (rank[c[0]], -len(c), c[0]))
    order = {i: (rank[c[0]], -len(c)) for c in clusters for i in c}
    ranking = sorted(order, key=lambda i: (order[i], not lint[i], i))
    return Consensus(ranking, clusters, dict(sorted(behaviours.items())), want, origin, bench,
                     time.monotonic() - t0)


# --- the pick of `rtlgen generate` -------------------------------------------------------------

def _level(chk) -> tuple:
    """The coarse quality of a generate Check (passes the user's tests > lint-clean > compiles): its
    score without the lint-warning count, which consensus outranks."""
    return chk.score()[:3]


def select_candidate(cands, top: str, *, interface: str | None = None, seed: int = 0, workers: int = 2,
                     wall_s: float = 5.0) -> tuple[int, dict | None]:
    """The index of the candidate `rtlgen generate` returns, and the consensus account (None when
    no consensus was needed).

    `cands` are generate's Candidates (`.index`, `.code`, `.check`). The existing quality levels
    stay first (a candidate that passes the user's testbench always wins; then lint-clean, then
    compiles). Among the candidates of the best level, the one whose behaviour the most compiling
    candidates share wins — every compiling candidate votes, not only the best level's — then
    fewer lint warnings, then the earlier one."""
    with_code = [c for c in cands if c.code]
    if not with_code:
        return max(cands, key=lambda c: (c.check.score(), -c.index)).index, None
    best = max(_level(c.check) for c in with_code)
    group = [c for c in with_code if _level(c.check) == best]
    if len(group) < 2 or not best[2]:  # nothing to break, or nothing compiles: no behaviour to compare
        return max(group, key=lambda c: (c.check.score(), -c.index)).index, None
    voters = [c for c in with_code if c.check.compiles]
    sources = [c.code for c in voters]
    cons = functional_consensus(sources, top, interface=interface, seed=seed, workers=workers, wall_s=wall_s,
                                lint_clean=[c.check.lint_clean for c in voters])
    pos = {c.index: k for k, c in enumerate(voters)}  # the group compiles, so all of it votes
    pick = min(group, key=lambda c: (cons.cluster_rank(pos[c.index]), c.check.lint_warnings, c.index))
    info = cons.summary()
    # report candidate indices, not positions among the voters
    info["clusters"] = [[voters[k].index for k in cl] for cl in cons.clusters]
    info["status_by_candidate"] = {voters[k].index: b.status for k, b in cons.behaviours.items()}
    info["picked_cluster_size"] = cons.cluster_size(pos[pick.index])
    info["voters"] = len(voters)
    return pick.index, info
