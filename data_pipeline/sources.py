"""The source registry: where Verilog comes from, read into one uniform `RepoFiles` bundle.

Kinds: `git` (bare mirror or work tree, read through git at a commit, so a fetched mirror needs no
checkout), `local` (a folder), `pypi` (`pip download --no-deps`, wheel or sdist unpacked, e.g. the
`pythondata-cpu-*` family), `github` (shallow clone of one URL) and `github_search` (the GitHub
search API expanded into `github` sources; star windows get past its 1,000-result cap and the
client waits out rate limits). Every record downstream keeps the source name, commit or version
and path, so it can be traced back and its license checked.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import subprocess
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from data_pipeline.config import SourceSpec
from data_pipeline.licenses import LICENSE_FILE, LicenseMap, normalise_id
from eval.errors import UserError


@dataclass
class RepoFiles:
    name: str
    kind: str
    commit: str
    origin: str
    hdl: list[tuple[str, bytes]] = field(default_factory=list)
    docs: list[tuple[str, str]] = field(default_factory=list)
    licenses: LicenseMap = field(default_factory=LicenseMap)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _is_hdl(path: str, exts: list[str]) -> bool:
    return any(path.lower().endswith(e) for e in exts)


def _is_doc(path: str, globs: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, g) or fnmatch.fnmatch(posixpath.basename(path), g) and "/" not in path
               for g in globs)


def _excluded(path: str, spec: SourceSpec) -> bool:
    """The source's `exclude` globs name this path (or a folder above it)."""
    pats = getattr(spec, "exclude", None) or []
    return any(fnmatch.fnmatch(path, g) or fnmatch.fnmatch(path, g.rstrip("/") + "/*") for g in pats)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# --- git ---------------------------------------------------------------------------------------

def git_dir(path: Path) -> Path:
    p = Path(path)
    if (p / ".git").exists():
        return p / ".git"
    if (p / "HEAD").exists() and (p / "objects").exists():
        return p
    if p.name == ".git" and p.exists():
        return p
    raise UserError(f"{p} is not a git repository (no .git, HEAD or objects)")


def _git(gd: Path, *args: str, input: bytes | None = None) -> bytes:
    p = subprocess.run(["git", f"--git-dir={gd}", *args], input=input, capture_output=True, timeout=600)
    if p.returncode != 0:
        raise UserError(f"git {' '.join(args[:2])} failed in {gd}: {p.stderr.decode(errors='replace').strip()[:200]}")
    return p.stdout


def read_git(spec: SourceSpec, exts: list[str], doc_globs: list[str], max_bytes: int, max_doc: int) -> RepoFiles:
    gd = git_dir(Path(spec.path).expanduser())
    commit = _git(gd, "rev-parse", "--verify", f"{spec.commit or 'HEAD'}^{{commit}}").decode().strip()
    name = spec.name or _name_from_path(Path(spec.path))
    rf = RepoFiles(name, "git", commit, str(spec.path), licenses=LicenseMap(normalise_id(spec.license)))
    listing = _git(gd, "ls-tree", "-r", "-l", "-z", commit).split(b"\0")
    want: list[tuple[str, str, str]] = []  # (sha, path, role)
    for entry in listing:
        if not entry:
            continue
        meta, _, path_b = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) < 4 or parts[1] != b"blob":
            continue
        path = path_b.decode("utf-8", "replace")
        if _excluded(path, spec):
            if _is_hdl(path, exts):
                rf.skip("excluded by config")
            continue
        if not parts[3].isdigit():  # "BAD": the snapshot lacks this blob (large files are left out)
            rf.skip("blob missing from mirror")
            continue
        size = int(parts[3])
        base = posixpath.basename(path)
        if _is_hdl(path, exts):
            if size > max_bytes:
                rf.skip("file too large")
                continue
            want.append((parts[2].decode(), path, "hdl"))
        elif LICENSE_FILE.match(base) and size <= 300_000:
            want.append((parts[2].decode(), path, "license"))
        elif _is_doc(path, doc_globs) and size <= max_doc:
            want.append((parts[2].decode(), path, "doc"))
    if want:
        blobs = _cat_batch(gd, [w[0] for w in want])
        for (sha_, path, role), data in zip(want, blobs):
            _route(rf, path, role, data)
    return rf


def _cat_batch(gd: Path, shas: list[str]) -> list[bytes]:
    p = subprocess.run(["git", f"--git-dir={gd}", "cat-file", "--batch"], input=("\n".join(shas) + "\n").encode(),
                       capture_output=True, timeout=900)
    out, pos, blobs = p.stdout, 0, []
    for _ in shas:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        if len(header) < 3 or header[1] == b"missing":
            blobs.append(b"")
            pos = nl + 1
            continue
        size = int(header[2])
        blobs.append(out[nl + 1: nl + 1 + size])
        pos = nl + 1 + size + 1
    return blobs


