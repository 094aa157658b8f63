#!/usr/bin/env python3
"""Cheap offline proxy of how useful precomputed retrieval contexts are, per variant, before spending
GPU time on generation with them.

Why: a generation run with contexts costs GPU minutes and its pass-rate differences are a handful of
tasks. How close the retrieved example code is to what the task needs says something earlier, at no
GPU cost. Per task and per contexts file (`scripts/rag_contexts.py` output) this measures, against the
task's reference solution:

- `empty`: the context holds no example code block (nothing reaches the prompt);
- `best_rouge_l`: the highest Rouge-L F1 (word tokens of `eval.contamination`) of one retrieved code
  block with the reference; `first_rouge_l`: that of example 1 only;
- `best_token_f1`: bag-of-tokens F1 (multiset overlap) of one block with the reference, which rewards
  shared vocabulary regardless of order;
- `code_tokens`: mean length of the retrieved blocks in word tokens (F1 measures favour blocks of
  about the reference's length, so a variant retrieving shorter modules can gain without being
  more relevant: compare with the shuffled control);
- `keyword_recall`: the share of the Verilog constructs the reference uses (`always_ff`, `case`,
  `posedge`, `generate`, ...) that appear in some retrieved block: does the example show the right
  kind of design?

A variant `NAME=shuffle:OTHER` is a control: OTHER's contexts handed to other tasks of the same
benchmark (seeded permutation). The gap between a variant and its shuffled control is how much of the
overlap comes from retrieving for this task rather than from Verilog looking like Verilog.

Empty contexts count as 0 in the means (`*_mean`); `*_mean_nonempty` averages only over tasks that got
an example. Paired comparisons against the first variant give the mean difference with a seeded
bootstrap 95% interval and win/tie/loss counts (`--baseline NAME`, repeatable, adds other baselines).

No benchmark text is put into any index here: the contexts were retrieved already, and this script
only reads them and the benchmarks' references. Caveats, stated in the output too: the index dropped
every snippet at Rouge-L >= 0.5 with any benchmark reference (decontamination), so `best_rouge_l` is
capped near 0.5 by construction; and similarity to the reference is a proxy, not pass@1.

    .venv/bin/python scripts/context_overlap.py --bench-root /work/bench \
        bm25-default=data/rag-train/contexts.jsonl tuned-hybrid=data/rag-train/contexts-tuned-hybrid.jsonl \
        --out results/rag/contexts_compare.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.benchmarks import DEFAULT_DIRS, SCORED  # noqa: E402

# Verilog/SystemVerilog constructs whose presence says what kind of design a piece of code is.
KEYWORDS = frozenset("""
always always_ff always_comb always_latch assign posedge negedge case casez casex default if else for
while generate genvar function task reg wire logic integer parameter localparam initial begin end
signed unsigned typedef enum struct module
""".split())
METRICS = ("best_rouge_l", "first_rouge_l", "best_token_f1", "keyword_recall")


def token_f1(a: list[str], b: list[str]) -> float:
    """F1 of the multiset overlap of two token lists (0.0 when either is empty)."""
    if not a or not b:
        return 0.0
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b))


def task_scores(context: str, reference: str) -> dict:
    """The per-task measures of one context against its task's reference (see the module doc)."""
    from eval.contamination import rouge_l, word_tokens
    from rag_index.retriever import context_blocks

    codes = [word_tokens(t) for kind, t in context_blocks(context) if kind == "code"]
    ref = word_tokens(reference or "")
    row = {"empty": not codes, "n_examples": len(codes),
           "code_tokens": sum(map(len, codes)) / len(codes) if codes else 0.0}
    if not codes or not ref:
        return row | {m: 0.0 for m in METRICS}
    rl = [rouge_l(c, ref) for c in codes]
    ref_kw = {t for t in ref if t in KEYWORDS}
    got_kw = {t for c in codes for t in c if t in KEYWORDS}
    return row | {"best_rouge_l": max(rl), "first_rouge_l": rl[0],
                  "best_token_f1": max(token_f1(c, ref) for c in codes),
                  "keyword_recall": len(ref_kw & got_kw) / len(ref_kw) if ref_kw else 1.0}


def aggregate(rows: list[dict]) -> dict:
    """Means over tasks (empty = 0) and over non-empty tasks only."""
    n = len(rows)
    full = [r for r in rows if not r["empty"]]
    out = {"tasks": n, "empty": n - len(full), "empty_fraction": round((n - len(full)) / n, 4) if n else 0.0,
           "mean_examples": round(sum(r["n_examples"] for r in rows) / n, 3) if n else 0.0,
           # Rouge-L F1 and token F1 favour blocks near the reference's length: report the length too
           "mean_code_tokens_nonempty": round(sum(r["code_tokens"] for r in full) / len(full), 1) if full else 0.0}
    for m in METRICS:
        out[f"{m}_mean"] = round(sum(r[m] for r in rows) / n, 4) if n else 0.0
        out[f"{m}_mean_nonempty"] = round(sum(r[m] for r in full) / len(full), 4) if full else 0.0
    return out


def paired(base: list[float], other: list[float], n_boot: int = 2000, seed: int = 0) -> dict:
    """Mean of other - base with a percentile bootstrap 95% interval over tasks, and win/tie/loss."""
    d = [o - b for b, o in zip(base, other)]
    n = len(d)
    rng = random.Random(seed)
    means = sorted(sum(d[rng.randrange(n)] for _ in range(n)) / n for _ in range(n_boot))
    return {"mean_diff": round(sum(d) / n, 4), "ci95": [round(means[int(0.025 * n_boot)], 4),
                                                        round(means[int(0.975 * n_boot) - 1], 4)],
            "wins": sum(x > 1e-9 for x in d), "ties": sum(abs(x) <= 1e-9 for x in d),
            "losses": sum(x < -1e-9 for x in d)}


