"""The generate → check → repair loop behind `rtlgen generate`.

1. Sample N candidates for the spec.
2. Check each one for real: Icarus compile, Verilator lint, and — when the user gave `--tb` — their
   testbench (a Verilog bench run under vvp, or a cocotb Python test), all through the sandbox,
   because model-written Verilog is untrusted.
3. Feed the tool output of the failing candidates back to the model (the failed answer becomes
   the assistant's turn, the errors the next question) for up to R repair rounds; stop early once
   a candidate is good (passes the bench; without a bench: compiles lint-clean).
4. Pick the best: passes tests > compiles lint-clean > compiles; among equals, `select="consensus"`
   (the default, rtlgen/consensus.py) prefers the behaviour most compiling candidates share under
   one seeded random-stimulus bench, then fewer lint warnings > earlier; `select="first"` skips the
   consensus (fewer lint warnings > earlier). Write it, and a JSON report of every candidate, its
   checks, the behaviour clusters and the errors that drove repairs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.errors import UserError
from eval.sandbox import Limits, RunDir, forbidden_system_tasks, run
from eval.simulators import iverilog_compile, lint_summary, verilator_lint, vvp_run


@dataclass
class GenerateConfig:
    """Every knob of `rtlgen generate` (YAML + key=value overrides through rtlgen.config)."""

    model: str = "rtlgen-smollm2-135m"  # our fine-tuned default; "smollm2-135m" is the base model
    adapters: list[str] = field(default_factory=list)
    backend: str = "hf"
    endpoint: str | None = None
    n: int = 4
    temperature: float = 0.8  # used when n > 1; n = 1 is greedy
    top_p: float = 0.95
    max_new_tokens: int = 768
    repair_rounds: int = 2
    shots: int = 1
    answer_prefix: bool = True  # start the answer with "[BEGIN]\nmodule <top>" (in-process backends)
    kind: str = "spec-to-rtl"
    top: str | None = None
    tb: str | None = None
    tb_top: str | None = None
    tb_timeout_s: float = 60.0
    rag: str | None = None
    device: str | None = None
    dtype: str | None = None
    batch_size: int | None = None
    seed: int = 0
    select: str = "consensus"  # how equally good candidates are told apart: "consensus" | "first"
    scaffold: bool = True  # write the header from the spec's port list, ask for the body (rtlgen.spec_ports)


# --- reading the spec ---------------------------------------------------------------------------

def read_spec(path: str | Path) -> str:
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f"spec file not found: {p}")
    if p.is_dir():
        raise UserError(f"spec {p} is a directory; give a text file")
    data = p.read_bytes()
    if b"\x00" in data[:8192]:
        raise UserError(f"spec {p} looks binary (NUL bytes); give a plain-text description")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"spec {p} is not UTF-8 (byte {exc.start}); save it as UTF-8 text") from None
    if not text.strip():
        raise UserError(f"spec {p} is empty")
    return text


_NAMED = re.compile(r"\bmodule\s+(?:named|called)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?", re.I)
_DECL = re.compile(r"^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:#\s*\(|\()", re.M)


def guess_top(spec: str) -> str:
    """The module name the spec asks for ('module named X', or a given header), else TopModule."""
    m = _NAMED.search(spec) or _DECL.search(spec)
    return m.group(1) if m else "TopModule"


def spec_interface(spec: str, top: str) -> str | None:
    """A module header given in the spec (code-completion style), through its `);`."""
    m = re.search(rf"^\s*module\s+{re.escape(top)}\b.*?\)\s*;", spec, re.S | re.M)
    return m.group(0).strip() if m else None


# --- checking one candidate ---------------------------------------------------------------------

@dataclass
class Check:
    compiles: bool = False
    lint_clean: bool = False
    lint_warnings: int = 0
    lint_codes: dict = field(default_factory=dict)
    tests_passed: bool | None = None  # None: no testbench given
    errors: str = ""  # what a repair round shows the model
    seconds: float = 0.0

    def score(self) -> tuple:
        return (self.tests_passed is True, self.compiles and self.lint_clean, self.compiles, -self.lint_warnings)

    def good(self) -> bool:
        return self.tests_passed is True if self.tests_passed is not None else (self.compiles and self.lint_clean)


def _tail(text: str, lines: int = 30) -> str:
    rows = [r for r in text.splitlines() if r.strip()]
    return "\n".join(rows[-lines:])


def _clean_paths(text: str, run_dir: Path) -> str:
    return text.replace(str(run_dir) + "/", "").replace(str(run_dir), ".")


_FAIL_LINE = re.compile(r"\b(FAIL|FAILED|ERROR)\b|Mismatches:\s*[1-9]", re.I)


def tb_modules(tb_text: str) -> list[str]:
    from eval.extract import module_blocks

    return [n for n, _ in module_blocks(tb_text)]


def compile_and_lint(chk: Check, rd: Path, sources: list[str], top: str) -> list[str]:
    """Fill the compile and lint fields of `chk` for `sources` in run dir `rd`; returns the error
    texts a repair prompt shows (paths made relative)."""
    comp = iverilog_compile(rd, sources, out="design.vvp", top=top)
    chk.compiles = comp.returncode == 0 and (rd / "design.vvp").exists()
    errs = []
    if not chk.compiles:
        errs.append("Icarus Verilog (iverilog -g2012) errors:\n" + _tail(_clean_paths(comp.output, rd)))
    lint = verilator_lint(rd, sources, top=top)
    summ = lint_summary(lint)
    chk.lint_warnings, chk.lint_codes = summ["warnings"], summ["codes"]
    chk.lint_clean = chk.compiles and not summ["errors"] and summ["warnings"] == 0 and lint.returncode == 0
    if not chk.lint_clean and (summ["errors"] or summ["warnings"]):
        lines = [ln for ln in _clean_paths(lint.output, rd).splitlines() if ln.startswith("%")]
        errs.append("Verilator lint:\n" + "\n".join(lines[:20]))
    return errs


def check_candidate(code: str, top: str, *, tb: Path | None = None, tb_top: str | None = None,
                    tb_timeout_s: float = 60.0) -> Check:
    """Compile, lint and (optionally) test `code`; never raises for the design's misbehaviour."""
    start = time.monotonic()
    chk = Check()
    findings = forbidden_system_tasks(code)
    if findings:
        chk.errors = "rejected before simulation: " + "; ".join(map(str, findings))
        chk.tests_passed = False if tb else None
        return chk
    with RunDir() as rd:
        design = f"{top}.sv"
        (rd / design).write_text(code)
        errs = compile_and_lint(chk, rd, [design], top)
        if tb is not None:
            if not chk.compiles:
                chk.tests_passed = False
            elif tb.suffix == ".py":
                ok, log = _run_cocotb(rd, design, top, tb, tb_timeout_s)
                chk.tests_passed = ok
                if not ok:
                    errs.append("cocotb test failed:\n" + _tail(_cocotb_essentials(_clean_paths(log, rd)), 25))
            else:
                ok, log = _run_verilog_tb(rd, design, top, tb, tb_top, tb_timeout_s)
                chk.tests_passed = ok
                if not ok:
                    errs.append("testbench failed:\n" + _tail(_clean_paths(log, rd), 25))
        chk.errors = "\n\n".join(errs)
    chk.seconds = time.monotonic() - start
    return chk


