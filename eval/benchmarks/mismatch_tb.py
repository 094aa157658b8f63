"""Shared judging of testbenches that print `Mismatches: N in M samples` (VerilogEval v1 and v2).

A design can print its own `Mismatches: 0 …` line. The testbench copy in the run directory is
therefore patched to print a random nonce right after its own verdict, and only the verdict that
precedes the nonce counts. A design can also call `$finish` early so that the testbench compares
fewer vectors; the sample count must equal the reference's, when that is known.
"""

from __future__ import annotations

import re
import secrets

from eval.failures import PASS, classify_log

VERDICT = re.compile(r'(\$display\("Mismatches: %1d in %1d samples",[^;]*;)')
_LINE = re.compile(r"^Mismatches: (\d+) in (\d+) samples\s*$")


def patch_testbench(tb: str) -> tuple[str, str]:
    """(patched testbench, nonce)."""
    nonce = "rtlgen-tb-verdict-" + secrets.token_hex(8)
    patched, n = VERDICT.subn(lambda m: f'begin {m.group(1)} $display("{nonce}"); end', tb)
    if n == 0:
        raise ValueError("testbench has no Mismatches display")
    return patched, nonce


def tb_verdict(output: str, nonce: str) -> tuple[int, int] | None:
    """The (mismatches, samples) that the testbench itself printed, or None."""
    lines = output.splitlines()
    for i in range(len(lines) - 1, 0, -1):
        if lines[i].strip() == nonce:
            m = _LINE.match(lines[i - 1].strip())
            return (int(m.group(1)), int(m.group(2))) if m else None
    return None


def judge(log: str, candidate: str, nonce: str, expected_samples: int | None) -> tuple[str, tuple[int, int] | None]:
    """(failure class or PASS, the testbench's (mismatches, samples)) in VerilogEval v2's analyzer order."""
    code = classify_log(log, candidate)
    verdict = tb_verdict(log, nonce)
    if code in ("r", "R"):  # no compile-time class: the simulation verdict decides
        if verdict and verdict[0] == 0 and (expected_samples is None or verdict[1] == expected_samples):
            return PASS, verdict
    return code, verdict
