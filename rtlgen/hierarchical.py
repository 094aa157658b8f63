"""Hierarchical generation (ComplexVCoder's idea): decompose, generate bottom-up, assemble, verify.

A small model cannot write a 500-line controller in one pass, but it may write a 60-line victim
selector. So `rtlgen generate --hierarchical` works from a *plan*: an ordered list of sub-modules,
each with its own spec text, its interface (parameters and ports), the modules it instantiates and
an optional unit test. The plan is the user's (`--plan plan.yaml`) or the model's (prompt template
`prompts/templates/decompose.*.txt`, validated, with repair rounds fed by the validation errors).

Each block goes through the same generate → check → repair cycle as `rtlgen generate` (same
prompts, same extraction, same Icarus/Verilator checks through the sandbox, same "repair the most
promising distinct failures, stop once one is good" policy, same best-candidate ranking), with
what a flat run cannot do: it compiles together with the already-generated modules it depends on,
its ports are checked against the plan (pyslang), and its own test decides acceptance. Later
prompts see the headers of the accepted blocks so the top instantiates them instead of rewriting
them. Finally the blocks are concatenated into one file and that assembled design is checked again
with the top's test (for the showcase: the full cocotb bench). Everything lands in a JSON report.

Plan format (YAML or JSON; paths relative to the plan file):

    top: offload_controller            # the block that is the design's top (default: last block)
    spec: spec.md                      # overall spec (file or inline text), given to the top
    blocks:                            # bottom-up order is computed from `depends`
      - name: oc_victim_select
        spec_file: blocks/victim_select.md      # or `spec:` inline text; a list of files is joined
        include_spec: false            # also show the overall spec (default: only for the top)
        params: {S: 4, LW: 2, FW: 4, SW: "$clog2(S)"}
        ports:                         # "dir name [width]"; or {name:, dir:, width:}
          - input st_valid S
          - output found
        depends: []
        test:                          # optional; without it a block is good when it compiles lint-clean
          python: oc_runner:run_bench  # module (found beside the plan) : function(sources, **args)
          args: {top: oc_victim_select, scale: 0.3}
        # or  test: {command: "sh-command with {sources} {top} {plan_dir}", timeout_s: 120}
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.errors import UserError
from eval.sandbox import Limits, RunDir, forbidden_system_tasks, run
from eval.signals import elaborated_ports
from rtlgen.generate import (Candidate, Check, GenerateConfig, _clean_paths, _tail, compile_and_lint, load_rag,
                             make_backend, prompt_fits, repair_requests)

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
DIRS = {"input": "input", "in": "input", "output": "output", "out": "output", "inout": "inout"}
VERILOG_KEYWORDS = {"module", "endmodule", "input", "output", "inout", "wire", "reg", "logic", "assign",
                    "always", "begin", "end", "if", "else", "case", "parameter", "localparam", "int"}


# --- the plan -----------------------------------------------------------------------------------

@dataclass
class Port:
    name: str
    dir: str
    width: str = "1"

    def decl(self) -> str:
        w = self.width.strip()
        if w in ("", "1"):
            rng = ""
        elif w.isdigit():
            rng = f"[{int(w) - 1}:0] "
        elif re.fullmatch(r"[\w*$()]+", w):
            rng = f"[{w}-1:0] "
        else:
            rng = f"[({w})-1:0] "
        return f"{self.dir:<6} logic {rng}{self.name}"


@dataclass
class Block:
    name: str
    spec: str
    ports: list[Port] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    depends: list[str] = field(default_factory=list)
    test: dict | None = None
    include_spec: bool = False

    def header(self) -> str | None:
        """The module header the plan fixes (None when the plan gives no ports)."""
        if not self.ports:
            return None
        text = f"module {self.name}"
        if self.params:
            text += " #(\n" + ",\n".join(f"    parameter int {k} = {v}" for k, v in self.params.items()) + "\n)"
        return text + " (\n" + ",\n".join("    " + p.decl() for p in self.ports) + "\n);"


@dataclass
class Plan:
    top: str
    blocks: list[Block]           # in generation (dependency) order after validation
    spec: str = ""                 # the overall spec
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = "file"          # file | model | single-block fallback

    def block(self, name: str) -> Block:
        return next(b for b in self.blocks if b.name == name)

    def to_dict(self) -> dict:
        return {"top": self.top, "source": self.source, "order": [b.name for b in self.blocks],
                "blocks": [{"name": b.name, "depends": b.depends, "ports": [asdict(p) for p in b.ports],
                            "params": b.params, "test": b.test, "spec_chars": len(b.spec)} for b in self.blocks]}


def _parse_port(item: Any, where: str) -> Port:
    if isinstance(item, str):
        parts = item.split(None, 2)
        if len(parts) < 2:
            raise UserError(f"{where}: port {item!r} must read 'dir name [width]'")
        d, name, width = parts[0], parts[1], (parts[2] if len(parts) > 2 else "1")
    elif isinstance(item, (list, tuple)) and len(item) in (2, 3):
        # [name, dir, width] (the order a port table reads in)
        name, d, width = item[0], item[1], (item[2] if len(item) > 2 else "1")
    elif isinstance(item, dict):
        name, d, width = item.get("name"), item.get("dir", item.get("direction")), item.get("width", "1")
    else:
        raise UserError(f"{where}: cannot read port {item!r}")
    if not isinstance(name, str) or not IDENT.match(name) or name in VERILOG_KEYWORDS:
        raise UserError(f"{where}: bad port name {name!r}")
    if str(d).lower() not in DIRS:
        raise UserError(f"{where}: port {name}: direction {d!r} is not input/output/inout")
    width = str(width).strip()
    if not re.fullmatch(r"[\w\s*+\-/()$]+", width):
        raise UserError(f"{where}: port {name}: width {width!r} is not a simple expression")
    return Port(name, DIRS[str(d).lower()], width)


def _read_text(value: Any, base: Path, where: str) -> str:
    """Inline text, or the content of a file (list: several files joined)."""
    if isinstance(value, list):
        return "\n\n".join(_read_text(v, base, where) for v in value)
    if not isinstance(value, str):
        raise UserError(f"{where}: expected text or a file name")
    p = (base / value).expanduser()
    if "\n" not in value and len(value) < 300 and re.search(r"\.(md|txt|rst)$", value):
        if not p.is_file():
            raise UserError(f"{where}: spec file {p} not found")
        return p.read_text(encoding="utf-8")
    return value


def plan_from_dict(data: Any, base_dir: Path, *, overall_spec: str | None = None, source: str = "file") -> Plan:
    """Check a plan (names, ports, dependencies, acyclic) and order it bottom-up; UserError names the problem.

    A plan the model wrote (`source="model"`) is untrusted text: it may not name test hooks or
    commands (they would run code the model chose) nor spec files (it would read files the model chose)."""
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list) or not data["blocks"]:
        raise UserError("plan: expected a mapping with a non-empty 'blocks' list")
    unknown_top = set(data) - {"top", "spec", "blocks"}
    if unknown_top:
        raise UserError(f"plan: unknown key(s) {', '.join(sorted(unknown_top))} (known: top, spec, blocks)")
    blocks: list[Block] = []
    for i, raw in enumerate(data["blocks"]):
        where = f"plan block {i + 1}"
        if not isinstance(raw, dict):
            raise UserError(f"{where}: expected a mapping")
        bad = set(raw) - {"name", "spec", "spec_file", "ports", "params", "depends", "test", "include_spec"}
        if bad:
            raise UserError(f"{where}: unknown key(s) {', '.join(sorted(bad))}")
        name = raw.get("name")
        if not isinstance(name, str) or not IDENT.match(name) or name in VERILOG_KEYWORDS:
            raise UserError(f"{where}: bad module name {name!r}")
        where = f"plan block {name}"
        if source == "model" and ("test" in raw or "spec_file" in raw):
            raise UserError(f"{where}: a model-written plan may not contain 'test' or 'spec_file' "
                            "(tests come from the user: --tb for the top, or write the plan with --plan)")
        if "spec" in raw and "spec_file" in raw:
            raise UserError(f"{where}: give spec or spec_file, not both")
        if "spec_file" in raw:
            files = raw["spec_file"] if isinstance(raw["spec_file"], list) else [raw["spec_file"]]
            texts = []
            for f in files:
                p = (base_dir / str(f)).expanduser()
                if not p.is_file():
                    raise UserError(f"{where}: spec file {p} not found")
                texts.append(p.read_text(encoding="utf-8"))
            spec = "\n\n".join(texts)
        else:
            spec = raw.get("spec") or ""
            if not isinstance(spec, str):
                raise UserError(f"{where}: spec must be text")
        if not spec.strip():
            raise UserError(f"{where}: empty spec")
        ports = [_parse_port(p, where) for p in (raw.get("ports") or [])]
        seen = set()
        for p in ports:
            if p.name in seen:
                raise UserError(f"{where}: port {p.name} listed twice")
            seen.add(p.name)
        params = raw.get("params") or {}
        if not isinstance(params, dict):
            raise UserError(f"{where}: params must be a mapping name: default")
        for k, v in params.items():
            if not IDENT.match(str(k)) or k in seen:
                raise UserError(f"{where}: bad parameter name {k!r}")
            if not re.fullmatch(r"[\w\s*+\-/()$?:<>=!]+", str(v)):
                raise UserError(f"{where}: parameter {k}: default {v!r} is not a simple expression")
        deps = raw.get("depends") or []
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise UserError(f"{where}: depends must be a list of block names")
        test = raw.get("test")
        if test is not None:
            if not isinstance(test, dict) or ("python" in test) == ("command" in test):
                raise UserError(f"{where}: test needs exactly one of 'python: module:function' or 'command: ...'")
            if "python" in test and not re.fullmatch(r"[\w.]+:\w+", str(test["python"])):
                raise UserError(f"{where}: test python {test['python']!r} must read module:function")
            if not isinstance(test.get("args", {}), dict):
                raise UserError(f"{where}: test args must be a mapping")
        blocks.append(Block(name, spec, ports, {str(k): str(v) for k, v in params.items()}, list(deps), test,
                            bool(raw.get("include_spec", False))))
    names = [b.name for b in blocks]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"plan: block name(s) used twice: {', '.join(sorted(dup))}")
    for b in blocks:
        for d in b.depends:
            if d not in names:
                raise UserError(f"plan block {b.name}: depends on unknown block {d!r}")
            if d == b.name:
                raise UserError(f"plan block {b.name}: depends on itself")
    top = data.get("top") or blocks[-1].name
    if top not in names:
        raise UserError(f"plan: top {top!r} is not one of the blocks ({', '.join(names)})")
    # topological order, stable with respect to the order written (Kahn)
    order, done = [], set()
    while len(order) < len(blocks):
        ready = [b for b in blocks if b.name not in done and all(d in done for d in b.depends)]
        if not ready:
            cyc = [b.name for b in blocks if b.name not in done]
            raise UserError(f"plan: dependency cycle among {', '.join(cyc)}")
        order.append(ready[0])
        done.add(ready[0].name)
    spec = overall_spec if overall_spec is not None else (
        _read_text(data["spec"], base_dir, "plan spec") if data.get("spec") else "")
    block_top = next(b for b in order if b.name == top)
    block_top.include_spec = True if spec else block_top.include_spec
    return Plan(top, order, spec, base_dir, source)


def load_plan(path: str | Path, *, overall_spec: str | None = None) -> Plan:
    import yaml

    p = Path(path).expanduser()
    if not p.is_file():
        raise UserError(f"--plan {p}: no such file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserError(f"--plan {p}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    return plan_from_dict(data, p.resolve().parent, overall_spec=overall_spec)


# --- a plan from the model ----------------------------------------------------------------------

def plan_prompt(spec: str, top: str):
    from rtlgen.prompts import Prompt, fill, template

    user = fill(template("decompose.user"), spec=spec.strip(), top=top)
    return Prompt([{"role": "system", "content": template("decompose.system").strip()},
                   {"role": "user", "content": user}], "decompose", top)


def _plan_text(answer: str) -> str:
    m = re.search(r"\[BEGIN\](.*?)(?:\[DONE\]|\Z)", answer, re.S) or \
        re.search(r"```(?:ya?ml|json)?\s*\n(.*?)(?:```|\Z)", answer, re.S)
    return (m.group(1) if m else answer).strip()


def plan_from_model(spec: str, top: str, backend, cfg: GenerateConfig, *, base_dir: Path, tb: str | None = None,
                    log=print, progress: bool = True) -> tuple[Plan, list[dict]]:
    """Ask the model for a plan; feed validation errors back for `repair_rounds` more tries; fall
    back to a one-block plan (flat generation of `top`) when none validates. Returns the plan and
    the attempts (for the report)."""
    import yaml

    from rtlgen.backends import SamplingParams
    from rtlgen.prompts import Prompt, fill, template

    base = plan_prompt(spec, top)
    params = SamplingParams(n=1, temperature=0.0, max_new_tokens=max(cfg.max_new_tokens, 1024), stop=("[DONE]",),
                            seed=cfg.seed)
    attempts: list[dict] = []
    prompt = base
    for attempt in range(cfg.repair_rounds + 1):
        text = backend.generate([prompt], params, progress=progress)[0][0].text
        body = _plan_text(text)
        try:
            data = yaml.safe_load(body)
            plan = plan_from_dict(data, base_dir, overall_spec=spec, source="model")
            if plan.top != top:
                raise UserError(f"plan: top must be {top!r}, not {plan.top!r}")
            attempts.append({"attempt": attempt, "ok": True, "text": text})
            return _attach_top_test(plan, tb), attempts
        except (yaml.YAMLError, UserError) as exc:
            err = str(exc).splitlines()[0]
            attempts.append({"attempt": attempt, "ok": False, "error": err, "text": text})
            log(f"  plan attempt {attempt}: invalid ({err})")
            prompt = Prompt(base.messages + [{"role": "assistant", "content": body[:6000]},
                                             {"role": "user", "content": fill(template("decompose.repair"), errors=err)}],
                            "decompose", top)
    log("  no valid plan from the model: falling back to one block (flat generation of the top)")
    plan = Plan(top, [Block(top, spec, include_spec=False)], spec, base_dir, "single-block fallback")
    return _attach_top_test(plan, tb), attempts


def _attach_top_test(plan: Plan, tb: str | None) -> Plan:
    """A `--tb` given on the command line becomes the top's test when the plan names none."""
    top = plan.block(plan.top)
    if tb and top.test is None:
        top.test = {"tb": str(Path(tb).expanduser().resolve())}
    return plan


