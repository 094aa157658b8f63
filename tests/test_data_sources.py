"""Sources against real local servers: the GitHub search API (paging, star windows, rate limit),
shallow clones over git's smart HTTP protocol (`git http-backend`), PyPI through pip with a local
find-links folder, and the optional teacher LLM through an OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from data_helpers import FIX, git_repo
from data_pipeline.config import ExtractConfig, SourceSpec


def _serve(handler_cls):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


def test_github_search_pages_windows_and_rate_limit(monkeypatch):
    from data_pipeline.sources import github_search

    seen = []

    class H(BaseHTTPRequestHandler):
        limited = [True]

        def log_message(self, *a):
            pass

        def do_GET(self):
            q = parse_qs(urlparse(self.path).query)
            seen.append((q["q"][0], int(q["page"][0]), self.headers.get("Authorization")))
            if H.limited[0]:
                H.limited[0] = False
                self.send_response(403)
                self.send_header("x-ratelimit-remaining", "0")
                self.send_header("x-ratelimit-reset", str(int(time.time()) + 1))
                self.end_headers()
                return
            window = q["q"][0].split("stars:")[1]
            page = int(q["page"][0])
            n = 100 if (window == ">=1000" and page == 1) else 30
            items = [{"full_name": f"o/r{window}-{page}-{i}", "clone_url": f"http://x/o/r{i}.git",
                      "license": {"spdx_id": "MIT"}} for i in range(n)]
            if window == "10..99":  # duplicates across windows are dropped
                items[0]["full_name"] = "o/r>=1000-1-0"
            body = json.dumps({"items": items}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    srv, url = _serve(H)
    monkeypatch.setenv("GH_T", "secret")
    slept = []
    try:
        spec = SourceSpec(kind="github_search", api_url=url, query="language:Verilog", token_env="GH_T",
                          star_windows=[">=1000", "10..99"], max_repos=150)
        found = github_search(spec, sleep=lambda s: slept.append(s))
    finally:
        srv.shutdown()
    assert slept and slept[0] <= 2  # waited out the rate limit once
    assert len(found) == 150 and len({f.name for f in found}) == 150
    assert all(f.kind == "github" and f.license == "MIT" for f in found)
    assert [(q, p) for q, p, _ in seen[1:4]] == [("language:Verilog stars:>=1000", 1),
                                                  ("language:Verilog stars:>=1000", 2),
                                                  ("language:Verilog stars:10..99", 1)]
    assert all(a == "Bearer secret" for _, _, a in seen)


def _git_http_server(root: Path):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _cgi(self):
            u = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": u.path,
                   "QUERY_STRING": u.query, "REQUEST_METHOD": self.command, "PATH": os.environ["PATH"],
                   "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(length),
                   "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
            p = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env)
            head, _, payload = p.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode().split("\r\n"):
                if ":" in line:
                    k, v = line.split(":", 1)
                    if k.lower() == "status":
                        status = int(v.split()[0])
                    else:
                        headers.append((k, v.strip()))
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _cgi

    return _serve(H)


def test_shallow_clone_over_smart_http(tmp_path):
    from data_pipeline.sources import read_source

    work = git_repo(FIX / "repo_mit", tmp_path / "work")
    (tmp_path / "srv").mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "srv" / "cores.git")], check=True)
    srv, url = _git_http_server(tmp_path / "srv")
    try:
        rf = read_source(SourceSpec(kind="github", name="fx/cores", url=f"{url}/cores.git"), tmp_path / "cache",
                         ExtractConfig())
    finally:
        srv.shutdown()
    clone = tmp_path / "cache" / "clones" / "fx+cores"
    assert (clone / "shallow").exists() or (clone / ".git" / "shallow").exists()  # really shallow
    assert rf.kind == "github" and len(rf.commit) == 40
    assert sorted(p for p, _ in rf.hdl) == sorted(f"rtl/{p.name}" for p in (FIX / "repo_mit" / "rtl").iterdir())
    assert rf.licenses.repo_license() == "MIT" and rf.docs[0][0] == "README.md"


def test_git_mirror_at_a_given_commit(tmp_path):
    from data_pipeline.sources import read_source

    work = git_repo(FIX / "repo_mit", tmp_path / "w")
    first = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True).stdout.strip()
    (work / "rtl" / "new.v").write_text("module n(input a, output y); assign y = a; endmodule\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(["git", "commit", "-qm", "more"], cwd=work, check=True, env=env)
    bare = tmp_path / "m.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(work), str(bare)], check=True)
    old = read_source(SourceSpec(kind="git", path=str(bare), commit=first), tmp_path, ExtractConfig())
    new = read_source(SourceSpec(kind="git", path=str(bare)), tmp_path, ExtractConfig())
    assert old.commit == first and "rtl/new.v" not in [p for p, _ in old.hdl]
    assert "rtl/new.v" in [p for p, _ in new.hdl]


def test_pypi_package_through_pip(tmp_path, monkeypatch):
    from data_pipeline.sources import read_source

    links = tmp_path / "links"
    links.mkdir()
    whl = links / "pythondata_cpu_toy-1.2.3-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("pythondata_cpu_toy/__init__.py", "")
        z.writestr("pythondata_cpu_toy/verilog/rtl/toy.v", (FIX / "repo_mit" / "rtl" / "sat_add.v").read_text())
        z.writestr("pythondata_cpu_toy/verilog/LICENSE", "Licensed under the Apache License, Version 2.0")
        z.writestr("pythondata_cpu_toy-1.2.3.dist-info/METADATA",
                   "Metadata-Version: 2.1\nName: pythondata-cpu-toy\nVersion: 1.2.3\nLicense: BSD\n")
        z.writestr("pythondata_cpu_toy-1.2.3.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr("pythondata_cpu_toy-1.2.3.dist-info/RECORD", "")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    rf = read_source(SourceSpec(kind="pypi", package="pythondata-cpu-toy"), tmp_path / "cache", ExtractConfig())
    assert rf.kind == "pypi" and rf.commit == "1.2.3" and rf.name == "pythondata-cpu-toy"
    [(path, data)] = rf.hdl
    assert path.endswith("verilog/rtl/toy.v") and b"sat_add" in data
    assert rf.licenses.license_for(path) == "Apache-2.0"  # the license file beats package metadata
    assert rf.licenses.license_for("pythondata_cpu_toy/__init__.py") == "BSD-3-Clause"


def test_missing_pypi_package_is_a_user_error(tmp_path, monkeypatch):
    from data_pipeline.sources import read_source
    from eval.errors import UserError

    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(UserError, match="pip download"):
        read_source(SourceSpec(kind="pypi", package="pythondata-cpu-nope"), tmp_path / "c", ExtractConfig())


def test_teacher_hook_feeds_round2_and_is_decontaminated(tmp_path):
    from data_helpers import fixture_config
    from data_pipeline.pipeline import build

    bench_prompt = (FIX / "bench" / "Prob001_gray_prompt.txt").read_text()
    calls = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(body)
            code = body["messages"][-1]["content"]
            # the teacher "describes" the shift register with a benchmark's text: must be caught
            text = bench_prompt if "sipo_shift" in code else f"A careful description ({len(code)} chars)."
            out = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(out)

    srv, url = _serve(H)
    try:
        cfg = fixture_config(tmp_path)
        cfg.problems.enabled = False
        cfg.teacher.enabled = True
        cfg.teacher.base_url = url + "/v1"
        cfg.teacher.model = "tiny-teacher"
        report = build(cfg, tmp_path / "out", progress=False)
    finally:
        srv.shutdown()
    assert calls and all(c["model"] == "tiny-teacher" for c in calls)
    r2 = (tmp_path / "out" / "round2.jsonl").read_text()
    assert "#teacher-summary" in r2 and "#teacher-detailed" in r2
    assert "sipo_shift" not in (tmp_path / "out" / "modules.jsonl").read_text()
    assert sum(n for k, n in report["drops"]["decontam"].items() if k.startswith("description matches")) == 1
    cont = (tmp_path / "out" / "contamination.jsonl").read_text()
    assert "Prob001_gray/prompt" in cont
