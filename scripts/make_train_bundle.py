#!/usr/bin/env python3
"""Assemble one training bundle for the GPU machine from several data-pipeline outputs.

Round 2 mixes instruction pairs from the real corpus (`rtlgen data build`) with procedural ones
(`rtlgen data procedural`); DPO samples a seeded subset of the synthesised problems of each (the
GPU lease has minutes, and k samples of every problem would not fit). Everything in the bundle has
already passed its pipeline's decontamination; the bundle only selects and copies, and records in
`bundle.json` which files, how many rows and their hashes went in.

    python scripts/make_train_bundle.py --round2 data/real/round2.jsonl --round2 data/procedural/round2.jsonl \
        --problems data/procedural/problems:500 --problems data/real/problems:100 \
        --round1 data/real/round1.jsonl --out data/bundle/default --tar .carry/data/data.tar.gz

With `--dedup-prompts`, rows of a later `--round2` file whose prompt an earlier file already has are dropped
(a second procedural build with a new seed re-draws about 15% of the first's prompts; run 9).

With `--max-chars N`, rows whose prompt and completion together exceed N characters are left out (the real-corpus
rows of runs 4 to 9 were cut at 4,000: longer modules cost most of a packed block and are rare in the benchmarks).

With `--rag-index INDEX --rag-fraction F` a seeded share F of the round-2 rows also gets the context
that `rtlgen eval --rag INDEX` (with the same `--rag-set` overrides) would retrieve for it, minus the
row's own design and near copies (rag_index/training.py): round 2 then teaches the model to use
retrieved examples. Evaluate with contexts made by scripts/rag_contexts.py with the same overrides.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def problem_ids(folder: Path) -> list[str]:
    return sorted(p.name[:-len("_prompt.txt")] for p in folder.glob("*_prompt.txt")
                  if (folder / (p.name[:-len("_prompt.txt")] + "_test.sv")).exists())


def with_contexts(rows: list[str], a, info: dict) -> list[str]:
    from rich.progress import Progress

    from rag_index.retriever import load_retriever
    from rag_index.training import attach_contexts

    retriever = load_retriever(a.rag_index, overrides=a.rag_set)
    objs = [json.loads(r) for r in rows]
    with Progress() as bar:
        task = bar.add_task("retrieving training contexts", total=len(objs))
        counts = attach_contexts(objs, retriever, fraction=a.rag_fraction, seed=a.seed,
                                 progress=lambda: bar.advance(task))
    info["rag"] = counts | {"index": str(a.rag_index), "overrides": a.rag_set,
                            "index_manifest": retriever.index.manifest}
    return [json.dumps(o, ensure_ascii=False) for o in objs]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--round2", action="append", default=[], help="round-2 JSONL (repeatable; concatenated, shuffled)")
    ap.add_argument("--round1", help="round-1 JSONL to include as is")
    ap.add_argument("--problems", action="append", default=[], metavar="DIR[:N]",
                    help="problems folder and how many to sample from it (default all)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tar", help="also write the bundle's parent as a .tar.gz here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dedup-prompts", action="store_true",
                    help="drop the rows of a later --round2 file whose prompt text an earlier file already has (a "
                         "pipeline run with another seed re-draws many of an earlier one's small designs); rows "
                         "within one file are kept as its pipeline wrote them")
    ap.add_argument("--max-chars", type=int, default=0,
                    help="leave out rows whose prompt + completion exceed this many characters (0: keep all)")
    ap.add_argument("--rag-index", help="RAG index whose contexts a share of the round-2 rows gets")
    ap.add_argument("--rag-fraction", type=float, default=0.5)
    ap.add_argument("--rag-set", action="append", default=[], metavar="KEY=VALUE",
                    help="RetrieveConfig override, as for rag_contexts.py (repeatable)")
    a = ap.parse_args()
    from eval.errors import UserError

    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    (out / "problems").mkdir(parents=True)
    rng = random.Random(a.seed)
    info: dict = {"seed": a.seed, "round2": [], "problems": []}
    taken: list[str] = []
    try:
        rows = []
        seen: set[str] = set()
        for f in map(Path, a.round2):
            if not f.is_file():
                raise UserError(f"round-2 file not found: {f}")
            got = [line for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
            prompts, sizes = [], []
            for n, line in enumerate(got, 1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    raise UserError(f"{f}:{n}: not valid JSON") from None
                row = row if isinstance(row, dict) else {}
                prompts.append(row.get("prompt", ""))
                sizes.append(len(row.get("prompt", "")) + len(row.get("completion", "")))
            entry = {"file": str(f), "rows": len(got), "sha256": sha(f)}
            if a.max_chars:
                keep = [i for i, size in enumerate(sizes) if size <= a.max_chars]
                entry["longer_than_max_chars"] = len(got) - len(keep)
                got, prompts = [got[i] for i in keep], [prompts[i] for i in keep]
            if a.dedup_prompts:
                fresh = [line for line, prompt in zip(got, prompts) if prompt not in seen]
                entry["repeated_prompts_dropped"] = len(got) - len(fresh)
                seen.update(prompts)
                got = fresh
            rows += got
            info["round2"].append(entry)
        rng.shuffle(rows)
        if a.rag_index:
            rows = with_contexts(rows, a, info)
        (out / "round2.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
        if a.round1:
            shutil.copy(a.round1, out / "round1.jsonl")
            info["round1"] = {"file": a.round1, "sha256": sha(Path(a.round1))}
        for spec in a.problems:
            folder, _, n = spec.partition(":")
            src = Path(folder)
            if not src.is_dir():
                raise UserError(f"problems folder not found: {src}")
            ids = problem_ids(src)
            pick = sorted(rng.sample(ids, min(int(n), len(ids)))) if n else ids
            for pid in pick:
                for suffix in ("_prompt.txt", "_ref.sv", "_test.sv"):
                    target = out / "problems" / (pid + suffix)
                    if target.exists():
                        raise UserError(f"problem id {pid} appears in two folders; rename one source")
                    shutil.copy(src / (pid + suffix), target)
            taken += pick
            info["problems"].append({"folder": str(src), "available": len(ids), "taken": len(pick)})
    except UserError as exc:
        sys.exit(f"error: {exc}")
    # the VerilogEval-v2 layout the `local:` loader (and so DPO's sampler) reads lists its problems
    (out / "problems" / "problems.txt").write_text("".join(n + "\n" for n in sorted(taken)))
    info["round2_rows"] = len(rows)
    info["problem_count"] = sum(p["taken"] for p in info["problems"])
    (out / "bundle.json").write_text(json.dumps(info, indent=2) + "\n")
    if a.tar:
        Path(a.tar).parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(a.tar, "w:gz") as tf:
            tf.add(out, arcname=out.name)
    print(json.dumps({k: info[k] for k in ("round2_rows", "problem_count")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