# --- checking one block -------------------------------------------------------------------------

@dataclass
class BlockCheck(Check):
    """`generate.Check` plus what only a plan can tell: the ports it fixes and the block's own test."""

    ports_ok: bool | None = None          # None: the plan gives no ports, or they could not be read
    test_results: dict = field(default_factory=dict)   # per-test verdicts of the block's test

    def score(self) -> tuple:
        # a candidate that compiles with the plan's ports is the one assembly can use
        return (self.tests_passed is True, self.compiles and self.ports_ok is not False) + super().score()[1:]

    def good(self) -> bool:
        if self.ports_ok is False:
            return False
        return super().good()


def module_ports(code: str, name: str) -> list[tuple[str, str]] | None:
    """(port, direction) of module `name` as pyslang elaborates it; None when it cannot."""
    ports = elaborated_ports(code, name)
    return None if ports is None else [(n, d) for n, d, _ in ports]


def _port_errors(code: str, block: Block) -> tuple[bool | None, str]:
    if not block.ports:
        return None, ""
    got = module_ports(code, block.name)
    if got is None:
        return None, ""
    want = {p.name: p.dir for p in block.ports}
    have = dict(got)
    problems = [f"missing port {n} ({d})" for n, d in want.items() if n not in have]
    problems += [f"port {n} is {have[n]}, the interface says {d}" for n, d in want.items() if n in have and have[n] != d]
    problems += [f"extra port {n} not in the interface" for n in have if n not in want]
    if problems:
        return False, f"the module {block.name} does not match its interface:\n" + "\n".join(problems[:15])
    return True, ""


