"""The data-build configuration: one dataclass tree, loaded from YAML with `key=value` overrides.

Every knob that changes what lands in the corpus lives here, so that a stage's cache key can be
the hash of its own config section: changing the compile filter re-runs the compile filter, not
the extraction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

PERMISSIVE = ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unlicense", "CC0-1.0",
              "0BSD", "Zlib", "SHL-0.51", "SHL-2.0", "SHL-2.1", "BSL-1.0", "CERN-OHL-P-2.0", "MIT-0", "BSD-2-Clause-Views"]


@dataclass
class SourceSpec:
    """One entry of the source registry.

    kind: `git` (a bare or normal git dir read at `commit`), `local` (a folder), `pypi`
    (`pip download --no-deps` of `package`), `github` (shallow clone of `url`), or
    `github_search` (the search API expands `query` into many `github` sources).
    """

    kind: str
    name: str = ""  # record name (owner/repo, package name); derived when empty
    path: str = ""
    url: str = ""
    commit: str = "HEAD"
    package: str = ""
    version: str = ""
    license: str = ""  # override when the source carries no license file
    query: str = "language:Verilog"
    api_url: str = "https://api.github.com"
    star_windows: list[str] = field(default_factory=lambda: [">=1000", "100..999", "20..99", "5..19"])
    max_repos: int = 100
    token_env: str = "GITHUB_TOKEN"
    # glob patterns (fnmatch on the path in the source) whose files are never read: third-party
    # designs vendored under a different license than the repository's root, generated trees
    exclude: list[str] = field(default_factory=list)


@dataclass
class LicenseConfig:
    allow: list[str] = field(default_factory=lambda: list(PERMISSIVE))
    keep_unknown_apart: bool = True  # unknown licenses are listed in held_out/, never trained on


@dataclass
class ExtractConfig:
    extensions: list[str] = field(default_factory=lambda: [".v", ".sv", ".vh", ".svh"])
    max_file_bytes: int = 2_000_000
    doc_globs: list[str] = field(default_factory=lambda: ["README*", "readme*", "doc/*.md", "docs/*.md", "docs/**/*.md", "doc/*.txt"])
    max_doc_bytes: int = 200_000


@dataclass
class FilterConfig:
    min_tokens: int = 16
    max_tokens: int = 8000
    max_comment_ratio: float = 0.8
    max_nonprint_ratio: float = 0.01
    max_const_table_lines: int = 256
    netlist_instance_ratio: float = 0.6
    compile: bool = True
    compile_timeout_s: float = 120.0
    compile_rounds: int = 8
    # "verilator": a module Icarus fails to parse (syntax error, "sorry") is kept when
    # `verilator --lint-only` elaborates it; "": Icarus alone decides
    fallback: str = "verilator"


@dataclass
class DedupConfig:
    threshold: float = 0.8
    num_perm: int = 64
    shingle: int = 5


@dataclass
class DecontamConfig:
    benchmarks: dict = field(default_factory=dict)  # name -> path (None: $RTLGEN_BENCH_DIR)
    rouge_threshold: float = 0.5
    ngram: int = 10
    ngram_threshold: float = 0.5
    ngram_min_tokens: int = 50
    required: bool = True  # refuse to build when a listed benchmark cannot be loaded


@dataclass
class TeacherConfig:
    enabled: bool = False
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "teacher"
    api_key_env: str = "OPENAI_API_KEY"
    grains: list[str] = field(default_factory=lambda: ["summary", "detailed"])
    max_items: int = 0  # 0 = all
    timeout_s: float = 120.0


@dataclass
class QualityConfig:
    threshold: float = 0.3
    lint: bool = False  # Verilator lint per module (slow: one process per module)
    synth: bool = False  # Yosys generic synthesis per module (slower)


@dataclass
class ProblemConfig:
    enabled: bool = True
    max_problems: int = 0  # 0 = no cap
    max_port_width: int = 128
    max_ports: int = 24
    cycles: int = 200
    seed: int = 1
    max_tokens: int = 1500


@dataclass
class DataConfig:
    name: str = "corpus"
    sources: list[SourceSpec] = field(default_factory=list)
    workers: int = 2
    license: LicenseConfig = field(default_factory=LicenseConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    problems: ProblemConfig = field(default_factory=ProblemConfig)
    cache_dir: str = ""  # default: <out>/.cache


def section_hash(obj, version: str = "1") -> str:
    """Stable hash of a config section (part of every cache key of the stage it configures)."""
    data = dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj
    return hashlib.sha256((version + json.dumps(data, sort_keys=True, default=str)).encode()).hexdigest()[:16]