def _run_verilog_tb(rd: Path, design: str, top: str, tb: Path, tb_top: str | None, timeout: float):
    """Pass rule: the bench compiles, vvp exits 0 within the limit, prints no FAIL/ERROR line and no
    non-zero `Mismatches:` count ($fatal/$stop make vvp exit non-zero)."""
    text = tb.read_text(encoding="utf-8", errors="replace")
    shutil.copy(tb, rd / tb.name)
    for f in tb.parent.iterdir():  # data files the bench reads by relative path
        if f.is_file() and f.suffix in (".txt", ".hex", ".mem", ".dat") and f.stat().st_size < (8 << 20):
            shutil.copy(f, rd / f.name)
    if not tb_top:
        own = tb_modules(text)
        if not own:
            return False, f"no module in the testbench {tb}"
        tb_top = next((n for n in own if not any(re.search(rf"\b{re.escape(n)}\s+\w+\s*\(", s)
                                                   for s in [text])), own[0])
        # the bench's top is the module nobody instantiates; prefer one that is not the design
        cands = [n for n in own if n != top and not re.search(rf"^\s*{re.escape(n)}\s+(#\s*\(|\w+\s*\()", text, re.M)]
        tb_top = cands[0] if cands else tb_top
    comp = iverilog_compile(rd, [design, tb.name], out="tb.vvp", top=tb_top)
    if comp.returncode != 0:
        return False, comp.output
    sim = vvp_run(rd, "tb.vvp", limits=Limits(wall_s=timeout))
    log = sim.output
    if sim.timed_out:
        return False, log + "\nTIMEOUT: the simulation did not finish"
    if sim.returncode != 0:
        return False, log + f"\nsimulation exited with code {sim.returncode}"
    last = re.findall(r"Mismatches:\s*(\d+)", log)
    if any(_FAIL_LINE.search(ln) for ln in log.splitlines()) or (last and int(last[-1]) != 0):
        return False, log
    return True, log


