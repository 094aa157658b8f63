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
COMPILE_VERSION = "5"
PER_MODULE_S = 15.0


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


def _write_sources(rd, job: dict, mods: list[dict]) -> tuple[set, dict, dict]:
    """The job's include files (under inc/, also flat by base name) and one file per module, in the run
    folder both compile checks share: (include dirs, {module id: file}, {module name: first module})."""
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
    file_of, by_name = {}, {}
    for i, m in enumerate(mods):
        fn = f"m{i}.sv"
        (rd / fn).write_text((m.get("preamble", "") + "\n" + m["code"] + "\n"), encoding="utf-8")
        file_of[m["id"]] = fn
        by_name.setdefault(m["name"], m)
    return dirs, file_of, by_name


def compile_group(job: dict) -> dict:
    """Compile one chunk; returns {'ok': [target ids], 'fail': {target id: first error line}}.

    job: {'modules': [{'id', 'name', 'code', 'preamble', 'instances', 'target'}], 'context': [code],
          'includes': {relpath: text}, 'timeout', optional 'resolve': {target id: [module ids of its
          closure]} where a name is defined more than once and the nearest definition is meant}

    First the whole chunk (targets plus the siblings they instantiate) in one Icarus run: when it
    is clean every target passes. Otherwise Icarus's messages cannot be trusted to name the right
    file (it parses all files as one stream, so one syntax error cascades), and each target is
    compiled on its own with exactly the siblings it instantiates (its dependency closure), all in
    one sandboxed shell loop; package/interface files that do not parse alone are left out first.
    """
    mods = job["modules"]
    fail: dict[str, str] = {}
    ctx = list(job.get("context", []))
    timeout = job.get("timeout", 120)
    mem = job.get("mem_bytes", 3 << 30)
    targets = [m for m in mods if m.get("target", True)]
    with RunDir(prefix="rtlgen-cc-") as rd:
        dirs, file_of, by_name = _write_sources(rd, job, mods)
        ctx_files = []
        for i, c in enumerate(ctx):
            fn = f"ctx{i}.sv"
            (rd / fn).write_text(c + "\n", encoding="utf-8")
            ctx_files.append(fn)
        incs = [f"-I{d}" for d in sorted(dirs)]
        res = run(["iverilog", "-g2012", "-t", "null", *incs, *ctx_files, *[file_of[m["id"]] for m in mods]], rd,
                  Limits(wall_s=min(timeout, 60), mem_bytes=mem))
        if res.returncode == 0 and not res.timed_out:
            return {"ok": [m["id"] for m in targets], "fail": {}}
        if ctx_files:
            bad_ctx = _loop(rd, {c: [c] for c in ctx_files}, incs, timeout, mem)
            ctx_files = [c for c in ctx_files if bad_ctx.get(c) is None]
        plans = {}
        resolve = job.get("resolve") or {}
        for t in targets:
            if t["id"] in resolve:  # the definitions nearest in the tree, chosen by the caller
                plans[t["id"]] = ctx_files + [file_of[i] for i in resolve[t["id"]] if i in file_of]
                continue
            files, seen, stack = [file_of[t["id"]]], {t["name"]}, list(t.get("instances", []))
            while stack:
                d = stack.pop()
                if d in seen or d not in by_name:
                    continue
                seen.add(d)
                files.append(file_of[by_name[d]["id"]])
                stack.extend(by_name[d].get("instances", []))
            plans[t["id"]] = ctx_files + files
        results = _loop(rd, plans, incs, timeout, mem)
        ok = []
        for t in targets:
            err = results.get(t["id"], "timeout")
            if err is None:
                ok.append(t["id"])
            else:
                fail[t["id"]] = "compile: " + err
    return {"ok": ok, "fail": fail}


