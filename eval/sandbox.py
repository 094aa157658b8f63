"""Run untrusted compiles and simulations so they cannot hurt the host.

Model-written Verilog can loop forever, flood stdout, allocate huge memories or open files
anywhere through system tasks. Every tool call therefore runs in a fresh directory, in its own
process session (so the whole group can be killed), with stdin closed, rlimits on CPU time,
address space and file size, a wall-clock limit, and capped output. Where bubblewrap is
installed the file system is read-only except the run directory and a private /tmp, and the
network is unshared. A static check (`forbidden_system_tasks`) refuses sources whose system
tasks reach outside the run directory before any tool sees them.
"""

from __future__ import annotations

import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OUTPUT_CAP = 1 << 20  # bytes kept of stdout and of stderr each
CUT_NOTE = "\n[rtlgen sandbox: output cut at {cap} bytes; process killed]\n"


@dataclass
class Limits:
    """Resource limits of one sandboxed command."""

    wall_s: float = 30.0
    cpu_s: int | None = None  # default: wall_s + 5
    mem_bytes: int = 4 << 30  # address space; vvp of a sane design needs far less
    fsize_bytes: int = 64 << 20  # largest file the command may write (waves included)
    output_bytes: int = OUTPUT_CAP


@dataclass
class RunResult:
    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.truncated

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@lru_cache(maxsize=1)
def bwrap_available() -> str | None:
    """Path of a working bubblewrap, or None (probed once: containers may forbid namespaces)."""
    exe = shutil.which("bwrap")
    if not exe:
        return None
    try:
        probe = subprocess.run(
            [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
             "--die-with-parent", "--", "true"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return exe if probe.returncode == 0 else None


def bwrap_wanted() -> bool:
    """bubblewrap unless `RTLGEN_SANDBOX=rlimits`: namespace setup costs ~4 ms a process and is
    serialised by the kernel, so trusted sweeps (e.g. reference ceilings) may trade it for speed."""
    mode = os.environ.get("RTLGEN_SANDBOX", "bwrap").strip().lower()
    if mode not in ("bwrap", "rlimits"):
        from eval.errors import UserError

        raise UserError(f"RTLGEN_SANDBOX must be 'bwrap' or 'rlimits', not {mode!r}")
    return mode == "bwrap"


def isolation_mode(use_bwrap: bool | None = None) -> str:
    """What the provenance records about file-system isolation."""
    if use_bwrap is None:
        use_bwrap = bwrap_wanted()
    if use_bwrap and bwrap_available():
        return "bwrap (read-only root, private /tmp, no network) + rlimits + process-group kill"
    return "rlimits + process-group kill + static system-task check (bwrap not available)"


def _visible_under_tmp(argv: list[str]) -> list[str]:
    """Paths under /tmp that the command needs although /tmp is private in the sandbox: the Python
    environment and this checkout (a CI clone may live in /tmp) and absolute paths in argv."""
    import sys

    here = Path(__file__).resolve().parent.parent
    wanted = {Path(sys.prefix), Path(sys.base_prefix), here}
    wanted |= {Path(a) for a in argv if a.startswith("/tmp/")}
    wanted = {p for p in wanted if str(p).startswith("/tmp/") and p.exists()}
    keep = []
    for p in sorted(wanted):
        if not any(q != p and q in p.parents for q in wanted):  # an ancestor's bind covers it
            keep += ["--ro-bind", str(p), str(p)]
    return keep


def _bwrap_prefix(run_dir: Path, argv: list[str]) -> list[str]:
    exe = bwrap_available()
    assert exe
    return [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            *_visible_under_tmp(argv), "--bind", str(run_dir), str(run_dir), "--unshare-all",
            "--die-with-parent", "--chdir", str(run_dir), "--"]
    # No --new-session: the sandboxed tree must stay in our process group so one killpg reaches it
    # all (it has no controlling terminal anyway, since the group leader called setsid).


def _limiter(limits: Limits):
    cpu = limits.cpu_s if limits.cpu_s is not None else int(limits.wall_s) + 5

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.mem_bytes, limits.mem_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_bytes, limits.fsize_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _live_members(pgid: int) -> bool:
    """Whether a non-zombie process is left in the group (orphaned zombies may never be reaped
    when PID 1 of a container does not reap, so they must not count)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != b"Z":
            return True
    return False


def _kill_group(proc: subprocess.Popen, settle_s: float = 3.0) -> None:
    """SIGKILL the whole process group and wait until no live member is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader so that the group can empty
        if not _live_members(proc.pid):
            return
        time.sleep(0.01)


def run(argv: list[str], run_dir: Path, limits: Limits | None = None, *,
        use_bwrap: bool | None = None, env: dict[str, str] | None = None) -> RunResult:
    """Run `argv` inside `run_dir` under the limits; never raises for the child's misbehaviour."""
    limits = limits or Limits()
    run_dir = Path(run_dir).resolve()
    if use_bwrap is None:
        use_bwrap = bwrap_wanted()
    cmd = (_bwrap_prefix(run_dir, list(argv)) if use_bwrap and bwrap_available() else []) + list(argv)
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                 "HOME": str(run_dir), "TMPDIR": str(run_dir)}
    child_env.update(env or {})
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            cmd, cwd=run_dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_limiter(limits),
            env=child_env,
        )
    except OSError as exc:
        return RunResult(list(argv), None, "", f"rtlgen sandbox: cannot start {argv[0]}: {exc}\n",
                         time.monotonic() - start)
    bufs = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    sel = selectors.DefaultSelector()
    for stream in bufs:
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ)
    timed_out = truncated = False
    deadline = start + limits.wall_s
    open_streams = 2
    while open_streams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        for key, _ in sel.select(timeout=min(remaining, 0.5)):
            chunk = key.fileobj.read(65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            buf = bufs[key.fileobj]
            buf.extend(chunk)
            if len(buf) > limits.output_bytes:
                del buf[limits.output_bytes:]
                truncated = True
        if truncated:
            break
    if timed_out or truncated:
        _kill_group(proc)
    try:
        proc.wait(timeout=max(0.1, deadline - time.monotonic()) if not (timed_out or truncated) else 5)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    _kill_group(proc)  # children that outlived the leader die with the group
    sel.close()
    for stream in bufs:
        stream.close()
    out = bufs[proc.stdout].decode("utf-8", "replace")
    err = bufs[proc.stderr].decode("utf-8", "replace")
    if truncated:
        err += CUT_NOTE.format(cap=limits.output_bytes)
    rc = proc.returncode
    return RunResult(list(argv), rc, out, err, time.monotonic() - start, timed_out, truncated,
                     -rc if rc is not None and rc < 0 else None)


class RunDir:
    """A temporary directory for one evaluation, removed on exit whatever happened inside."""

    def __init__(self, root: Path | None = None, prefix: str = "rtlgen-"):
        self.root = root
        self.prefix = prefix
        self.path: Path | None = None

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix=self.prefix, dir=self.root))
        return self.path

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