def _load_hook(spec: str, plan_dir: Path):
    mod_name, fn = spec.split(":")
    added = str(plan_dir) not in sys.path
    if added:
        sys.path.insert(0, str(plan_dir))
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise UserError(f"test hook {spec}: cannot import {mod_name} (looked beside the plan in {plan_dir}): {exc}") from None
    finally:
        if added:
            sys.path.remove(str(plan_dir))
    if not hasattr(mod, fn):
        raise UserError(f"test hook {spec}: {mod_name} has no {fn}")
    return getattr(mod, fn)


def _verdict(result: Any) -> tuple[bool, dict, str]:
    """(ok, per-test verdicts, what a repair prompt shows) of whatever a hook returned: an object
    with .ok (and .tests/.failures/.log_tail, as oc_runner.BenchResult), a bool, (bool, text), or a dict."""
    if isinstance(result, bool):
        return result, {}, "" if result else "the block's test failed"
    if isinstance(result, tuple) and len(result) == 2:
        return bool(result[0]), {}, str(result[1])
    if isinstance(result, dict):
        result = type("R", (), result)
    ok = bool(getattr(result, "ok", False))
    tests = dict(getattr(result, "tests", {}) or {})
    failures = dict(getattr(result, "failures", {}) or {})
    msg = ""
    if not ok:
        if failures:
            msg = "\n".join(f"test {k} failed: {_tail(str(v), 12)}" for k, v in failures.items())
        elif getattr(result, "timed_out", False):
            msg = "the test timed out (the design may never finish a handshake)"
        if not msg or not tests:
            tail = _tail(_build_errors(str(getattr(result, "log_tail", "") or "")), 20)
            msg = (msg + "\n" + tail).strip() if tail else (msg or "the block's test failed")
    return ok, tests, msg


