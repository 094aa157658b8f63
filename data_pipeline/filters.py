"""Stage 2: drop what is not worth training on, each drop with a reason for the report.

Cheap text checks run first (length in tokens, generated code, netlists, constant tables,
comment-only modules); the expensive one, compiling with Icarus (`-g2012`), runs per source as
one grouped compile: every module of the repo in its own file plus the repo's packages,
interfaces and include files, so a module that needs its siblings compiles with them. Errors name
`<file>:<line>`, which maps back to the module; failing modules are removed and the group
recompiled until it is clean, so one bad file cannot sink its repo.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from data_pipeline.util import code_tokens, strip_comments
from eval.sandbox import Limits, RunDir, run

_GENERATED = re.compile(r"(generated\s+by|auto-?generated|automatically\s+generated|do\s+not\s+edit|"
                        r"this\s+file\s+was\s+generated|netlist\s+written\s+by|written\s+by\s+yosys|"
                        r"verilog\s+netlist|synopsys\s+design\s+compiler|created\s+by\s+.*synthesis)", re.I)
_ESCAPED_ID = re.compile(r"\\\S+\s")
_CONST_LINE = re.compile(r"^\s*(\d+'[hbdo][0-9a-fA-F_xz]+|\d+)\s*:\s*\w+\s*(<?=)\s*\d*'?[hbdo]?[0-9a-fA-F_xz]+\s*;", re.M | re.I)
_HEX_ONLY = re.compile(r"^\s*([0-9a-fA-F_]+\s*,?\s*)+$", re.M)
_INST_LINE = re.compile(r"^\s*[A-Za-z_\\][\w$\\.\[\]]*\s+(#\s*\(.*?\)\s*)?[A-Za-z_\\][\w$\\.\[\]]*\s*\(", re.M)


def text_filter(code: str, preamble_head: str, cfg) -> str | None:
    """Drop reason for one module's source, or None to keep it."""
    toks = code_tokens(strip_comments(code))
    if len(toks) < cfg.min_tokens:
        return "too short"
    if len(toks) > cfg.max_tokens:
        return "too long"
    head = preamble_head[:3000] + "\n" + code[:3000]
    if _GENERATED.search(head):
        return "auto-generated"
    lines = [l for l in code.splitlines() if l.strip()]
    if len(_ESCAPED_ID.findall(code)) > 20:
        return "netlist"
    if len(lines) >= 20:
        inst = len(_INST_LINE.findall(strip_comments(code)))
        if inst / len(lines) > cfg.netlist_instance_ratio:
            return "netlist"
    if len(_CONST_LINE.findall(code)) > cfg.max_const_table_lines or len(_HEX_ONLY.findall(code)) > cfg.max_const_table_lines:
        return "constant table"
    stripped = strip_comments(code)
    comment_chars = len(re.sub(r"\s", "", code)) - len(re.sub(r"\s", "", stripped))
    total = len(re.sub(r"\s", "", code)) or 1
    if comment_chars / total > cfg.max_comment_ratio:
        return "mostly comments"
    return None


_ERR_LOC = re.compile(r"^(?P<file>[^\s:]+\.(?:sv|v|svh|vh)):(?P<line>\d+):\s*(?P<msg>.*)$", re.M)
_ERR_WORDS = re.compile(r"error|syntax|unknown module|not found|unable|invalid|malformed", re.I)


def compile_group(job: dict) -> dict:
    """Compile one group; returns {'ok': [ids], 'fail': {id: first error line}}.

    job: {'modules': [{'id', 'code', 'preamble'}], 'context': [code], 'includes': {relpath: text},
          'timeout', 'rounds'}
    """
    mods = {m["id"]: m for m in job["modules"]}
    fail: dict[str, str] = {}
    ctx = list(job.get("context", []))
    with RunDir(prefix="rtlgen-cc-") as rd:
        inc = rd / "inc"
        inc.mkdir()
        dirs = {"inc"}
        for rel, text in job.get("includes", {}).items():
            rel = rel.lstrip("/")
            if ".." in rel.split("/"):
                continue
            for target in (inc / rel, inc / posixpath.basename(rel)):
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                dirs.add(str(target.parent.relative_to(rd)))
        names = {}
        for i, (mid, m) in enumerate(mods.items()):
            fn = f"m{i}.sv"
            (rd / fn).write_text((m.get("preamble", "") + "\n" + m["code"] + "\n"), encoding="utf-8")
            names[fn] = mid
        alive = set(names)
        ctx_files = []
        for i, c in enumerate(ctx):
            fn = f"ctx{i}.sv"
            (rd / fn).write_text(c + "\n", encoding="utf-8")
            ctx_files.append(fn)
        for _ in range(job.get("rounds", 8)):
            if not alive:
                break
            argv = ["iverilog", "-g2012", "-o", "out.vvp"] + [f"-I{d}" for d in sorted(dirs)] + ctx_files + sorted(alive)
            res = run(argv, rd, Limits(wall_s=job.get("timeout", 120), mem_bytes=8 << 30))
            if res.timed_out:
                for fn in alive:
                    fail[names[fn]] = "compile: timeout"
                alive = set()
                break
            if res.returncode == 0:
                break
            bad: dict[str, str] = {}
            bad_ctx = set()
            for m in _ERR_LOC.finditer(res.output):
                f, msg = m.group("file"), m.group("msg")
                if not _ERR_WORDS.search(msg) and "warning" in msg.lower():
                    continue
                if "warning" in msg.lower() and "error" not in msg.lower():
                    continue
                if f in alive:
                    bad.setdefault(f, msg.strip()[:160])
                elif f in ctx_files:
                    bad_ctx.add(f)
                else:  # an include file: blame the module that includes it is impossible here;
                    pass  # the including module's own line reports it too
            if bad_ctx and not bad:
                ctx_files = [c for c in ctx_files if c not in bad_ctx]
                continue
            if not bad:
                # errors without a module location (e.g. missing modules listed at the end)
                for fn in list(alive):
                    fail[names[fn]] = "compile: " + (res.output.strip().splitlines() or ["failed"])[-1][:160]
                alive = set()
                break
            for fn, msg in bad.items():
                fail[names[fn]] = "compile: " + msg
                alive.discard(fn)
        else:
            for fn in alive:
                fail[names[fn]] = "compile: unresolved after retries"
            alive = set()
    return {"ok": [names[fn] for fn in alive], "fail": fail}


def compile_job(args):
    key, job = args
    return key, compile_group(job)