def _route(rf: RepoFiles, path: str, role: str, data: bytes) -> None:
    if role == "hdl":
        rf.hdl.append((path, data))
    elif role == "license":
        rf.licenses.add_file(path, _decode(data))
    else:
        text = _decode(data)
        if posixpath.basename(path).lower().startswith("readme"):
            rf.licenses.add_readme(path, text)
        rf.docs.append((path, text))


def _name_from_path(p: Path) -> str:
    parts = [x for x in p.resolve().parts if x not in (".git", "repo")]
    last = parts[-1] if parts else str(p)
    return last.replace("+", "/", 1) if "+" in last else last


# --- local folders -----------------------------------------------------------------------------

def read_local(path: Path, spec: SourceSpec, exts, doc_globs, max_bytes, max_doc, kind="local",
               commit: str | None = None, default_license: str = "") -> RepoFiles:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise UserError(f"source {spec.name or path}: {root} is not a directory")
    import hashlib

    h = hashlib.sha256()
    rf = RepoFiles(spec.name or root.name, kind, "", str(root),
                   licenses=LicenseMap(normalise_id(spec.license or default_license)))
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "__pycache__"))
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            if full.is_symlink() or not full.is_file():
                continue
            if _excluded(rel, spec):
                if _is_hdl(rel, exts):
                    rf.skip("excluded by config")
                continue
            size = full.stat().st_size
            if _is_hdl(rel, exts):
                if size > max_bytes:
                    rf.skip("file too large")
                    continue
                role = "hdl"
            elif LICENSE_FILE.match(fn) and size <= 300_000:
                role = "license"
            elif _is_doc(rel, doc_globs) and size <= max_doc:
                role = "doc"
            else:
                continue
            data = full.read_bytes()
            h.update(rel.encode() + b"\0" + data)
            _route(rf, rel, role, data)
    rf.commit = commit or ("sha256:" + h.hexdigest()[:16])
    return rf


# --- PyPI --------------------------------------------------------------------------------------