def _build_errors(log: str) -> str:
    """The compiler/assertion lines of a test log, without runner chatter."""
    keep = [ln for ln in log.splitlines()
            if re.search(r"error|Error|assert|Assert|FAIL|syntax|Unknown|unknown|not found|TIMEOUT", ln)
            and "INFO" not in ln]
    return "\n".join(keep) if keep else log


def run_block_test(block: Block, sources: list[Path], plan_dir: Path) -> tuple[bool, dict, str]:
    test = block.test or {}
    args = dict(test.get("args") or {})
    if "python" in test:
        hook = _load_hook(test["python"], plan_dir)
        try:
            return _verdict(hook([str(s) for s in sources], **args))
        except UserError as exc:
            return False, {}, f"the test could not run: {exc}"
    if "command" in test:
        cmd = test["command"]
        cmd = cmd if isinstance(cmd, str) else " ".join(cmd)
        with RunDir() as rd:
            local = []
            for i, s in enumerate(sources):
                dst = rd / f"src{i}_{s.name}"
                dst.write_text(s.read_text())
                local.append(dst.name)
            line = cmd.replace("{sources}", " ".join(local)).replace("{top}", block.name) \
                      .replace("{plan_dir}", str(plan_dir))
            res = run(["sh", "-c", line], rd, Limits(wall_s=float(test.get("timeout_s", 300)), mem_bytes=8 << 30))
            ok = res.returncode == 0 and not res.timed_out
            msg = "" if ok else (_tail(_clean_paths(res.output, rd), 25) +
                                 ("\nTIMEOUT" if res.timed_out else f"\n(test command exited {res.returncode})"))
            return ok, {}, msg
    if "tb" in test:  # --tb from the command line: the flat loop's bench rules, on the assembled sources
        from rtlgen.generate import check_candidate

        code = "\n\n".join(s.read_text() for s in sources)
        chk = check_candidate(code, block.name, tb=Path(test["tb"]))
        return bool(chk.tests_passed), {}, chk.errors
    raise UserError(f"block {block.name}: test has no python/command/tb")


