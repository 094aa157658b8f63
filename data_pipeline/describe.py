"""Stage 5: descriptions. The offline default is deterministic and built from the AST: purpose
hints from the module's comments, parameters, ports with directions and widths, clocks and
resets, state machines, memories and submodules. An optional teacher LLM (any OpenAI-compatible
endpoint: vLLM, TGI, llama.cpp server, OpenAI) writes a one-paragraph summary and a detailed
block-level spec; its answers are cached by the module's hash and the model name.
"""

from __future__ import annotations

import os
import re

from data_pipeline.util import strip_comments
from eval.signals import is_clock, is_reset, reset_active_low


def analyze(code: str) -> dict:
    """Ports, parameters and structure of one module, from pyslang's elaborated view.

    The module is elaborated alone, with its default parameters; submodules it instantiates are
    unknown to it, which pyslang tolerates.
    """
    from pyslang import ast, syntax

    tree = syntax.SyntaxTree.fromText(code, "m.sv")
    comp = ast.Compilation()
    comp.addSyntaxTree(tree)
    info = {"ports": [], "params": [], "ok": False}
    tops = list(comp.getRoot().topInstances)
    if not tops:
        return info
    body = tops[0].body
    for p in body.portList:
        try:
            direction = str(p.direction).split(".")[-1].lower()
            typ = p.type
            info["ports"].append({"name": p.name, "dir": {"in": "input", "out": "output"}.get(direction, direction),
                                  "width": int(typ.bitWidth), "type": str(typ),
                                  "simple": bool(typ.isIntegral) and not typ.isUnpackedArray if hasattr(typ, "isUnpackedArray") else bool(typ.isIntegral),
                                  "signed": bool(getattr(typ, "isSigned", False))})
        except Exception:  # noqa: BLE001 - interface ports and the like
            info["ports"].append({"name": getattr(p, "name", "?"), "dir": "other", "width": 0, "type": "?", "simple": False})
    for prm in body.parameters:
        try:
            info["params"].append({"name": prm.name, "value": str(prm.value)})
        except Exception:  # noqa: BLE001
            info["params"].append({"name": prm.name, "value": "?"})
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    info["ok"] = not errors
    info["n_errors"] = len(errors)
    return info


def _comment_hints(code: str, max_chars: int = 400) -> str:
    """Purpose hints: the first prose comments of the module (license boilerplate skipped)."""
    hints = []
    for m in re.finditer(r"//([^\n]*)|/\*(.*?)\*/", code, re.S):
        txt = (m.group(1) or m.group(2) or "").strip(" *-=/\t\n")
        txt = re.sub(r"\s+", " ", txt)
        if len(txt) < 12 or re.search(r"copyright|licen[cs]e|warrant|permission|author|\$id|all rights|spdx", txt, re.I):
            continue
        if not re.search(r"[a-zA-Z]{3,} [a-zA-Z]{2,}", txt):
            continue
        hints.append(txt)
        if sum(len(h) for h in hints) > max_chars:
            break
    out = " ".join(hints)
    return out[:max_chars].rsplit(" ", 1)[0] if len(out) > max_chars else out


def structure(code: str) -> dict:
    body = strip_comments(code)
    return {
        "always_ff": len(re.findall(r"\balways_ff\b|\balways\s*@\s*\(\s*(posedge|negedge)", body)),
        "always_comb": len(re.findall(r"\balways_comb\b|\balways\s*@\s*\(\s*\*\s*\)|\balways\s*@\*", body)),
        "assign": len(re.findall(r"\bassign\b", body)),
        "case": len(re.findall(r"\bcase[zx]?\b", body)),
        "fsm": bool(re.search(r"\b\w*state\w*\b", body, re.I) and re.search(r"\bcase[zx]?\s*\(\s*\w*state", body, re.I)),
        "memory": bool(re.search(r"\b(reg|logic)\b[^;]*\b\w+\s*\[[^\]]+\]\s*(;|=)", body) and
                       re.search(r"\b(reg|logic)\s*(\[[^\]]*\])?\s*\w+\s*\[[^\]]+:[^\]]+\]\s*;", body)),
        "generate": bool(re.search(r"\bgenerate\b|\bgenvar\b", body)),
        "lines": len([l for l in code.splitlines() if l.strip()]),
    }


