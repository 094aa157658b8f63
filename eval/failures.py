"""Failure classes of a sample, VerilogEval v2's codes plus rtlgen's own.

VerilogEval's analyzer (scripts/sv-iv-analyze) reads the combined compile+simulation log line by
line and stops at the first decisive pattern; `classify_log` reproduces that order exactly so that
our histograms match upstream's on the same logs.
"""

from __future__ import annotations

import re

PASS = "."
CLASSES = {
    "S": "syntax error",
    "e": "explicit cast required",
    "0": "zero-width constant",
    "n": "no sensitivities",
    "w": "assigned as wire",
    "m": "unknown module",
    "p": "unbound port",
    "c": "unbound clk",
    "C": "other compile error",
    "T": "timeout",
    "r": "async-reset mismatch",
    "R": "other mismatch",
    # rtlgen's own
    "X": "sandbox rejected (system task reaches outside the run directory)",
    "N": "no module found in the completion",
    "F": "tool crash or resource limit (memory, file size, output flood)",
}

_MISMATCH = re.compile(r"^Mismatches: (\d+) in (\d+) samples\s*$", re.M)


def last_mismatch(output: str) -> tuple[int, int] | None:
    """(mismatches, samples) of the last `Mismatches:` line; earlier ones may be the design's own."""
    found = _MISMATCH.findall(output)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def classify_log(log: str, candidate: str) -> str:
    """Class of a non-passing VerilogEval-style run, in upstream's precedence."""
    error_c = error_p = False
    for line in log.splitlines():
        if "syntax error" in line:
            return "S"
        if "error" in line:
            error_c = True
        if "error: This assignment requires an explicit cast" in line:
            return "e"
        if "error: Sized numeric constant must have a size greater than zero" in line:
            return "0"
        if "warning: always_comb process has no sensitivities" in line:
            return "n"
        if "found no sensitivities so it will never trigger" in line:
            return "n"
        if "is declared here as wire" in line:
            return "w"
        if "Unknown module type" in line:
            return "m"
        if "Unable to bind wire/reg" in line:
            error_p = True
        if "Unable to bind wire/reg/memory `clk'" in line:
            return "c"
        if "TIMEOUT" in line:
            return "T"
    if error_p:
        return "p"
    if error_c:
        return "C"
    for line in candidate.splitlines():
        if "posedge reset" in line or "negedge reset" in line or "posedge r)" in line:
            return "r"
    return "R"