def pypi_download(package: str, version: str, dest: Path) -> Path:
    """The downloaded archive (reused when already there, so re-runs stay offline)."""
    dest.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in dest.iterdir() if p.suffix in (".whl", ".gz", ".zip") and p.is_file())
    if version:
        existing = [p for p in existing if f"-{version}" in p.name]
    if existing:
        return existing[-1]
    req = f"{package}=={version}" if version else package
    import sys

    p = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), req],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        raise UserError(f"pip download {req} failed: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
    got = sorted(p for p in dest.iterdir() if p.suffix in (".whl", ".gz", ".zip"))
    if not got:
        raise UserError(f"pip download {req} produced no archive in {dest}")
    return got[-1]


def _unpack(archive: Path, into: Path) -> None:
    if (into / ".complete").exists():
        return
    into.mkdir(parents=True, exist_ok=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            for m in z.infolist():
                target = (into / m.filename).resolve()
                if not str(target).startswith(str(into.resolve())):
                    continue  # path traversal in a hostile archive
                if not m.is_dir():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(m))
    else:
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    (into / ".complete").write_text("ok")


def _package_license(root: Path) -> str:
    for meta in list(root.glob("*.dist-info/METADATA")) + list(root.glob("*/PKG-INFO")):
        text = meta.read_text(errors="replace")
        m = re.search(r"^License(?:-Expression)?: (.+)$", text, re.M)
        if m and m.group(1).strip().upper() not in ("UNKNOWN", ""):
            return normalise_id(m.group(1))
        m = re.search(r"^Classifier: License :: OSI Approved :: (.+)$", text, re.M)
        if m:
            return normalise_id(m.group(1))
    return ""


def read_pypi(spec: SourceSpec, cache: Path, exts, doc_globs, max_bytes, max_doc) -> RepoFiles:
    if not spec.package:
        raise UserError("a pypi source needs `package:`")
    dl = Path(spec.path).expanduser() if spec.path else cache / "pypi" / spec.package
    archive = pypi_download(spec.package, spec.version, dl)
    unpacked = dl / ("unpacked-" + archive.name)
    _unpack(archive, unpacked)
    version = archive.name
    for stem in (spec.package.replace("-", "_"), spec.package):
        m = re.match(rf"{re.escape(stem)}-(.+?)(-py\d.*\.whl|\.tar\.gz|\.zip|\.whl)$", archive.name, re.I)
        if m:
            version = m.group(1)
            break
    spec2 = SourceSpec(**{**spec.__dict__, "name": spec.name or spec.package})
    return read_local(unpacked, spec2, exts, doc_globs, max_bytes, max_doc, kind="pypi",
                      commit=version, default_license=_package_license(unpacked))


# --- GitHub ------------------------------------------------------------------------------------

def shallow_clone(url: str, dest: Path) -> Path:
    """`git clone --depth 1`; servers that cannot do shallow (dumb HTTP) get a full clone."""
    if (dest / ".git").exists() or (dest / "HEAD").exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    p = subprocess.run(["git", "clone", "--quiet", "--depth", "1", url, str(dest)], capture_output=True, text=True,
                       timeout=1800, env=env)
    if p.returncode != 0:
        subprocess.run(["rm", "-rf", str(dest)])
        p = subprocess.run(["git", "clone", "--quiet", url, str(dest)], capture_output=True, text=True,
                           timeout=1800, env=env)
        if p.returncode != 0:
            raise UserError(f"git clone {url} failed: {p.stderr.strip()[:200]}")
    return dest


def github_search(spec: SourceSpec, *, sleep=time.sleep, max_wait_s: float = 900.0) -> list[SourceSpec]:
    """Repositories matching `spec.query`, window by window, deduplicated, at most `max_repos`."""
    import httpx

    token = os.environ.get(spec.token_env, "")
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "rtlgen-data"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found: dict[str, SourceSpec] = {}
    with httpx.Client(base_url=spec.api_url.rstrip("/"), headers=headers, timeout=30) as client:
        for window in spec.star_windows or [""]:
            q = spec.query + (f" stars:{window}" if window else "")
            for page in range(1, 11):  # the API serves at most 1,000 results per query
                if len(found) >= spec.max_repos:
                    break
                resp = _get_rate_limited(client, "/search/repositories",
                                         {"q": q, "sort": "stars", "order": "desc", "per_page": 100, "page": page},
                                         sleep, max_wait_s)
                items = resp.json().get("items", [])
                for it in items:
                    full = it["full_name"]
                    if full in found or len(found) >= spec.max_repos:
                        continue
                    lic = ((it.get("license") or {}).get("spdx_id") or "")
                    found[full] = SourceSpec(kind="github", name=full, url=it["clone_url"],
                                             license="" if lic in ("NOASSERTION", "") else lic)
                if len(items) < 100:
                    break
    return list(found.values())


def _get_rate_limited(client, path, params, sleep, max_wait_s):
    waited = 0.0
    while True:
        resp = client.get(path, params=params)
        if resp.status_code in (403, 429) and (resp.headers.get("x-ratelimit-remaining") == "0"
                                               or "retry-after" in resp.headers):
            if "retry-after" in resp.headers:
                wait = float(resp.headers["retry-after"])
            else:
                wait = max(1.0, float(resp.headers.get("x-ratelimit-reset", time.time() + 60)) - time.time())
            if waited + wait > max_wait_s:
                raise UserError(f"GitHub rate limit: would wait {wait:.0f}s more; set GITHUB_TOKEN or retry later")
            sleep(wait)
            waited += wait
            continue
        if resp.status_code != 200:
            raise UserError(f"GitHub search failed: HTTP {resp.status_code} {resp.text[:120]}")
        return resp


def expand(specs: list[SourceSpec]) -> list[SourceSpec]:
    """Search sources replaced by the repositories they find; the rest as given."""
    out: list[SourceSpec] = []
    for s in specs:
        if s.kind == "github_search":
            out.extend(github_search(s))
        elif s.kind in ("git", "local", "pypi", "github"):
            out.append(s)
        else:
            raise UserError(f"unknown source kind {s.kind!r} (git, local, pypi, github, github_search)")
    return out


def read_source(spec: SourceSpec, cache: Path, ex) -> RepoFiles:
    args = (ex.extensions, ex.doc_globs, ex.max_file_bytes, ex.max_doc_bytes)
    if spec.kind == "git":
        return read_git(spec, *args)
    if spec.kind == "local":
        return read_local(Path(spec.path), spec, *args)
    if spec.kind == "pypi":
        return read_pypi(spec, cache, *args)
    if spec.kind == "github":
        name = spec.name or re.sub(r"\.git$", "", spec.url.rstrip("/")).split("/", 3)[-1]
        dest = cache / "clones" / re.sub(r"[^A-Za-z0-9_.-]", "+", name)
        shallow_clone(spec.url, dest)
        spec2 = SourceSpec(**{**spec.__dict__, "kind": "git", "path": str(dest), "name": name, "commit": "HEAD"})
        rf = read_git(spec2, *args)
        rf.kind, rf.origin = "github", spec.url
        return rf
    raise UserError(f"unknown source kind {spec.kind!r}")
