#!/usr/bin/env python
"""Round-2 (packed instruction SFT) training throughput: the two batch layouts of bfd packing, in one
process on the same rows, so the before/after of the layout fix comes from one lease.

"flat" is trl's padding-free layout (the whole batch is one sequence; under SDPA transformers builds
a dense (batch·max_length)² block mask); "rows" keeps each packed block as its own batch row
(finetune/round2.row_packed_collator). Tokens/s counts every position of every block, padding
included, the way trl counts it for both layouts.

  GPU: python scripts/bench_round2.py --model /root/m/smollm2.gguf --data /root/m/data/default/round2.jsonl \
         --rows 4000 --steps 40 --batch 8 --out $OUT/bench_round2.json
  CPU: python scripts/bench_round2.py --tiny --data tests/…/round2.jsonl --rows 64 --steps 2 --batch 2 --max-length 512
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_layout(layout: str, model: str, data: Path, work: Path, a) -> dict:
    from finetune import common, round2
    from finetune.config import Round2Config
    from rtlgen.config import load_config

    overrides = [f"model={model}", f"data={data}", f"output_dir={work / layout}", "packing=true",
                 f"packing_layout={layout}", f"max_length={a.max_length}", f"batch_size={a.batch}",
                 f"max_steps={a.steps}", "save_steps=100000", "logging_steps=5", "progress=false",
                 "tensorboard=false"] + a.set
    cfg = load_config(Round2Config, None, overrides)
    trainer, tok, resume_from, extra = round2.build(cfg)
    t0 = time.monotonic()
    summary = common.finish(trainer, cfg, "round2", None, tok, extra)
    logs = [json.loads(x) for x in (work / layout / "log.jsonl").read_text().splitlines()]
    # steady state: the logged windows after the first one (which holds warm-up and any compilation)
    rates = [r["tokens_per_s"] for r in logs if "tokens_per_s" in r and not r.get("final")][1:]
    steady = sum(rates) / len(rates) if rates else None
    return {"layout": layout, "steps": summary["global_step"], "seconds": round(time.monotonic() - t0, 2),
            "tokens": summary["tokens"], "tokens_per_s": summary["tokens_per_s"],
            "steady_tokens_per_s": round(steady, 1) if steady else None, "final_loss": summary["final_logged_loss"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="GGUF, HF dir or alias (the base model; adapters are not merged here)")
    ap.add_argument("--tiny", action="store_true", help="a tiny random Llama (CPU check of the script)")
    ap.add_argument("--data", required=True, help="round2.jsonl")
    ap.add_argument("--rows", type=int, default=4000, help="first N pairs (both layouts see the same ones)")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=2048)
    ap.add_argument("--layouts", default="flat,rows")
    ap.add_argument("--set", action="append", default=[], metavar="key=value", help="Round2Config override")
    ap.add_argument("--out", help="JSON report")
    a = ap.parse_args(argv)

    import torch
    import transformers
    import trl

    from eval.provenance import git_commit

    work = Path(tempfile.mkdtemp(prefix="bench-r2-"))
    if a.tiny:
        sys.path.insert(0, str(ROOT / "tests"))
        import train_helpers as h

        model = str(h.build_tiny(work / "tiny"))
        a.set = ["bf16=false", "use_cpu=true", "optim=adamw_torch", "lora.r=4", "lora.alpha=8"] + a.set
    elif a.model:
        from finetune.common import resolve_model_path

        model = resolve_model_path(a.model)
    else:
        ap.error("give --model or --tiny")
    lines = [x for x in Path(a.data).read_text().splitlines() if x.strip()][: a.rows]
    data = work / "round2.jsonl"
    data.write_text("\n".join(lines) + "\n")

    results = []
    for layout in [x.strip() for x in a.layouts.split(",") if x.strip()]:
        row = run_layout(layout, model, data, work, a)
        results.append(row)
        print(json.dumps(row), flush=True)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "cpu"
    report = {"benchmark": "round2 packed SFT throughput", "device": device, "rows": len(lines),
              "batch": a.batch, "max_length": a.max_length, "steps": a.steps, "overrides": a.set,
              "commit": git_commit(), "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                                                   "trl": trl.__version__},
              "command": "python scripts/bench_round2.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "results": results}
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