def compare(variants: dict[str, str], loaded: dict, n_boot: int = 2000, progress=None,
            baselines: list[str] | None = None) -> dict:
    """The whole report for {name: contexts path} over `loaded` ({benchmark: {task_id: Task}}), with
    paired differences of every variant against each of `baselines` (default: the first variant)."""
    from rag_index.contexts import load_contexts

    from eval.errors import UserError

    per_task: dict[str, dict[tuple[str, str], dict]] = {}
    tables: dict = {}
    report: dict = {"variants": {}, "per_benchmark": {}}
    for name, path in variants.items():
        shuffled = path.startswith("shuffle:")
        if shuffled:  # control: another variant's contexts handed to the wrong tasks of the same benchmark
            src = path[len("shuffle:"):]
            if src not in tables:
                raise UserError(f"variant {name}: shuffle:{src} needs variant {src!r} listed before it")
            table = tables[src]
        else:
            table = tables[name] = load_contexts(path)
        scores = {}
        for b, tasks in loaded.items():
            ctx = table.for_tasks(b, list(tasks.values()))  # refuses missing tasks / other prompts
            if shuffled:
                # a seeded derangement: shuffle, then each task takes the next one's context
                order = sorted(ctx)
                random.Random(b).shuffle(order)  # str seeds are hashed with sha512: same order every run
                ctx = {order[j]: ctx[order[(j + 1) % len(order)]] for j in range(len(order))}
            for tid, t in tasks.items():
                scores[(b, tid)] = task_scores(ctx[tid], t.reference)
                if progress is not None:
                    progress()
        per_task[name] = scores
        ret = (table.manifest.get("rag_manifest") or {}).get("retrieval", {})
        emb = (table.manifest.get("rag_manifest") or {}).get("embedder", {})
        if shuffled:
            report["variants"][name] = {"contexts": path, "control": "contexts of another task of the same benchmark",
                                        **aggregate(list(scores.values()))}
            continue
        report["variants"][name] = {"contexts": str(path), "example_mode": ret.get("example_mode"),
                                    "knowledge_mode": ret.get("mode"),
                                    "embedder": emb.get("model"), "index": table.manifest.get("index"),
                                    "audit_flagged": (table.manifest.get("audit") or {}).get("flagged"),
                                    **aggregate(list(scores.values()))}
    for b in loaded:
        report["per_benchmark"][b] = {name: aggregate([s for (bb, _), s in sc.items() if bb == b])
                                      for name, sc in per_task.items()}
    names = list(variants)
    for base in baselines or names[:1]:
        if base not in per_task:
            raise UserError(f"baseline {base!r} is not one of the variants ({', '.join(names)})")
        keys = sorted(per_task[base])
        report["paired_vs_" + base] = {
            name: {m: paired([per_task[base][k][m] for k in keys], [per_task[name][k][m] for k in keys], n_boot)
                   for m in METRICS}
            for name in names if name != base}
    report["notes"] = ("Proxy, not pass@1. Empty contexts count 0 in *_mean. The index dropped snippets at "
                       "Rouge-L >= 0.5 with any benchmark reference, so best_rouge_l is capped near 0.5. "
                       "No benchmark text was indexed to compute this.")
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="+",
                    help="NAME=CONTEXTS.jsonl; the first is the baseline of the paired diffs; NAME=shuffle:OTHER "
                         "is a control: OTHER's contexts given to other tasks of the same benchmark")
    ap.add_argument("--bench-root", default="/work/bench")
    ap.add_argument("--benches", default=",".join(SCORED))
    ap.add_argument("--out", default=None, help="JSON report to write (printed anyway)")
    ap.add_argument("--bootstrap", type=int, default=2000)
    ap.add_argument("--baseline", action="append", default=None,
                    help="variant the paired differences are taken against (repeatable; default: the first)")
    args = ap.parse_args()

    from rich.progress import Progress

    from eval.benchmarks import get_benchmark
    from eval.errors import UserError

    try:
        variants = {}
        for v in args.variants:
            name, sep, path = v.partition("=")
            if not sep or not name or not path:
                raise UserError(f"variant {v!r}: expected NAME=CONTEXTS.jsonl")
            if name in variants:
                raise UserError(f"variant name {name!r} given twice")
            variants[name] = path
        root = Path(args.bench_root).expanduser()
        names = [b for b in args.benches.split(",") if b]
        for b in names:
            if b not in SCORED:
                raise UserError(f"--benches: unknown benchmark {b!r} (known: {', '.join(SCORED)})")
        loaded = {b: get_benchmark(b, root / DEFAULT_DIRS[b]).load() for b in names}
        total = len(variants) * sum(len(t) for t in loaded.values())
        with Progress() as prog:
            bar = prog.add_task("scoring contexts", total=total)
            report = compare(variants, loaded, args.bootstrap, progress=lambda: prog.advance(bar),
                             baselines=args.baseline)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report["command"] = " ".join(["context_overlap.py"] + sys.argv[1:])
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(json.dumps({n: {k: v[k] for k in ("empty_fraction", "best_rouge_l_mean", "best_token_f1_mean",
                                           "keyword_recall_mean")} for n, v in report["variants"].items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
