"""Stage 1: modules out of HDL files (pyslang, with a per-file regex fallback).

Runs in worker processes, one file per call, and returns plain dicts so results can be cached by
the file's content hash. Packages, interfaces and the file's top-level preprocessor lines are
kept as context: a module that imports a package or uses a `define from its file only compiles
with them. Testbenches (no ports, `initial` stimulus) are separated from designs here because a
testbench is neither a training target nor a problem reference.
"""

from __future__ import annotations

import re

from eval.extract import module_blocks

EXTRACT_VERSION = "5"
_TB_NAME = re.compile(r"(^tb_|_tb$|^tb$|^tb\d|testbench|_test$|^test_|_tb_|^bench)", re.I)
_PREPROC = re.compile(r"^\s*`(define|include|timescale|default_nettype|ifdef|ifndef|else|elsif|endif|undef)\b.*$", re.M)
_INITIAL = re.compile(r"\binitial\b")


def check_text(data: bytes, max_nonprint: float) -> tuple[str | None, str | None]:
    """(text, None) or (None, drop reason) for a file's raw bytes."""
    if b"\0" in data[:65536]:
        return None, "binary/non-text"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not utf-8"
    if text:
        bad = sum(1 for ch in text[:200_000] if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or 0x7f <= ord(ch) < 0xa0)
        if bad / min(len(text), 200_000) > max_nonprint:
            return None, "binary/non-text"
    return text, None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _kind(name: str, has_ports: bool, code: str) -> str:
    if not has_ports and (_INITIAL.search(code) or _TB_NAME.search(name)):
        return "testbench"
    if not has_ports:
        return "no-ports"
    return "design"


def _pyslang_units(text: str, path: str):
    from pyslang import syntax

    tree = syntax.SyntaxTree.fromText(text, path)
    SK = syntax.SyntaxKind
    units = []
    root = tree.root
    # a file holding exactly one unit parses to that unit itself, not to a compilation unit
    members = [root] if root.kind in (SK.ModuleDeclaration, SK.PackageDeclaration, SK.InterfaceDeclaration) \
        else list(getattr(root, "members", []))
    for m in members:
        kind = m.kind
        if kind not in (SK.ModuleDeclaration, SK.PackageDeclaration, SK.InterfaceDeclaration):
            continue
        start, end = m.sourceRange.start.offset, m.sourceRange.end.offset
        name = m.header.name.valueText
        code = text[start:end]
        if kind == SK.ModuleDeclaration:
            ports = m.header.ports
            has_ports = ports is not None and len(str(ports).strip("() \n\t;")) > 0
            insts: list[str] = []

            def visit(node, insts=insts):
                if isinstance(node, syntax.HierarchyInstantiationSyntax):  # tokens share kind numbers
                    t = node.type.valueText
                    if t and t not in insts:
                        insts.append(t)
                return True

            m.visit(visit)
            units.append({"unit": "module", "name": name, "start": start, "end": end, "code": code,
                          "has_ports": has_ports, "instances": insts})
        else:
            units.append({"unit": "package" if kind == SK.PackageDeclaration else "interface", "name": name,
                          "start": start, "end": end, "code": code})
    return units


def _regex_units(text: str):
    units, pos = [], 0
    for name, code in module_blocks(text):
        start = text.find(code, pos)
        if start < 0:
            continue
        end = start + len(code)
        pos = end
        header = code.split(";", 1)[0]
        has_ports = bool(re.search(r"\(\s*[^)\s]", header))
        insts = []
        for mm in re.finditer(r"^\s*([A-Za-z_]\w*)\s+(?:#\s*\([^;]*?\)\s*)?([A-Za-z_]\w*)\s*\(", code, re.M):
            t = mm.group(1)
            if t not in ("module", "always", "assign", "if", "for", "case", "while", "function", "task", "begin",
                         "else", "initial", "wire", "reg", "input", "output", "logic", "integer",
                         "localparam", "parameter", "return", "function", "task", "genvar", "inout") and t not in insts and t != name:
                insts.append(t)
        units.append({"unit": "module", "name": name, "start": start, "end": end, "code": code,
                      "has_ports": has_ports, "instances": insts})
    return units


def extract_file(path: str, data: bytes, max_nonprint: float = 0.01) -> dict:
    """{'reason': drop reason or None, 'parser': ..., 'modules': [...], 'context': [...], 'preamble': str}."""
    text, reason = check_text(data, max_nonprint)
    if text is None:
        return {"reason": reason, "modules": [], "context": [], "preamble": "", "parser": None}
    parser = "pyslang"
    try:
        units = _pyslang_units(text, path)
        if not any(u["unit"] == "module" for u in units) and re.search(r"\bmodule\b", text):
            raise ValueError("pyslang found no module")
    except Exception:  # noqa: BLE001 - any parser failure falls back per file
        parser = "regex"
        units = _regex_units(text)
    preamble = "\n".join(m.group(0).strip() for m in _PREPROC.finditer(_outside(text, units)))
    modules, context = [], []
    for u in units:
        if u["unit"] == "module":
            modules.append({"name": u["name"], "code": u["code"], "doc": _leading_comment(text, u["start"]), "line_start": _line_of(text, u["start"]),
                            "line_end": _line_of(text, u["end"]), "kind": _kind(u["name"], u["has_ports"], u["code"]),
                            "instances": u["instances"]})
        else:
            context.append({"unit": u["unit"], "name": u["name"], "code": u["code"]})
    if not modules and not context:
        reason = "no module"
    return {"reason": reason, "modules": modules, "context": context, "preamble": preamble, "parser": parser,
            "head": text[:2000]}


def _leading_comment(text: str, start: int, max_lines: int = 30) -> str:
    """The comment lines directly above a module (its usual documentation block)."""
    lines = text[:start].splitlines()[-max_lines:]
    out: list[str] = []
    in_block = False
    for line in reversed(lines):
        st = line.strip()
        if not st and not out:
            continue
        if in_block or st.startswith(("//", "*", "/*")) or st.endswith("*/"):
            out.append(line)
            if st.endswith("*/") and not st.startswith("/*"):
                in_block = True
            if st.startswith("/*"):
                in_block = False
            continue
        break
    return "\n".join(reversed(out))


def _outside(text: str, units) -> str:
    """The file's text outside every unit (where file-level `define lines live)."""
    parts, pos = [], 0
    for u in sorted(units, key=lambda u: u["start"]):
        parts.append(text[pos:u["start"]])
        pos = max(pos, u["end"])
    parts.append(text[pos:])
    return "".join(parts)


def extract_job(args):
    """Pool entry: (key, path, data, max_nonprint) -> (key, result)."""
    key, path, data, max_nonprint = args
    return key, extract_file(path, data, max_nonprint)
