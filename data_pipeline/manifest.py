"""The committed manifest of a real build: which repositories (and commits) and packages went in,
their licenses and module counts. The corpus itself is never committed; `rtlgen data build`
rebuilds it from the config and these pins.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def write_manifest(report: dict, path: Path) -> None:
    rows = []
    for s in report["sources"]:
        row = {"repo": s["name"], "kind": s["kind"], "commit": s.get("commit"), "license": s.get("license"),
               "hdl_files": s.get("hdl_files", 0), "modules": s.get("modules", 0), "problems": s.get("problems", 0)}
        if s.get("error"):
            row["error"] = s["error"]
        rows.append(row)
    doc = {"name": report["name"], "totals": report["counts"], "sources": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
