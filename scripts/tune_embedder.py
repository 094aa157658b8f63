#!/usr/bin/env python
"""Contrastive fine-tune of the RAG embedder with before/after recall, without the `rtlgen` CLI
installed (e.g. on the GPU machine with PYTHONPATH set): the same `rag_index.embedder_tune.run` that
`rtlgen rag tune-embedder` calls, settings as `key=value` (TuneConfig fields) and optional --config.

    # CPU, the committed run (results/rag/embedder/)
    .venv/bin/rtlgen rag tune-embedder --out runs/embedder/minilm-real --data data/real/modules.jsonl \
        max_train_pairs=640 eval_distractors=900
    # the same through this script
    .venv/bin/python scripts/tune_embedder.py out=runs/embedder/minilm-real data=data/real/modules.jsonl \
        max_train_pairs=640 eval_distractors=900
    # GPU (not needed: the CPU run takes ~10 min; more pairs of the corpus's AST descriptions overfit
    # that style, see results/rag/embedder/README.md). The measurement needs faiss and datasets there.
    python3 scripts/tune_embedder.py device=cuda threads=0 out=$OUT/model data=.carry/d/modules.jsonl \
        report=$OUT/recall.json
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", help="YAML with TuneConfig fields")
    ap.add_argument("overrides", nargs="*", help="key=value (TuneConfig fields)")
    args = ap.parse_args()

    from eval.errors import UserError
    from rag_index.embedder_tune import TuneConfig, markdown, run
    from rtlgen.config import load_config

    try:
        cfg = load_config(TuneConfig, args.config, args.overrides)
        report = run(cfg, command=" ".join(["scripts/tune_embedder.py"] + [shlex.quote(a) for a in sys.argv[1:]]))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "measurement" in report:
        print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