def check_block(code: str, block: Block, dep_sources: list[Path], plan_dir: Path) -> BlockCheck:
    """Compile (with the dependencies' code), lint, check the ports, run the block's own test."""
    start = time.monotonic()
    chk = BlockCheck()
    findings = forbidden_system_tasks(code)
    if findings:
        chk.errors = "rejected before simulation: " + "; ".join(map(str, findings))
        chk.tests_passed = False if block.test else None
        return chk
    with RunDir() as rd:
        deps = []
        for i, s in enumerate(dep_sources):
            dst = rd / f"dep{i}_{s.name}"
            dst.write_text(s.read_text())
            deps.append(dst.name)
        design = f"{block.name}.sv"
        (rd / design).write_text(code)
        errs = compile_and_lint(chk, rd, deps + [design], block.name)
        chk.ports_ok, perr = _port_errors(code, block)
        if perr:
            errs.append(perr)
        if block.test:
            if not chk.compiles or chk.ports_ok is False:
                chk.tests_passed = False
            else:
                ok, tests, msg = run_block_test(block, [rd / d for d in deps] + [rd / design], plan_dir)
                chk.tests_passed, chk.test_results = ok, tests
                if not ok:
                    errs.append(f"the unit test of {block.name} failed:\n{msg}")
        chk.errors = "\n\n".join(errs)
    chk.seconds = time.monotonic() - start
    return chk


# --- generating one block -----------------------------------------------------------------------


def block_spec_text(block: Block, plan: Plan, accepted: dict[str, str]) -> str:
    """What the model is asked: the block's spec, its fixed header, and the headers of the
    sub-modules it may instantiate (already generated; not to be written again)."""
    from rtlgen.prompts import split_interface

    parts = [block.spec.strip()]
    if block.include_spec and plan.spec and plan.spec.strip() != block.spec.strip():
        parts.append("Specification of the whole design (for reference):\n" + plan.spec.strip())
    for d in block.depends:
        dep = plan.block(d)
        head = dep.header() or split_interface(accepted.get(d, ""))[0].strip()
        if head:
            parts.append(f"The sub-module `{d}` already exists with this interface; instantiate it, "
                         f"do not write it again:\n{head}")
    header = block.header()
    if header:
        parts.append(f"Write the module `{block.name}` with exactly this interface:\n{header}")
    else:
        parts.append(f"Write the module named `{block.name}`.")
    return "\n\n".join(parts)