def _width(p: dict) -> str:
    return f"{p['width']}-bit" if p["width"] != 1 else "1-bit"


def port_lines(ports: list[dict]) -> list[str]:
    """VerilogEval v2 interface lines: ` - input  in  (8 bits)`."""
    lines = []
    for p in ports:
        w = f" ({p['width']} bits)" if p["width"] != 1 else ""
        lines.append(f" - {p['dir']:<6} {p['name']}{w}")
    return lines


def describe(name: str, code: str, info: dict, instances: list[str], doc: str = "") -> str:
    """A deterministic paragraph about the module (no model involved)."""
    s = structure(code)
    ins = [p for p in info["ports"] if p["dir"] == "input"]
    outs = [p for p in info["ports"] if p["dir"] == "output"]
    clocks = [p["name"] for p in ins if is_clock(p["name"]) and p["width"] == 1]
    resets = [p["name"] for p in ins if is_reset(p["name"]) and p["width"] == 1]
    kind = "sequential" if clocks or s["always_ff"] else "combinational"
    parts = []
    hint = _comment_hints(doc + "\n" + code)
    parts.append(f"Module `{name}` is a {kind} circuit" + (f". Its comments say: \"{hint}\"" if hint else "") + ".")
    if info["params"]:
        parts.append("Parameters: " + ", ".join(f"{p['name']} (default {p['value']})" for p in info["params"][:12]) + ".")
    if ins:
        parts.append("Inputs: " + ", ".join(f"{p['name']} ({_width(p)})" for p in ins[:24]) + ".")
    if outs:
        parts.append("Outputs: " + ", ".join(f"{p['name']} ({_width(p)})" for p in outs[:24]) + ".")
    if clocks:
        parts.append(f"It is clocked by {', '.join(clocks)}" + (
            f" and reset by {', '.join(r + (' (active low)' if reset_active_low(r) else ' (active high)') for r in resets)}"
            if resets else " and has no reset input") + ".")
    feats = []
    if s["fsm"]:
        feats.append("a finite-state machine (a case statement over a state register)")
    if s["memory"]:
        feats.append("a memory array")
    if s["generate"]:
        feats.append("generate blocks")
    if s["always_ff"]:
        feats.append(f"{s['always_ff']} clocked process{'es' if s['always_ff'] > 1 else ''}")
    if s["always_comb"]:
        feats.append(f"{s['always_comb']} combinational process{'es' if s['always_comb'] > 1 else ''}")
    if s["assign"]:
        feats.append(f"{s['assign']} continuous assignment{'s' if s['assign'] > 1 else ''}")
    if feats:
        parts.append("The implementation uses " + ", ".join(feats) + ".")
    if instances:
        parts.append("It instantiates " + ", ".join(f"`{i}`" for i in instances[:12]) + ".")
    return " ".join(parts)


TEACHER_PROMPTS = {
    "summary": "Summarise in one paragraph what this Verilog module does, for a hardware engineer. "
               "Describe behaviour, not syntax.\n\n```verilog\n{code}\n```",
    "detailed": "Write a detailed block-level specification of this Verilog module: interface (each port, "
                "direction, width, meaning), parameters, reset and clocking behaviour, and the function of each "
                "block, precise enough to re-implement it.\n\n```verilog\n{code}\n```",
}


def teacher_describe(code: str, grain: str, cfg, client=None) -> str:
    """One description from an OpenAI-compatible chat endpoint (`cfg.base_url`, `cfg.model`)."""
    import httpx

    headers = {"Content-Type": "application/json"}
    key = os.environ.get(cfg.api_key_env, "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = {"model": cfg.model, "temperature": 0.0, "max_tokens": 512 if grain == "summary" else 1500,
            "messages": [{"role": "system", "content": "You are an expert digital hardware designer."},
                         {"role": "user", "content": TEACHER_PROMPTS[grain].format(code=code)}]}
    own = client is None
    client = client or httpx.Client(timeout=cfg.timeout_s)
    try:
        r = client.post(cfg.base_url.rstrip("/") + "/chat/completions", json=body, headers=headers)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"].strip()
    finally:
        if own:
            client.close()
