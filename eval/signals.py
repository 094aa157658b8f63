"""Clock and reset recognition by port name, shared by every place that drives a design it did not
write: the data pipeline's descriptions and auto-testbenches, and the consensus bench of
`rtlgen generate`. One rule, so a port the pipeline calls a reset is the port generation resets.
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
