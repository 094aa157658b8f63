"""The GPU job scripts run end to end on CPU with a tiny model (the same code path the GPU runs)."""

import json
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _v2_suite(root: Path) -> Path:
    """A two-problem copy of the VerilogEval v2 layout (the loader reads prompt, ref and test)."""
    d = root / "verilog-eval-v2" / "dataset_spec-to-rtl"
    d.mkdir(parents=True)
    ids = []
    for i, (name, body) in enumerate([("and2", "assign y = a & b;"), ("or2", "assign y = a | b;")], 1):
        pid = f"Prob{i:03d}_{name}"
        ids.append(pid)
        (d / f"{pid}_prompt.txt").write_text(f"Implement a module named TopModule with inputs a, b and output y: {name}.\n")
        (d / f"{pid}_ref.sv").write_text(f"module RefModule(input a, input b, output y);\n  {body}\nendmodule\n")
        (d / f"{pid}_test.sv").write_text("module tb; endmodule\n")
    (d / "problems.txt").write_text("\n".join(ids) + "\n")
    return root


def _run(args, tmp_path):
    p = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RTLGEN_THREADS": "1",
                            "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)})
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_bench_generate_tiny(tmp_path):
    root = _v2_suite(tmp_path)
    out = tmp_path / "bench.json"
    stdout = _run(["scripts/bench_generate.py", "--tiny", "--bench-path", str(root / "verilog-eval-v2"), "--n", "3",
                   "--max-new-tokens", "12", "--naive-rows", "6", "--naive-batch", "6", "--batch-rows", "6",
                   "--out", str(out)], tmp_path)
    rep = json.loads(out.read_text())
    fixed, naive = rep["runs"]["hf-fixed@6"], rep["runs"]["naive@6"]
    assert fixed["rows"] == 6 and fixed["tokens"] == 6 * 12 and fixed["impl"] == "fast"
    assert naive["tokens"] == 6 * 12 and "hf-stop@6" in rep["runs"]
    assert rep["workload"]["prompts"] == 2 and "tokens/s" in stdout
    assert len(fixed["repeat_tokens_per_s"]) == 2 and fixed["tokens_per_s"] == fixed["repeat_tokens_per_s"][-1]


def test_device_base_eval_tiny_resumes(tmp_path):
    root = _v2_suite(tmp_path)
    work, out = tmp_path / "work", tmp_path / "out"
    args = ["scripts/device_base_eval.py", "--tiny", "--bench-root", str(root), "--benches", "verilogeval-v2-spec",
            "--n-sampled", "3", "--max-new-tokens", "8", "--work", str(work), "--out", str(out)]
    _run(args, tmp_path)
    rep = json.loads((out / "base_eval_gen.json").read_text())
    assert rep["runs"]["verilogeval-v2-spec/greedy"]["samples_written"] == 2
    assert rep["runs"]["verilogeval-v2-spec/sampled"]["samples_written"] == 6
    with tarfile.open(out / "base_samples.tar.gz") as tf:
        names = tf.getnames()
    assert "samples/verilogeval-v2-spec/sampled.jsonl" in names
    _run(args, tmp_path)  # a second call finds everything done
    rep2 = json.loads((out / "base_eval_gen.json").read_text())
    assert rep2["runs"]["verilogeval-v2-spec/sampled"]["samples_written"] == 0
    assert rep2["runs"]["verilogeval-v2-spec/sampled"]["resumed_samples"] == 6
