"""Find the candidate module in free text and give it the name the benchmark expects.

Lives in `eval` (not `rtlgen`) because the harness must accept completions that hold the module
among prose, and `eval` may not import `rtlgen`.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*(?:verilog|systemverilog|sv|v)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)
_MODULE = re.compile(r"\bmodule\s+([A-Za-z_][A-Za-z0-9_$]*)")
_END = re.compile(r"\bendmodule\b")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def strip_comments(text: str) -> str:
    return _COMMENT.sub("", text)


def module_blocks(text: str) -> list[tuple[str, str]]:
    """(name, source) of every `module … endmodule` block; a truncated last block gets `endmodule`."""
    blocks = []
    pos = 0
    while True:
        m = _MODULE.search(text, pos)
        if not m:
            break
        # ignore the word "module" inside line comments or prose like "the module below"
        line_start = text.rfind("\n", 0, m.start()) + 1
        if "//" in text[line_start:m.start()]:
            pos = m.end()
            continue
        after = text[m.end():m.end() + 200].lstrip()
        if not after.startswith(("(", "#", ";")):
            pos = m.end()
            continue
        end = _END.search(text, m.end())
        if end:
            blocks.append((m.group(1), text[m.start():end.end()]))
            pos = end.end()
        else:
            blocks.append((m.group(1), text[m.start():].rstrip() + "\nendmodule"))
            break
    return blocks


def code_region(text: str) -> str:
    """The code fences' content when there are fences with modules, else the whole text."""
    fenced = [b for b in _FENCE.findall(text) if _MODULE.search(b)]
    return "\n".join(fenced) if fenced else text


def extract_modules(text: str, top: str | None = None) -> str | None:
    """All modules the answer defines, the `top` one renamed when no module has that name.

    Returns None when the text holds no module at all (failure class N).
    """
    blocks = module_blocks(code_region(text))
    if not blocks:
        return None
    names = [n for n, _ in blocks]
    if top and top not in names:
        # the model named its top differently: rename the last module that no other instantiates
        bodies = "\n".join(src.split("\n", 1)[1] for _, src in blocks if "\n" in src)  # without headers
        used = {n for n in names if re.search(rf"\b{re.escape(n)}\s+(#|\w)", bodies)}
        candidates = [i for i, n in enumerate(names) if n not in used] or [len(blocks) - 1]
        i = candidates[-1]
        name, src = blocks[i]
        blocks[i] = (top, re.sub(rf"\bmodule\s+{re.escape(name)}\b", f"module {top}", src, count=1))
    return "\n\n".join(s for _, s in blocks) + "\n"


def defines_module(text: str, name: str) -> bool:
    return re.search(rf"\bmodule\s+{re.escape(name)}\b", strip_comments(text)) is not None
