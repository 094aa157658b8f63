"""The sandbox contains hostile designs: each is classified and leaves no process and no file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from eval.benchmarks import get_benchmark
from eval.sandbox import Limits, forbidden_system_tasks, run

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "testbenches" / "hostile"
OUTSIDE = ["/tmp/rtlgen-hostile-escape.txt", "/tmp/rtlgen-hostile-system.txt"]


def processes_under(path: Path) -> list[str]:
    """Processes whose working directory lies under `path` (would be survivors of a run)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cwd.startswith(str(path)):
            found.append(pid)
    return found


@pytest.fixture()
def smoke():
    bench = get_benchmark(f"local:{ROOT / 'testbenches' / 'smoke' / 'v2'}")
    bench.timeout_s = 3.0
    return bench, bench.load()["Prob001_and_gate"]


@pytest.mark.parametrize("mode", ["bwrap", "rlimits"])
@pytest.mark.parametrize("name,expected", sorted(json.loads((HOSTILE / "expected.json").read_text()).items()))
def test_hostile_design_is_contained(smoke, tmp_path, monkeypatch, name, expected, mode):
    monkeypatch.setenv("RTLGEN_SANDBOX", mode)
    bench, task = smoke
    work = tmp_path / "work"
    work.mkdir()
    for f in OUTSIDE:
        Path(f).unlink(missing_ok=True)
    start = time.monotonic()
    out = bench.evaluate(task, (HOSTILE / name).read_text(), work_root=work)
    assert time.monotonic() - start < 30
    assert not out.passed
    assert out.failure == expected, out.log_tail
    assert list(work.iterdir()) == [], "run directory left behind"
    assert processes_under(work) == []
    assert not (tmp_path / "rtlgen-hostile-parent.txt").exists()
    for f in OUTSIDE:
        assert not Path(f).exists()


def test_testbench_without_finish_is_killed(tmp_path):
    bench = get_benchmark(f"local:{HOSTILE / 'no_finish_suite'}")
    bench.timeout_s = 2.0
    task = bench.load()["Prob001_no_finish"]
    out = bench.evaluate(task, task.reference, work_root=tmp_path, reference=True)
    assert out.failure == "T" and out.syntax_ok and not out.passed
    assert list(tmp_path.iterdir()) == [] and processes_under(tmp_path) == []


@pytest.mark.parametrize("use_bwrap", [True, False])
def test_timeout_kills_whole_process_group(tmp_path, use_bwrap):
    res = run(["sh", "-c", "sleep 300 & sleep 300"], tmp_path, Limits(wall_s=1), use_bwrap=use_bwrap)
    assert res.timed_out and not res.ok
    time.sleep(0.2)
    assert processes_under(tmp_path) == []


def test_output_is_capped(tmp_path):
    res = run(["sh", "-c", "yes flood"], tmp_path, Limits(wall_s=20, output_bytes=4096), use_bwrap=False)
    assert res.truncated and len(res.stdout) == 4096 and "output cut" in res.stderr
    assert res.seconds < 10


def test_file_size_limit(tmp_path):
    res = run(["sh", "-c", "head -c 3000000 /dev/zero > big"], tmp_path, Limits(fsize_bytes=1 << 20), use_bwrap=False)
    assert res.returncode != 0
    assert (tmp_path / "big").stat().st_size <= 1 << 20


def test_stdin_is_closed(tmp_path):
    res = run(["cat"], tmp_path, Limits(wall_s=5), use_bwrap=False)
    assert res.returncode == 0 and res.stdout == "" and not res.timed_out


def test_static_check_allows_relative_paths_and_ignores_comments():
    ok = 'initial $readmemh("data.txt", mem); // $system("rm -rf /")\n/* $fopen("/etc/passwd") */'
    assert forbidden_system_tasks(ok) == []
    bad = forbidden_system_tasks('initial begin fd = $fopen(name); $dumpfile("/tmp/w.vcd"); end')
    assert [f.task for f in bad] == ["$fopen", "$dumpfile"]
    assert forbidden_system_tasks('`include "../../secret.vh"')[0].task == "`include"


def test_unknown_sandbox_mode_is_a_user_error(monkeypatch):
    from eval.errors import UserError
    from eval.sandbox import bwrap_wanted

    monkeypatch.setenv("RTLGEN_SANDBOX", "docker")
    with pytest.raises(UserError, match="RTLGEN_SANDBOX"):
        bwrap_wanted()
