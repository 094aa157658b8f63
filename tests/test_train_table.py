"""scripts/train_table.py: the ablation table is computed from scored runs, and its mean covers exactly the
benchmarks asked for (a variant missing one of them gets no mean rather than a mean over fewer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(folder: Path, scores: dict[str, float]) -> Path:
    for bench, p1 in scores.items():
        for proto in ("greedy", "sampled"):
            d = folder / f"{bench}-{proto}"
            d.mkdir(parents=True)
            d.joinpath("summary.json").write_text(json.dumps(
                {"benchmarks": {bench: {"syntax_rate": 0.5, "pass@k": {"pass@1": p1}}}}))
    return folder


def _table(*args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = Path(args[-1])
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_table.py"), *args[:-1], "--out", str(out)],
                          capture_output=True, text=True)
    return proc, json.loads(out.read_text()) if out.exists() else None


def test_mean_over_a_subset_and_none_when_a_benchmark_is_missing(tmp_path):
    four = ["verilogeval-v2-spec", "verilogeval-v1-human", "verilogeval-v1-machine", "rtllm-v1.1"]
    a = _run(tmp_path / "a", dict(zip(four, [0.1, 0.2, 0.3, 0.0])))
    b = _run(tmp_path / "b", {"verilogeval-v2-spec": 0.4})
    proc, data = _table(f"A={a}", f"B={b}", "--benches", ",".join(four), str(tmp_path / "t.json"))
    assert proc.returncode == 0, proc.stderr
    assert data["means"]["A"]["greedy pass@1"] == 15.0
    assert data["means"]["B"]["greedy pass@1"] is None
    assert "Mean over verilogeval-v2-spec, verilogeval-v1-human" in proc.stdout
    proc, data = _table(f"A={a}", str(tmp_path / "five.json"))  # the default five: v2-complete is missing
    assert data["means"]["A"]["greedy pass@1"] is None


def test_unknown_benchmark_and_missing_folder_are_one_line_errors(tmp_path):
    a = _run(tmp_path / "a", {"verilogeval-v2-spec": 0.1})
    proc, _ = _table(f"A={a}", "--benches", "verilogeval-v3", str(tmp_path / "x.json"))
    assert proc.returncode != 0 and proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr
    proc, _ = _table(f"A={tmp_path / 'nope'}", str(tmp_path / "y.json"))
    assert proc.returncode != 0 and proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