def _strip_foreign(code: str, block: Block, plan: Plan) -> str:
    """Drop modules the answer wrote for other plan blocks: those come from their own generation."""
    from eval.extract import module_blocks

    others = {b.name for b in plan.blocks if b.name != block.name}
    mods = module_blocks(code)
    kept = [src for n, src in mods if n not in others]
    return ("\n\n".join(kept) + "\n") if kept else code


def generate_block(block: Block, plan: Plan, cfg: GenerateConfig, backend, accepted: dict[str, str],
                   dep_files: list[Path], *, retriever=None, log=print, progress: bool = True) -> dict:
    from rtlgen.backends import SamplingParams
    from rtlgen.prompts import build_prompt, extract_code

    t0 = time.time()
    spec = block_spec_text(block, plan, accepted)
    header = block.header()
    context = retriever.context_for_spec(block.spec) if retriever is not None else None
    prompt = build_prompt(spec, kind="spec-to-rtl", top=block.name, shots=cfg.shots, context=context,
                          interface=header, answer_prefix=cfg.answer_prefix)
    ctx = backend.context_length()
    if ctx is not None:
        used = backend.prompt_tokens(prompt)
        if used is not None and used + 64 > ctx:
            raise UserError(f"block {block.name}: the prompt takes {used} tokens of the model's {ctx}-token context")
    greedy = cfg.n == 1
    params = SamplingParams(n=cfg.n, temperature=0.0 if greedy else cfg.temperature, top_p=cfg.top_p,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)
    cands: list[Candidate] = []
    tokens = 0

    def add(comps, rnd, parents):
        nonlocal tokens
        for comp, parent in zip(comps, parents):
            code = extract_code(comp.text, block.name, header)
            if code is not None:
                code = _strip_foreign(code, block, plan)
            chk = check_block(code, block, dep_files, plan.base_dir) if code else \
                BlockCheck(errors="the answer contains no Verilog module", tests_passed=False if block.test else None)
            tokens += comp.tokens
            cands.append(Candidate(len(cands), rnd, parent, comp.text, code, comp.tokens, chk))
            flag = "PASS" if chk.tests_passed else ("fails to compile" if not chk.compiles else
                                                     "compiles, ports differ" if chk.ports_ok is False else
                                                     "lint-clean" if chk.lint_clean else "compiles")
            log(f"  {block.name} candidate {len(cands) - 1} (round {rnd}): {flag}")

    first = backend.generate([prompt], params, progress=progress)[0]
    add(first, 0, [None] * len(first))
    rounds_used = 0
    for rnd in range(1, cfg.repair_rounds + 1):
        if any(c.check.good() for c in cands):
            break
        todo, prompts = repair_requests(cands, rnd, cfg.n, prompt, retriever, fits=prompt_fits(backend))
        log(f"  {block.name} repair round {rnd}: {len(prompts)} candidate(s)")
        if not prompts:
            log(f"  {block.name}: no repair prompt fits the model's context")
            break
        rp = SamplingParams(n=1, temperature=params.temperature, top_p=cfg.top_p,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + rnd)
        outs = backend.generate(prompts, rp, progress=progress)
        add([o[0] for o in outs], rnd, [c.index for c in todo])
        rounds_used = rnd
    best = max(cands, key=lambda c: (c.check.score(), c.code is not None, -c.index))
    chk = best.check
    return {
        "name": block.name, "depends": block.depends, "has_test": block.test is not None,
        "accepted": chk.good(), "status": status_of(chk, block.test is not None),
        "candidates_tried": len(cands), "repair_rounds_used": rounds_used,
        "best": best.index, "best_round": best.round,
        "compiles": chk.compiles, "lint_clean": chk.lint_clean, "lint_warnings": chk.lint_warnings,
        "ports_ok": chk.ports_ok, "tests_passed": chk.tests_passed, "test_results": chk.test_results,
        "errors": chk.errors, "tokens": tokens, "seconds": round(time.time() - t0, 2),
        "candidates": [c.to_dict() for c in cands],
        "_code": best.code or f"// rtlgen: no candidate for {block.name} contained a Verilog module\n",
    }


def status_of(chk: Check, has_test: bool) -> str:
    if chk.tests_passed:
        return "passes its test"
    if not chk.compiles:
        return "fails to compile"
    if getattr(chk, "ports_ok", None) is False:
        return "compiles, interface differs from the plan"
    if chk.lint_clean:
        return "compiles lint-clean, fails its test" if has_test else "compiles lint-clean"
    if chk.compiles:
        return "compiles, fails its test" if has_test else "compiles"
    return "fails to compile"