# --- static check -----------------------------------------------------------------------------

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_FILE_TASKS = re.compile(r"\$(fopen|readmemh|readmemb|writememh|writememb|dumpfile)\s*\(\s*([^,)]*)")
_INCLUDE = re.compile(r'`include\s+"([^"]*)"')


def _path_escapes(path: str) -> bool:
    return path.startswith(("/", "~")) or ".." in Path(path).parts or "\\" in path


@dataclass
class StaticFinding:
    task: str
    detail: str

    def __str__(self) -> str:
        return f"{self.task}: {self.detail}"


def forbidden_system_tasks(source: str) -> list[StaticFinding]:
    """System tasks in `source` that could reach outside the run directory.

    `$system` is always refused. File tasks are allowed only with a relative string-literal path
    that stays inside the directory; a computed path is refused because it cannot be checked.
    """
    text = _COMMENTS.sub(" ", source)
    findings: list[StaticFinding] = []
    for m in re.finditer(r"\$system\b", text):
        findings.append(StaticFinding("$system", "runs a shell command"))
    for m in _FILE_TASKS.finditer(text):
        task, arg = m.group(1), m.group(2).strip()
        lit = re.fullmatch(r'"([^"]*)"', arg)
        if not lit:
            if task == "dumpfile" and not arg:
                continue
            findings.append(StaticFinding(f"${task}", f"computed file name {arg!r} cannot be checked"))
        elif _path_escapes(lit.group(1)):
            findings.append(StaticFinding(f"${task}", f"path {lit.group(1)!r} leaves the run directory"))
    for m in _INCLUDE.finditer(text):
        if _path_escapes(m.group(1)):
            findings.append(StaticFinding("`include", f"path {m.group(1)!r} leaves the run directory"))
    return findings
