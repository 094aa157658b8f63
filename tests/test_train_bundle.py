"""The GPU training bundle: rows from every round-2 source, seeded problem subsets, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_train_bundle.py"


def _problems(folder: Path, ids):
    folder.mkdir(parents=True)
    for i in ids:
        for suffix in ("_prompt.txt", "_ref.sv", "_test.sv"):
            (folder / f"{i}{suffix}").write_text(f"{i}{suffix}\n")


def test_bundle_mixes_sources_and_samples_problems(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps({"prompt": f"a{i}", "completion": "x"}) + "\n" for i in range(3)))
    b.write_text("".join(json.dumps({"prompt": f"b{i}", "completion": "y", "kind": "code-complete"}) + "\n"
                         for i in range(4)))
    _problems(tmp_path / "p1", [f"proc{i}" for i in range(10)])
    _problems(tmp_path / "p2", ["real0", "real1"])
    outs = []
    for run in range(2):
        out = tmp_path / f"o{run}" / "default"
        proc = subprocess.run([sys.executable, str(SCRIPT), "--round2", str(a), "--round2", str(b),
                               "--problems", f"{tmp_path / 'p1'}:4", "--problems", str(tmp_path / "p2"),
                               "--out", str(out), "--tar", str(tmp_path / f"o{run}.tgz")],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    rows = [json.loads(x) for x in (outs[0] / "round2.jsonl").read_text().splitlines()]
    assert sorted(r["prompt"] for r in rows) == ["a0", "a1", "a2", "b0", "b1", "b2", "b3"]
    names = sorted(p.name for p in (outs[0] / "problems").iterdir())
    assert len(names) == 6 * 3 + 1 and sum(n.startswith("real") for n in names) == 6
    listed = (outs[0] / "problems" / "problems.txt").read_text().split()
    assert len(listed) == 6 and "real0" in listed
    assert names == sorted(p.name for p in (outs[1] / "problems").iterdir())  # seeded: same subset
    info = json.loads((outs[0] / "bundle.json").read_text())
    assert info["round2_rows"] == 7 and info["problem_count"] == 6 and (tmp_path / "o0.tgz").stat().st_size > 0


def test_bundle_refuses_clashing_ids_and_bad_rows(tmp_path):
    _problems(tmp_path / "p1", ["same"])
    _problems(tmp_path / "p2", ["same"])
    good = tmp_path / "g.jsonl"
    good.write_text('{"prompt": "p", "completion": "c"}\n')
    proc = subprocess.run([sys.executable, str(SCRIPT), "--round2", str(good), "--problems", str(tmp_path / "p1"),
                           "--problems", str(tmp_path / "p2"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "appears in two folders" in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p"}\n{oops\n')
    proc = subprocess.run([sys.executable, str(SCRIPT), "--round2", str(bad), "--out", str(tmp_path / "o2")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "bad.jsonl:2: not valid JSON" in proc.stderr


def test_bundle_dedup_drops_later_files_rows_whose_prompt_came_earlier(tmp_path):
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("".join(json.dumps({"prompt": f"p{i}", "completion": "old"}) + "\n" for i in (0, 1, 2, 2)))
    new.write_text("".join(json.dumps({"prompt": f"p{i}", "completion": "new"}) + "\n" for i in range(1, 5)))
    out = tmp_path / "o" / "default"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--round2", str(old), "--round2", str(new),
                           "--dedup-prompts", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = sorted((r["prompt"], r["completion"]) for r in map(json.loads, (out / "round2.jsonl").read_text().splitlines()))
    assert rows == [("p0", "old"), ("p1", "old"), ("p2", "old"), ("p2", "old"), ("p3", "new"), ("p4", "new")]
    info = json.loads((out / "bundle.json").read_text())
    assert [e["repeated_prompts_dropped"] for e in info["round2"]] == [0, 2] and info["round2_rows"] == 6


def test_bundle_max_chars_leaves_out_long_rows_before_dedup(tmp_path):
    """A long row is left out and does not shadow a later file's short row with the same prompt."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps({"prompt": "p0", "completion": "x" * 30}) + "\n" + json.dumps({"prompt": "p1", "completion": "x" * 8}) + "\n")
    b.write_text(json.dumps({"prompt": "p0", "completion": "short"}) + "\n")
    out = tmp_path / "o" / "default"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--round2", str(a), "--round2", str(b), "--max-chars", "10",
                           "--dedup-prompts", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = sorted((r["prompt"], r["completion"]) for r in map(json.loads, (out / "round2.jsonl").read_text().splitlines()))
    assert rows == [("p0", "short"), ("p1", "x" * 8)]
    info = json.loads((out / "bundle.json").read_text())
    assert [e["longer_than_max_chars"] for e in info["round2"]] == [1, 0]