# --- the whole flow -----------------------------------------------------------------------------

@dataclass
class HierarchicalResult:
    report: dict
    assembled: str
    block_codes: dict[str, str]


def run_plan(plan: Plan, cfg: GenerateConfig, *, backend=None, log=print, progress: bool = True,
             work_dir: Path | None = None) -> HierarchicalResult:
    """Generate every block bottom-up, then check the assembled design with the top's test."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if cfg.n < 1 or cfg.repair_rounds < 0:
        raise UserError("n must be ≥ 1 and repair rounds ≥ 0")
    t0 = time.time()
    backend = backend or make_backend(cfg, log=log)
    retriever = load_rag(cfg.rag)
    codes: dict[str, str] = {}
    blocks_out: list[dict] = []
    with RunDir() as tmp:
        root = Path(work_dir) if work_dir else tmp
        root.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), disable=not progress, transient=True) as bar:
            task = bar.add_task("hierarchical generation", total=len(plan.blocks))
            for block in plan.blocks:
                bar.update(task, description=f"block {block.name}")
                log(f"block {block.name} (depends on: {', '.join(block.depends) or 'nothing'})")
                deps = closure(plan, block.name)
                res = generate_block(block, plan, cfg, backend, codes, [files[d] for d in deps],
                                     retriever=retriever, log=log, progress=progress)
                codes[block.name] = res.pop("_code")
                files[block.name] = root / f"{block.name}.sv"
                files[block.name].write_text(codes[block.name])
                blocks_out.append(res)
                log(f"  → {block.name}: {res['status']} ({res['candidates_tried']} candidates, "
                    f"{res['repair_rounds_used']} repair round(s))")
                bar.advance(task)
        assembled = assemble(plan, codes)
        log(f"checking the assembled design ({plan.top})")
        top_block = plan.block(plan.top)
        whole = Block(plan.top, top_block.spec, top_block.ports, top_block.params, [], top_block.test)
        chk = check_block(assembled, whole, [], plan.base_dir)
    n_pass = sum(b["accepted"] for b in blocks_out)
    report = {
        "mode": "hierarchical", "top": plan.top, "plan": plan.to_dict(),
        "config": asdict(cfg), "backend": backend.describe(),
        "blocks": blocks_out,
        "assembled": {"compiles": chk.compiles, "lint_clean": chk.lint_clean, "lint_warnings": chk.lint_warnings,
                      "ports_ok": chk.ports_ok, "tests_passed": chk.tests_passed, "test_results": chk.test_results,
                      "status": status_of(chk, top_block.test is not None), "errors": chk.errors,
                      "seconds": round(chk.seconds, 2)},
        "summary": {"blocks": len(blocks_out), "blocks_accepted": n_pass,
                    "blocks_with_test_passing": sum(bool(b["tests_passed"]) for b in blocks_out),
                    "candidates_tried": sum(b["candidates_tried"] for b in blocks_out),
                    "repair_rounds_used": sum(b["repair_rounds_used"] for b in blocks_out),
                    "assembled_passes": chk.good(),
                    "tokens": sum(b["tokens"] for b in blocks_out)},
        "seconds": round(time.time() - t0, 2),
    }
    return HierarchicalResult(report, assembled, codes)


def closure(plan: Plan, name: str) -> list[str]:
    """The blocks `name` needs to compile, in plan (bottom-up) order."""
    need, todo = set(), list(plan.block(name).depends)
    while todo:
        d = todo.pop()
        if d not in need:
            need.add(d)
            todo.extend(plan.block(d).depends)
    return [b.name for b in plan.blocks if b.name in need]


def assemble(plan: Plan, codes: dict[str, str]) -> str:
    """One file: the top's dependency closure bottom-up, then the top (blocks outside it are left out)."""
    names = closure(plan, plan.top) + [plan.top]
    head = f"// Assembled by rtlgen hierarchical generation: {', '.join(names)}\n\n"
    return head + "\n".join(f"// ---- {n} ----\n{codes[n].rstrip()}\n" for n in names)


