"""`rtlgen report --showcase`: the showcase page reads the committed showcase results."""

from __future__ import annotations

import json

from rtlgen.cli import main


def test_showcase_page_lists_blocks_and_synthesis(tmp_path, capsys):
    sc = tmp_path / "showcase"
    (sc / "generated").mkdir(parents=True)
    report = {"config": {"model": "m"},
              "summary": {"blocks": 2, "blocks_accepted": 1, "candidates_tried": 5, "repair_rounds_used": 2,
                          "assembled_passes": False},
              "blocks": [{"name": "leaf", "status": "passes its test", "candidates_tried": 2, "repair_rounds_used": 1,
                          "compiles": True, "lint_clean": True, "tests_passed": True},
                         {"name": "top", "status": "fails to compile", "candidates_tried": 3, "repair_rounds_used": 1,
                          "compiles": False, "lint_clean": False, "tests_passed": False}],
              "assembled": {"status": "fails to compile", "compiles": False, "lint_clean": False, "tests_passed": False}}
    (sc / "generated" / "report.json").write_text(json.dumps(report))
    (sc / "synth_sweep.md").write_text("# sweep\n\n| E | S | LUT |\n|---|---|---|\n| 8 | 4 | 448 |\n")
    (sc / "synth_sweep.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    spec = tmp_path / "spec.md"
    spec.write_text("# Title\n\nA controller for expert caches.\n")
    out = tmp_path / "page"
    assert main(["report", "--showcase", str(sc), "--spec", str(spec), "--out", str(out)]) == 0
    md = (out / "showcase.md").read_text()
    assert "1/2 sub-blocks accepted" in md and "| leaf | passes its test | 2 | 1 | yes | yes | yes |" in md
    assert "| 8 | 4 | 448 |" in md and "A controller for expert caches." in md
    assert "data:image/png;base64" in (out / "showcase.html").read_text()
    assert main(["report", "--showcase", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert main(["report", "--out", str(out)]) == 2
