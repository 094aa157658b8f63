"""Procedural instruction data: small, exact designs with natural-language specs, written by
parameterised generators ("families") instead of scraped from repositories.

Why: the benchmarks ask for small, exact designs (gates, muxes, counters, FSMs from tables …)
while the scraped corpus holds big, messy modules. Each family turns an rng into a `Design`
(spec in our own words + a reference module `TopModule` that compiles); `build.py` compiles,
dedups, decontaminates and exports them as round-2 rows and tested VerilogEval-v2-layout problems.
"""

from __future__ import annotations

import random

from data_pipeline.procedural import blocks, datapath, extra, fsm, logic, sequential, vectors  # noqa: F401  (registration)
from data_pipeline.procedural.common import FAMILIES, Design, Port, family

__all__ = ["FAMILIES", "Design", "Port", "family", "generate_one", "family_names"]


def family_names() -> list[str]:
    return sorted(FAMILIES)


def generate_one(name: str, seed: int | str) -> Design:
    """One design of family `name`, a pure function of (name, seed)."""
    fn, _tags = FAMILIES[name]
    return fn(random.Random(f"{name}:{seed}"))
