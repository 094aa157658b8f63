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
_PARSE = re.compile(r"syntax error|malformed|i give up|invalid module item|errors? in (?:the )?module|"
                    r"unable to open include|include file .* not found|macro|preprocessor", re.I)
COMPILE_VERSION = "3"


def _errors(output: str) -> list[tuple[str, str]]:
    out = []
    for m in _ERR_LOC.finditer(output):
        msg = m.group("msg").strip()
        low = msg.lower()
        if low.startswith("warning") or ("warning" in low and "error" not in low):
            continue
        if low.startswith("sorry"):
            out.append((m.group("file"), "unsupported: " + msg[:150]))
            continue
        out.append((m.group("file"), msg[:160]))
    return out


def compile_group(job: dict) -> dict:
    """Compile one group; returns {'ok': [ids], 'fail': {id: first error line}}.

    job: {'modules': [{'id', 'code', 'preamble'}], 'context': [code], 'includes': {relpath: text},
          'timeout', 'rounds'}

    Icarus parses all files as one stream, so after a syntax error its later messages can blame
    innocent files. When the grouped compile reports any parse-class error, every file is first
    parsed on its own (one sandboxed shell loop, unknown-module errors ignored there) and the
    files that fail alone are removed; the remaining elaboration errors name their file reliably.
    """
    mods = {m["id"]: m for m in job["modules"]}
    fail: dict[str, str] = {}
    ctx = list(job.get("context", []))
    timeout = job.get("timeout", 120)
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
        incs = [f"-I{d}" for d in sorted(dirs)]
        solo_ok: set[str] = set()
        mem = job.get("mem_bytes", 3 << 30)
        for _ in range(job.get("rounds", 8)):
            if not alive:
                break
            argv = ["iverilog", "-g2012", "-t", "null", *incs, *ctx_files,
                    *sorted(alive, key=lambda f: int(f[1:-3]))]
            res = run(argv, rd, Limits(wall_s=timeout, mem_bytes=mem))
            if res.timed_out or (res.returncode != 0 and not _errors(res.output) and res.signal):
                for fn in alive:
                    fail[names[fn]] = "compile: timeout or out of memory"
                alive = set()
                break
            if res.returncode == 0:
                break
            errs = _errors(res.output)
            erring = {f for f, _ in errs}
            if any(_PARSE.search(msg) for _, msg in errs) or (erring & set(ctx_files)):
                # parse errors cascade: re-check each erring file on its own before blaming it
                bad_ctx = _solo(rd, sorted(erring & set(ctx_files)), incs, [], timeout)
                ctx_files = [c for c in ctx_files if c not in bad_ctx]
                suspects = sorted((erring & alive) - solo_ok)
                bad = _solo(rd, suspects, incs, ctx_files, timeout)
                solo_ok.update(f for f in suspects if f not in bad)
                if not bad and not bad_ctx:
                    first = next((f for f, _ in errs if f in alive), None)
                    if first is None:
                        break
                    bad = {first: next(m for f, m in errs if f == first)}
                for fn, msg in bad.items():
                    fail[names[fn]] = "compile: " + msg
                    alive.discard(fn)
                continue
            bad: dict[str, str] = {}
            for f, msg in errs:
                if f in alive:
                    bad.setdefault(f, msg)
            if not bad:
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
        if alive and res.returncode != 0:
            for fn in alive:
                fail[names[fn]] = "compile: " + (res.output.strip().splitlines() or ["failed"])[-1][:160]
            alive = set()
    return {"ok": [names[fn] for fn in alive], "fail": fail}


def _solo(rd: Path, files: list[str], incs: list[str], ctx_files: list[str], timeout: float) -> dict[str, str]:
    """Files that fail to compile on their own for a reason other than a missing submodule."""
    if not files:
        return {}
    import shlex

    lines = []
    for f in files:
        cmd = ["iverilog", "-g2012", "-t", "null", *incs, *ctx_files, f]
        lines.append(f"{' '.join(shlex.quote(c) for c in cmd)} > {shlex.quote(f)}.log 2>&1; echo $? > {shlex.quote(f)}.rc")
    (rd / "solo.sh").write_text("\n".join(lines) + "\n")
    run(["sh", "solo.sh"], rd, Limits(wall_s=max(timeout, 2 * len(files)), mem_bytes=3 << 30))
    bad = {}
    for f in files:
        try:
            rc = int((rd / f"{f}.rc").read_text().strip())
            log = (rd / f"{f}.log").read_text(errors="replace")
        except (OSError, ValueError):
            bad[f] = "timeout"
            continue
        if rc == 0:
            continue
        errs = [(ef, msg) for ef, msg in _errors(log) if "unknown module type" not in msg.lower()]
        own = [msg for ef, msg in errs if ef == f]
        if own or (errs and not any(ef == f for ef, _ in _errors(log))):
            bad[f] = (own or [errs[0][1]])[0]
        elif not _errors(log) and "unknown module" not in log.lower() and "were missing" not in log.lower():
            bad[f] = (log.strip().splitlines() or ["failed"])[-1][:160]
    return bad


def compile_job(args):
    key, job = args
    return key, compile_group(job)