def write_results(res: HierarchicalResult, out: Path) -> tuple[Path, Path, Path]:
    """`out` (the assembled Verilog), `<out>.report.json`, `<out>.report.md`, and `<stem>_blocks/*.sv`;
    each file written atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    rep = out.with_suffix(".report.json") if out.suffix in (".v", ".sv") else out.with_name(out.name + ".report.json")
    md = rep.with_suffix(".md")
    bdir = out.with_name(out.stem + "_blocks")
    bdir.mkdir(exist_ok=True)
    items = [(out, res.assembled), (rep, json.dumps(res.report, indent=2) + "\n"), (md, render_markdown(res.report))]
    items += [(bdir / f"{n}.sv", c) for n, c in res.block_codes.items()]
    for path, text in items:
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    return out, rep, md


def _yn(v) -> str:
    return "—" if v is None else ("yes" if v else "no")


def render_markdown(report: dict, title: str | None = None) -> str:
    s = report["summary"]
    be, cfg = report.get("backend", {}), report["config"]
    lines = [f"# {title or 'Hierarchical generation: ' + report['top']}", "",
             f"Model/backend: `{be.get('model') or cfg.get('model')}` via `{be.get('backend', cfg.get('backend'))}`; "
             f"n = {cfg['n']} candidates per block, up to {cfg['repair_rounds']} repair round(s), "
             f"max {cfg['max_new_tokens']} new tokens; plan from {report['plan']['source']}; "
             f"{report['seconds']:.0f} s in all.", "",
             f"**{s['blocks_accepted']} of {s['blocks']} blocks accepted** "
             f"({s['blocks_with_test_passing']} pass their own test); assembled design "
             f"**{'passes' if s['assembled_passes'] else 'does not pass'}** the top's test. "
             f"{s['candidates_tried']} candidates, {s['repair_rounds_used']} repair round(s) used.", "",
             "| block | depends on | candidates | repair rounds | compiles | lint-clean | ports | test | status |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for b in report["blocks"]:
        test = "—" if not b["has_test"] else (
            "pass" if b["tests_passed"] else "fail") + (
            f" ({sum(b['test_results'].values())}/{len(b['test_results'])})" if b["test_results"] else "")
        lines.append(f"| `{b['name']}` | {', '.join(b['depends']) or '—'} | {b['candidates_tried']} | "
                     f"{b['repair_rounds_used']} | {_yn(b['compiles'])} | {_yn(b['lint_clean'])} | {_yn(b['ports_ok'])} | "
                     f"{test} | {b['status']} |")
    a = report["assembled"]
    tr = a["test_results"]
    lines += ["", "## Assembled design", "",
              f"compiles: {_yn(a['compiles'])}, lint-clean: {_yn(a['lint_clean'])}, ports: {_yn(a['ports_ok'])}, "
              f"test: {_yn(a['tests_passed'])}" + (f" ({sum(tr.values())}/{len(tr)} tests)" if tr else "") +
              f" — {a['status']}.", ""]
    if tr:
        lines += ["| test | result |", "| --- | --- |"] + [f"| {k} | {'pass' if v else 'fail'} |" for k, v in tr.items()]
        lines.append("")
    for b in report["blocks"]:
        if b["errors"]:
            err = b["errors"][:1500].replace("```", "'''")
            lines += [f"### `{b['name']}`: what the checks said about the best candidate", "", "```", err, "```", ""]
    return "\n".join(lines) + "\n"


def generate_hierarchical(spec_text: str, spec_path: Path, cfg: GenerateConfig, *, plan_path: Path | None,
                          output: Path, log=print, progress: bool = True) -> tuple[dict, Path, Path]:
    """What `rtlgen generate --hierarchical` does: the user's plan, or the model's (validated,
    repaired, else one block); bottom-up generation; the assembled design checked; files written."""
    from rtlgen.generate import guess_top

    top = cfg.top or guess_top(spec_text)
    backend = None
    attempts: list[dict] = []
    if plan_path is not None:
        plan = _attach_top_test(load_plan(plan_path, overall_spec=None), cfg.tb)
        if not plan.spec:
            plan.spec = spec_text
            plan.block(plan.top).include_spec = True
    else:
        backend = make_backend(cfg, log=log)
        log(f"asking {cfg.model} for a decomposition of {top}")
        plan, attempts = plan_from_model(spec_text, top, backend, cfg, base_dir=spec_path.resolve().parent,
                                         tb=cfg.tb, log=log, progress=progress)
    log(f"plan ({plan.source}): {' → '.join(b.name for b in plan.blocks)}")
    res = run_plan(plan, cfg, backend=backend, log=log, progress=progress)
    if attempts:
        res.report["plan_attempts"] = attempts
    out, rep, _ = write_results(res, output)
    return res.report, out, rep
