#!/usr/bin/env python3
"""Score the samples that `scripts/device_base_eval.py` brought back (needs Icarus, so it runs here,
not on the GPU machine). Each (benchmark, protocol) becomes one `rtlgen eval --samples` run under
`--runs-dir`, e.g. results/base/verilogeval-v2-spec-greedy/{samples.jsonl,summary.json}.

    python scripts/score_base_eval.py --tar base_samples.tar.gz --bench-root /work/bench --runs-dir results/base
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from device_base_eval import FOLDERS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tar", required=True)
    ap.add_argument("--bench-root", required=True)
    ap.add_argument("--runs-dir", default="results/base")
    ap.add_argument("--label", default="smollm2-135m")
    ap.add_argument("--workers", default=None)
    args = ap.parse_args()
    from rtlgen.cli import main as cli

    tmp = Path(tempfile.mkdtemp())
    with tarfile.open(args.tar) as tf:
        tf.extractall(tmp, filter="data")
    rc = 0
    for f in sorted((tmp / "samples").glob("*/*.jsonl")):
        bench, proto = f.parent.name, f.stem
        if bench not in FOLDERS:
            print(f"skipping unknown benchmark folder {bench}")
            continue
        argv = ["eval", "--bench", bench, "--path", str(Path(args.bench_root) / FOLDERS[bench]), "--samples", str(f),
                "-o", str(Path(args.runs_dir) / f"{bench}-{proto}"), "--label", f"{args.label}-{proto}", "-q"]
        if args.workers:
            argv += ["--workers", str(args.workers)]
        print("rtlgen " + " ".join(argv), flush=True)
        rc = max(rc, cli(argv))
    return rc


if __name__ == "__main__":
    sys.exit(main())
