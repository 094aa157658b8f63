"""Synthetic MoE router traces: skewed expert popularity plus temporal locality between tokens.

Real router traces (Mixtral, DeepSeek) show two things an expert cache lives on: a few experts per
layer take most of the traffic (Zipf-like popularity), and consecutive tokens often reuse the
experts of the previous token. This generator has a knob for each, so the bench and the policy
study can drive the controller with realistic but reproducible workloads. Expert ids are global:
layer l owns ids l*EPL .. l*EPL+EPL-1 (taken modulo E when the design has fewer ids).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class TraceConfig:
    tokens: int = 64
    layers: int = 4           # layers per token (the RTL sees layer mod 2**LW)
    experts_per_layer: int = 8
    k: int = 2
    zipf: float = 1.0         # popularity skew (0 = uniform)
    locality: float = 0.5     # probability an expert of the previous token is reused
    gate_bits: int = 8
    seed: int = 0


@dataclass(frozen=True)
class Step:
    token: int
    layer: int
    ids: tuple[int, ...]
    gates: tuple[int, ...]


def router_trace(cfg: TraceConfig) -> list[Step]:
    """One Step per (token, layer) in execution order."""
    rng = random.Random(cfg.seed)
    epl = cfg.experts_per_layer
    if cfg.k > epl:
        raise ValueError("k must not exceed experts_per_layer")
    # per-layer popularity: Zipf over a random permutation of the layer's experts
    pops = []
    for _ in range(cfg.layers):
        perm = list(range(epl))
        rng.shuffle(perm)
        w = [0.0] * epl
        for rank, e in enumerate(perm):
            w[e] = 1.0 / (rank + 1) ** cfg.zipf
        pops.append(w)
    prev: list[list[int] | None] = [None] * cfg.layers
    gmax = (1 << cfg.gate_bits) - 1
    steps = []
    for t in range(cfg.tokens):
        for layer in range(cfg.layers):
            chosen: list[int] = []
            if prev[layer] is not None:
                for e in prev[layer]:
                    if rng.random() < cfg.locality and e not in chosen:
                        chosen.append(e)
            while len(chosen) < cfg.k:
                e = rng.choices(range(epl), weights=pops[layer])[0]
                if e not in chosen:
                    chosen.append(e)
            chosen = chosen[:cfg.k]
            prev[layer] = chosen
            # gate weights: softmax of popularity-biased logits over the chosen experts, top first
            logits = [math.log(pops[layer][e]) + rng.gauss(0, 1.0) for e in chosen]
            order = sorted(range(cfg.k), key=lambda i: -logits[i])
            mx = max(logits)
            ex = [math.exp(x - mx) for x in logits]
            tot = sum(ex)
            ids = tuple(layer * epl + chosen[i] for i in order)
            gates = tuple(min(gmax, round(gmax * ex[i] / tot)) for i in order)
            steps.append(Step(t, layer, ids, gates))
    return steps


def history_prediction(steps: list[Step], i: int, n: int) -> tuple[int, ...]:
    """Prefetch hint issued after step i: the experts the same layer used one token earlier for
    the step that comes next (a last-value predictor, the simplest of MoE-SpeQ's family)."""
    if i + 1 >= len(steps):
        return ()
    nxt = steps[i + 1]
    for j in range(i, -1, -1):
        if steps[j].layer == nxt.layer and steps[j].token < nxt.token:
            return steps[j].ids[:n]
    return ()