def _loop(rd: Path, plans: dict, incs: list, timeout: float, mem: int) -> dict:
    """Run one Icarus compile per plan in a single sandboxed shell loop: {key: None or first error}."""
    import shlex

    lines, keys = [], list(plans)
    for i, k in enumerate(keys):
        # a per-command limit: one pathological module must not eat the loop's whole budget
        cmd = ["timeout", "-s", "KILL", str(int(PER_MODULE_S)), "iverilog", "-g2012", "-t", "null", *incs, *plans[k]]
        # ulimit -t caps the CPU of ivl too (timeout alone only kills the iverilog driver)
        lines.append(f"(ulimit -t {int(PER_MODULE_S)}; {' '.join(shlex.quote(c) for c in cmd)}) > r{i}.log 2>&1; "
                     f"echo $? > r{i}.rc")
    (rd / "loop.sh").write_text("\n".join(lines) + "\n")
    run(["sh", "loop.sh"], rd, Limits(wall_s=max(timeout, (PER_MODULE_S + 1) * len(keys)), mem_bytes=mem,
                                     cpu_s=int((PER_MODULE_S + 1) * len(keys)) + 5))
    out: dict = {}
    for i, k in enumerate(keys):
        try:
            rc = int((rd / f"r{i}.rc").read_text().strip())
            log = (rd / f"r{i}.log").read_text(errors="replace")
        except (OSError, ValueError):
            out[k] = "timeout"
            continue
        if rc == 0:
            out[k] = None
            continue
        if rc in (124, 137, 152):
            out[k] = "timeout"
            continue
        errs = _errors(log)
        mine = [plans[k][-1] if plans[k] else "", plans[k][0] if plans[k] else ""]
        own = [msg for f, msg in errs if f in mine]
        out[k] = (own or [msg for _, msg in errs] or (log.strip().splitlines() or ["failed"])[-1:])[0][:160]
    return out


def compile_job(args):
    key, job = args
    return key, compile_group(job)