_COCOTB_DRIVER = r'''
import json, os, sys
from cocotb_tools.runner import get_runner, get_results
design, top, module, out = sys.argv[1:5]
runner = get_runner("icarus")
runner.build(sources=[design], hdl_toplevel=top, build_dir=os.path.abspath("build"), always=True,
             build_args=["-g2012"], timescale=("1ns", "1ps"))
xml = runner.test(test_module=module, hdl_toplevel=top, test_dir=os.getcwd(),
                  build_dir=os.path.abspath("build"))
n, failed = get_results(xml)
json.dump({"tests": n, "failed": failed}, open(out, "w"))
'''


def _cocotb_essentials(log: str) -> str:
    """The assertion/traceback part of a cocotb log, without its INFO chatter and column padding."""
    keep = []
    for line in log.splitlines():
        if re.search(r"\bINFO\b|gpi|^\s*\*+\s*$|\*\*\s+TEST", line):
            continue
        keep.append(re.sub(r"^\s*[0-9.\-]+ns\s+\w+\s+\S+\s+", "", line).strip())
    return "\n".join(k for k in keep if k)


def _run_cocotb(rd: Path, design: str, top: str, tb: Path, timeout: float):
    """Runs the cocotb test in a child Python under the sandbox's limits (cocotb sets none). The
    verdict travels in a file with an unguessable name, so the design cannot print a fake one."""
    shutil.copy(tb, rd / tb.name)
    (rd / "_rtlgen_cocotb.py").write_text(_COCOTB_DRIVER)
    verdict = f"verdict-{secrets.token_hex(8)}.json"
    env = {"PYTHONPATH": str(rd), "COCOTB_ANSI_OUTPUT": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    res = run([sys.executable, "_rtlgen_cocotb.py", design, top, tb.stem, verdict], rd,
              Limits(wall_s=timeout, mem_bytes=8 << 30), env=env)
    log = res.output
    vf = rd / verdict
    if res.timed_out:
        return False, log + "\nTIMEOUT"
    if not vf.exists():
        return False, log
    v = json.loads(vf.read_text())
    ok = v["tests"] > 0 and v["failed"] == 0
    return ok, log + f"\ncocotb: {v['tests']} tests, {v['failed']} failed"


# --- the loop -----------------------------------------------------------------------------------

@dataclass
class Candidate:
    index: int
    round: int
    parent: int | None
    text: str
    code: str | None
    tokens: int
    check: Check

    def to_dict(self) -> dict:
        d = asdict(self)  # recurses into the check (a BlockCheck keeps its extra fields)
        d["check"]["good"] = self.check.good()
        return d


def make_backend(cfg: GenerateConfig, log=print):
    from rtlgen.backends import get_backend

    if cfg.backend == "openai":
        return get_backend("openai", endpoint=cfg.endpoint, model=None if cfg.model in ("smollm2-135m", "rtlgen-smollm2-135m") else cfg.model,
                           log=log)
    return get_backend(cfg.backend, model=cfg.model, adapters=cfg.adapters, device=cfg.device, dtype=cfg.dtype,
                       batch_size=cfg.batch_size, log=log)


def load_rag(index: str | None):
    """The retriever of `rag_index` (built by another part of rtlgen); imported only when asked for."""
    if not index:
        return None
    import importlib.util

    if importlib.util.find_spec("rag_index.retriever") is None:
        raise UserError("RAG support not installed (rag_index.retriever is missing)")
    from rag_index.retriever import load_retriever

    if not Path(index).expanduser().exists():
        raise UserError(f"--rag {index}: no such index")
    return load_retriever(Path(index).expanduser())


def generate_rtl(spec: str, cfg: GenerateConfig, *, backend=None, log=print, progress: bool = True) -> dict:
    """Run the loop; returns the report (the caller writes files)."""
    from rtlgen.backends import SamplingParams
    from rtlgen.prompts import build_prompt, extract_answer

    t0 = time.time()
    top = cfg.top or guess_top(spec)
    interface = spec_interface(spec, top)
    kind = cfg.kind if cfg.kind else ("code-complete" if interface else "spec-to-rtl")
    tb = Path(cfg.tb).expanduser().resolve() if cfg.tb else None
    if tb is not None and not tb.is_file():
        raise UserError(f"--tb {cfg.tb}: no such file")
    if tb is not None and tb.suffix not in (".v", ".sv", ".py"):
        raise UserError(f"--tb {cfg.tb}: expected a Verilog bench (.v/.sv) or a cocotb test (.py)")
    if cfg.n < 1 or cfg.repair_rounds < 0:
        raise UserError("n must be ≥ 1 and repair rounds ≥ 0")
    if cfg.select not in ("consensus", "first"):
        raise UserError(f"select must be 'consensus' or 'first', not {cfg.select!r}")
    retriever = load_rag(cfg.rag)
    context = retriever.context_for_spec(spec) if retriever is not None else None
    prompt = build_prompt(spec, kind=kind, top=top, shots=cfg.shots, context=context, interface=interface,
                          answer_prefix=cfg.answer_prefix, scaffold=cfg.scaffold)
    interface = prompt.interface
    backend = backend or make_backend(cfg, log=log)
    ctx = backend.context_length()
    if ctx is not None:
        used = backend.prompt_tokens(prompt)
        if used is not None and used + 64 > ctx:
            raise UserError(f"the spec is too long: the prompt takes {used} tokens of the model's {ctx}-token context")
    greedy = cfg.n == 1
    params = SamplingParams(n=cfg.n, temperature=0.0 if greedy else cfg.temperature, top_p=cfg.top_p,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)
    cands: list[Candidate] = []
    gen_tokens = 0
    gen_seconds = 0.0

    def add(texts, rnd, parents):
        nonlocal gen_tokens
        for comp, parent in zip(texts, parents):
            code = extract_answer(prompt, comp.text)
            chk = check_candidate(code, top, tb=tb, tb_top=cfg.tb_top, tb_timeout_s=cfg.tb_timeout_s) \
                if code else Check(errors="the answer contains no Verilog module")
            if code is None and tb is not None:
                chk.tests_passed = False
            gen_tokens += comp.tokens
            cands.append(Candidate(len(cands), rnd, parent, comp.text, code, comp.tokens, chk))
            flag = "PASS" if chk.tests_passed else ("lint-clean" if chk.lint_clean else
                                                     "compiles" if chk.compiles else "fails")
            log(f"  candidate {len(cands) - 1} (round {rnd}): {flag}")

    log(f"generating {cfg.n} candidate(s) for {top} with {cfg.model}")
    g0 = time.time()
    first = backend.generate([prompt], params, progress=progress)[0]
    gen_seconds += time.time() - g0
    add(first, 0, [None] * len(first))
    for rnd in range(1, cfg.repair_rounds + 1):
        if any(c.check.good() for c in cands):
            break
        todo, prompts = repair_requests(cands, rnd, cfg.n, prompt, retriever, fits=prompt_fits(backend))
        log(f"repair round {rnd}: {len(prompts)} candidate(s)")
        if not prompts:
            log("  no repair prompt fits the model's context")
            break
        rp = SamplingParams(n=1, temperature=params.temperature, top_p=cfg.top_p,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed + rnd)
        g0 = time.time()
        outs = backend.generate(prompts, rp, progress=progress)
        gen_seconds += time.time() - g0
        add([o[0] for o in outs], rnd, [c.index for c in todo])
    selection = None
    if cfg.select == "consensus":
        from rtlgen.consensus import select_candidate

        pick, selection = select_candidate(cands, top, interface=interface, seed=cfg.seed)
        best = cands[pick]
        if selection:
            log(f"consensus: behaviour clusters {selection['cluster_sizes']}, "
                f"picked candidate {pick} (cluster of {selection['picked_cluster_size']})")
    else:
        best = max(cands, key=lambda c: (c.check.score(), c.code is not None, -c.index))
    report = {
        "top": top, "kind": prompt.kind, "spec_chars": len(spec),
        "scaffold_header": interface if prompt.meta.get("scaffold") else None,
        "config": asdict(cfg), "backend": backend.describe(),
        "best": best.index, "best_status": ("passes tests" if best.check.tests_passed else
                                            "compiles lint-clean" if best.check.lint_clean else
                                            "compiles" if best.check.compiles else "fails to compile"),
        "selection": {"method": cfg.select, "consensus": selection},
        "candidates": [c.to_dict() for c in cands],
        "generation": {"tokens": gen_tokens, "seconds": round(gen_seconds, 3),
                       "tokens_per_s": round(gen_tokens / gen_seconds, 1) if gen_seconds else None},
        "seconds": round(time.time() - t0, 3),
    }
    report["_best_code"] = best.code or "// rtlgen: no candidate contained a Verilog module; see the report\n"
    return report


def write_outputs(report: dict, out: Path) -> tuple[Path, Path]:
    """The Verilog and `<out>.report.json`, each written atomically."""
    code = report.pop("_best_code")
    out.parent.mkdir(parents=True, exist_ok=True)
    rep = out.with_name(out.name + ".report.json") if out.suffix not in (".v", ".sv") else out.with_suffix(".report.json")
    for path, text in ((out, code), (rep, json.dumps(report, indent=2) + "\n")):
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    return out, rep


def prompt_fits(backend, margin: int = 64):
    """A predicate `Prompt -> bool`: does it leave `margin` tokens of the backend's context free?
    Always true when the backend cannot count (an endpoint without a tokenizer)."""
    ctx = backend.context_length()

    def fits(p) -> bool:
        used = backend.prompt_tokens(p) if ctx is not None else None
        return used is None or used + margin <= ctx
    return fits


def repair_requests(cands: list, rnd: int, n: int, prompt, retriever=None, fits=None) -> tuple[list, list]:
    """The most promising distinct failures of round `rnd - 1` (at most `n`) and their repair
    prompts: the tool errors, plus knowledge passages about those errors when RAG is on.

    A repair prompt repeats the spec (with its retrieved context), the failed code and the errors, so
    it can outgrow the model's context where the first prompt fit (a 9,016-token repair of the
    showcase's top block against an 8,192 context). With `fits`, the error notes go first, then the
    error text is cut shorter; a failure whose repair still does not fit is not repaired."""
    from rtlgen.prompts import build_repair_prompt

    latest = [c for c in cands if c.round == rnd - 1]
    seen, todo = set(), []
    for c in sorted(latest, key=lambda c: c.check.score(), reverse=True):
        key = c.code or c.text
        if key not in seen:
            seen.add(key)
            todo.append(c)
    todo = todo[:max(1, n)]
    prompts = []
    kept, prompts = [], []
    for c in todo:
        errors = c.check.errors or "the design has problems"
        tries = []
        if retriever is not None and c.check.errors:
            extra = retriever.context_for_error(c.check.errors)
            if extra:
                tries.append((errors + "\n\nNotes that may help:\n" + extra, 3000))
        tries += [(errors, 3000), (errors, 600)]
        for errs, limit in tries:
            p = build_repair_prompt(prompt, c.code or c.text, errs, max_error_chars=limit)
            if fits is None or fits(p):
                kept.append(c)
                prompts.append(p)
                break
    return kept, prompts
