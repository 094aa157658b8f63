"""A module's ports and the roles of their names, shared by every place that drives or checks a design
it did not write: the data pipeline's descriptions and auto-testbenches, the consensus bench of
`rtlgen generate` and the hierarchical generator's interface check. One rule, so a port the pipeline
calls a reset is the port generation resets.
"""

from __future__ import annotations

import re

_CLOCK = re.compile(r"^(i_|in_)?(clk|clock|aclk|clk_i|clk_in|sys_clk|i_clk|hclk|pclk|wb_clk_i|s_axi_aclk|m_axi_aclk)$"
                    r"|(^|_)clk($|_i$|_in$)", re.I)
_RESET = re.compile(r"(^|_)(a?rst|a?reset|rstn|resetn|nrst|nreset|areset|arst)(_?n|_?b|_ni|_i|_in)?($|_)", re.I)
_ACTIVE_LOW = re.compile(r"(_n|n|_b|_ni)$|^n", re.I)


def is_clock(name: str) -> bool:
    return bool(_CLOCK.search(name))


def is_reset(name: str) -> bool:
    return bool(_RESET.search(name)) and not is_clock(name)


def reset_active_low(name: str) -> bool:
    """rst_n, resetn, nreset, arst_b … are active low; rst, reset, areset, arst are active high."""
    base = re.sub(r"^(i_|in_)|(_i|_in)$", "", name.lower())
    return bool(_ACTIVE_LOW.search(base)) and base not in ("rst", "reset", "areset", "arst")


def _compilation(source: str, top: str):
    """A pyslang compilation of `source`; None when pyslang is missing."""
    try:
        from pyslang import ast, syntax
    except ImportError:  # pragma: no cover - pyslang is a dependency
        return None
    comp = ast.Compilation()
    comp.addSyntaxTree(syntax.SyntaxTree.fromText(source, f"{top}.sv"))
    return comp


def _ports(comp, top: str) -> list[tuple[str, str, int]] | None:
    for inst in comp.getRoot().topInstances:
        if inst.name != top:
            continue
        out = []
        for p in inst.body.portList:
            d = str(getattr(p, "direction", "?")).split(".")[-1].lower()
            typ = getattr(p, "type", None)
            width = int(typ.bitWidth) if typ is not None and typ.isIntegral else 0
            out.append((p.name, {"in": "input", "out": "output"}.get(d, d), width))
        return out
    return None


def elaborated_ports(source: str, top: str) -> list[tuple[str, str, int]] | None:
    """(name, direction, bit width) of each port of module `top` as pyslang elaborates it (default
    parameters); width 0 for a port that is not an integral vector. None when pyslang is missing or
    `top` is not a top-level module of `source`."""
    comp = _compilation(source, top)
    return None if comp is None else _ports(comp, top)


def elaborate(source: str, top: str) -> tuple[list[tuple[str, str, int]] | None, int]:
    """`elaborated_ports` and the number of error diagnostics, from one compilation (the diagnostics
    cost a full elaboration, so callers that need only the ports use `elaborated_ports`)."""
    comp = _compilation(source, top)
    if comp is None:
        return None, 0
    return _ports(comp, top), sum(1 for d in comp.getAllDiagnostics() if d.isError())