# --- SystemVerilog fallback --------------------------------------------------------------------
# Icarus 11 parses a subset of SystemVerilog: packages with typedef'd structs, interfaces with
# modports, `unique case`, assignment patterns... fail with "syntax error" or "sorry" although the
# code is valid (cva6, caliptra, snitch, black-parrot are written that way). For those modules only
# (a parse-type Icarus failure, not a missing module/include/macro) the filter asks Verilator,
# whose front end covers IEEE 1800-2017: `--lint-only` elaborates the target with exactly the
# siblings it instantiates, lint and style warnings off, so only real errors (syntax, unresolved
# names, bad port connections) drop it. Each run is capped like the Icarus loop (15 s wall + CPU).
VERILATOR_VERSION = "4"
VERILATOR_ARGS = ["--lint-only", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--no-timing", "-Wno-MULTITOP"]
_VL_ERR = re.compile(r"^%Error(?:-[A-Z0-9_]+)?:\s*(?:(?P<file>[^\s:]+):\d+:(?:\d+:)?)?\s*(?P<msg>.*)$", re.M)


_UNIT_NAME = re.compile(r"^\s*(?:package|interface|class)\s+(?:automatic\s+|static\s+)?(\w+)", re.M)


_CLOCKING = re.compile(r"^[ \t]*(?:default\s+)?clocking\b.*?\bendclocking\b[ \t]*(?::[ \t]*\w+)?", re.S | re.M)


def order_context(ctx: list[str]) -> list[str]:
    """Package/interface texts in dependency order: Verilator (unlike Icarus's single pass over
    everything) needs `pkg` declared before a file that says `pkg::` or `import pkg`."""
    names = []
    for c in ctx:
        m = _UNIT_NAME.search(strip_comments(c))
        names.append(m.group(1) if m else None)
    idx = {n: i for i, n in enumerate(names) if n}
    deps = []
    for i, c in enumerate(ctx):
        refs = set(re.findall(r"\b(\w+)\s*::", strip_comments(c)))
        deps.append({idx[r] for r in refs if r in idx and idx[r] != i})
    out, state = [], [0] * len(ctx)  # 0 new, 1 visiting, 2 done

    def visit(i):
        if state[i]:
            return  # done, or a cycle: keep the given order
        state[i] = 1
        for j in sorted(deps[i]):
            visit(j)
        state[i] = 2
        out.append(i)

    for i in range(len(ctx)):
        visit(i)
    return [ctx[i] for i in out]


def verilator_group(job: dict) -> dict:
    """Lint each target of one chunk with Verilator: {'ok': [ids], 'fail': {id: first error}}.

    job: like `compile_group`'s (modules with `target` flags, context, includes, timeout)."""
    import shlex

    mods = job["modules"]
    targets = [m for m in mods if m.get("target", True)]
    timeout = job.get("timeout", 120)
    mem = job.get("mem_bytes", 3 << 30)
    with RunDir(prefix="rtlgen-vl-") as rd:
        dirs, file_of, by_name = _write_sources(rd, job, mods)
        # each target gets only the packages/interfaces its files name (and what those name in
        # turn): one unparsable UVM package of the repo must not fail every module of it
        # clocking blocks are testbench constructs inside otherwise synthesizable interfaces;
        # Verilator 5.006 rejects `inout` clocking items, so the lint context drops them
        ctx = [_CLOCKING.sub("", c) for c in order_context(job.get("context", []))]
        ctx_names = [(_UNIT_NAME.search(strip_comments(c)) or [None, None])[1] for c in ctx]
        known = {n for n in ctx_names if n}
        ctx_refs = [set(re.findall(r"\b\w+\b", strip_comments(c))) & known for c in ctx]
        ctx_files = []
        for i, c in enumerate(ctx):
            fn = f"ctx{i}.sv"
            (rd / fn).write_text(c + "\n", encoding="utf-8")
            ctx_files.append(fn)
        incs = [f"-I{d}" for d in sorted(dirs)]
        lines = []
        for i, t in enumerate(targets):
            files, seen, stack = [file_of[t["id"]]], {t["name"]}, list(t.get("instances", []))
            texts = [t.get("preamble", "") + t["code"]]
            while stack:
                d = stack.pop()
                if d in seen or d not in by_name:
                    continue
                seen.add(d)
                files.append(file_of[by_name[d]["id"]])
                texts.append(by_name[d].get("preamble", "") + by_name[d]["code"])
                stack.extend(by_name[d].get("instances", []))
            need = set(re.findall(r"\b\w+\b", strip_comments("\n".join(texts)))) & known
            grow = list(need)
            while grow:
                n = grow.pop()
                for j, nm in enumerate(ctx_names):
                    if nm == n:
                        for r in ctx_refs[j] - need:
                            need.add(r)
                            grow.append(r)
            mine = [ctx_files[j] for j, nm in enumerate(ctx_names) if nm in need]
            cmd = ["timeout", "-s", "KILL", str(int(PER_MODULE_S)), "verilator", *VERILATOR_ARGS,
                   "--top-module", t["name"], *incs, *mine, *files]
            lines.append(f"(ulimit -t {int(PER_MODULE_S)}; {' '.join(shlex.quote(c) for c in cmd)}) > r{i}.log 2>&1; "
                         f"echo $? > r{i}.rc")
        (rd / "loop.sh").write_text("\n".join(lines) + "\n")
        n = len(targets)
        run(["sh", "loop.sh"], rd, Limits(wall_s=max(timeout, (PER_MODULE_S + 1) * n), mem_bytes=mem,
                                         cpu_s=int((PER_MODULE_S + 1) * n) + 5))
        ok, fail = [], {}
        for i, t in enumerate(targets):
            try:
                rc = int((rd / f"r{i}.rc").read_text().strip())
                log = (rd / f"r{i}.log").read_text(errors="replace")
            except (OSError, ValueError):
                fail[t["id"]] = "verilator: timeout"
                continue
            if rc == 0 and not _VL_ERR.search(log):
                ok.append(t["id"])
                continue
            if rc in (124, 137, 152):
                fail[t["id"]] = "verilator: timeout"
                continue
            errs = [m.group("msg").strip() for m in _VL_ERR.finditer(log)]
            fail[t["id"]] = "verilator: " + (errs[0] if errs else (log.strip().splitlines() or ["failed"])[-1])[:160]
    return {"ok": ok, "fail": fail}


def verilator_job(args):
    key, job = args
    return key, verilator_group(job)
