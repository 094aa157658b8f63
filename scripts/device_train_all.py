#!/usr/bin/env python
"""One command for the GPU machine: GGUF → HF checkpoint, round 1 → round 2 → (sample → pairs →) DPO,
adapters and logs to $OUT as at most 8 files (the device tool's limit).

Each stage runs under a wall-clock budget (`time_limit_s`) so the whole job fits one 10-minute call;
a stage that hits its budget checkpoints and still saves its adapter.

DPO needs simulation (iverilog) to rank samples. Where the GPU machine has no iverilog, `--stages
round1,round2,sample` writes the samples to $OUT; build the pairs here (`rtlgen train pairs`), carry
them back and run `--stages dpo --pairs …` with the earlier adapters carried in.

  GPU: python scripts/device_train_all.py --gguf /root/m/smollm2.gguf --data .carry/data/default --out $OUT
  CPU: python scripts/device_train_all.py --tiny --data DIR --out /tmp/o --r1-steps 3 --r2-steps 3 --dpo-steps 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NEEDED = ["torch", "transformers", "peft", "trl", "datasets", "yaml", "rich"]


def check_imports() -> None:
    missing = []
    for mod in NEEDED:
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        sys.exit(f"missing Python packages on this machine: {', '.join(missing)} "
                 f"(carry their wheels in .carry/wheels: rich needs markdown-it-py, mdurl, pygments)")


def stage_overrides(model: str, out: Path, seconds: float, steps: int, extra: list[str]) -> list[str]:
    ov = [f"model={model}", f"output_dir={out}", "progress=false" if not sys.stderr.isatty() else "progress=true"]
    if seconds > 0:
        ov.append(f"time_limit_s={seconds}")
    if steps > 0:
        ov.append(f"max_steps={steps}")
    return ov + extra


def pack(out_dir: Path, name: str, paths: list[Path], base: Path) -> Path | None:
    paths = [p for p in paths if p.exists()]
    if not paths:
        return None
    target = out_dir / name
    with tarfile.open(target, "w:gz") as tar:
        for p in paths:
            tar.add(p, arcname=str(p.relative_to(base)))
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", help="SmolLM2 GGUF to convert (or --model for an HF dir, or --tiny)")
    ap.add_argument("--model", help="an HF model directory instead of --gguf")
    ap.add_argument("--tiny", action="store_true", help="tiny random Llama (CPU smoke run of the same path)")
    ap.add_argument("--data", required=True, help="data/<name> dir: round1.jsonl, round2.jsonl, problems/")
    ap.add_argument("--out", default=os.environ.get("OUT", "runs/device"), help="where artifacts go ($OUT)")
    ap.add_argument("--work", default="/tmp/rtlgen-train", help="scratch folder for runs")
    ap.add_argument("--stages", default="round1,round2,dpo", help="comma list: bench,round1,round2,sample,dpo")
    ap.add_argument("--r1-adapter", help="earlier round-1 adapter (when round1 is not in --stages)")
    ap.add_argument("--r2-adapter", help="earlier round-2 adapter (when round2 is not in --stages)")
    ap.add_argument("--pairs", help="ready pairs.jsonl for dpo (built where iverilog is)")
    ap.add_argument("--samples", help="samples JSONL to score for dpo")
    ap.add_argument("--r1-seconds", type=float, default=170)
    ap.add_argument("--r2-seconds", type=float, default=110)
    ap.add_argument("--dpo-seconds", type=float, default=70)
    ap.add_argument("--r1-steps", type=int, default=0)
    ap.add_argument("--r2-steps", type=int, default=0)
    ap.add_argument("--dpo-steps", type=int, default=0)
    ap.add_argument("--k", type=int, default=8, help="samples per problem for DPO")
    ap.add_argument("--set", action="append", default=[], metavar="STAGE.key=value",
                    help="extra override, e.g. --set round1.batch_size=32")
    a = ap.parse_args(argv)
    check_imports()
    from finetune import dpo, round1, round2
    from finetune.common import quiet_libraries
    from finetune.config import DPOStageConfig, Round1Config, Round2Config
    from rtlgen.config import load_config

    quiet_libraries()
    t_start = time.monotonic()
    stages = [s.strip() for s in a.stages.split(",") if s.strip()]
    data, out, work = Path(a.data), Path(a.out), Path(a.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    extra = {"round1": [], "round2": [], "dpo": []}
    for item in a.set:
        stage, _, kv = item.partition(".")
        if stage not in extra or "=" not in kv:
            ap.error(f"--set {item}: expected round1|round2|dpo.key=value")
        extra[stage].append(kv)
    if a.tiny:
        from finetune.tiny import build_tiny_model

        texts = [json.loads(x)["text"] for x in (data / "round1.jsonl").read_text().splitlines()[:300] if x.strip()]
        model = str(build_tiny_model(work / "tiny-model", texts, vocab_size=512, hidden=64))
        for k in extra:
            extra[k] += ["bf16=false", "batch_size=2", f"max_length={512 if k == 'dpo' else 256}", "lora.r=4", "lora.alpha=8",
                         "optim=adamw_torch", "max_new_tokens=64" if k == "dpo" else "logging_steps=1"]
    elif a.model:
        model = a.model
    elif a.gguf:
        os.environ.setdefault("RTLGEN_CACHE", str(work / "cache"))
        from rtlgen.runtime.models import convert_gguf

        model = str(convert_gguf(Path(a.gguf)))
    else:
        ap.error("give --gguf, --model or --tiny")
    report: dict = {"model": model, "stages": stages, "timings": {}}

    r1_adapter, r2_adapter = a.r1_adapter, a.r2_adapter
    try:  # a failing stage must not lose the adapters trained before it: pack whatever exists
        if "bench" in stages:
            t = time.monotonic()
            import subprocess

            cmd = [sys.executable, str(ROOT / "scripts" / "bench_train.py"), "--data", str(data / "round1.jsonl"),
                   "--out", str(out / "bench_train.json")] + (["--tiny", "--steps", "2", "--warmup", "1", "--docs", "200"]
                                                              if a.tiny else ["--model", model])
            subprocess.run(cmd, check=False)
            report["timings"]["bench"] = round(time.monotonic() - t, 1)

        if "round1" in stages:
            t = time.monotonic()
            cfg = load_config(Round1Config, ROOT / "finetune/configs/round1.yaml", [f"data={data / 'round1.jsonl'}"]
                              + stage_overrides(model, work / "round1", a.r1_seconds, a.r1_steps, extra["round1"]))
            report["round1"] = round1.train(cfg)
            r1_adapter = report["round1"]["output"]
            report["timings"]["round1"] = round(time.monotonic() - t, 1)

        if "round2" in stages:
            t = time.monotonic()
            inits = [r1_adapter] if r1_adapter else []
            cfg = load_config(Round2Config, ROOT / "finetune/configs/round2.yaml",
                              [f"data={data / 'round2.jsonl'}", f"init_adapters={json.dumps(inits)}"]
                              + stage_overrides(model, work / "round2", a.r2_seconds, a.r2_steps, extra["round2"]))
            report["round2"] = round2.train(cfg)
            r2_adapter = report["round2"]["output"]
            report["timings"]["round2"] = round(time.monotonic() - t, 1)

        inits = [p for p in (r1_adapter, r2_adapter) if p]
        dpo_base = [f"problems={data / 'problems'}", f"init_adapters={json.dumps(inits)}", f"k={a.k}"]
        if "sample" in stages:
            t = time.monotonic()
            cfg = load_config(DPOStageConfig, ROOT / "finetune/configs/dpo.yaml",
                              dpo_base + stage_overrides(model, work / "dpo", 0, 0, extra["dpo"]))
            from finetune.pairs import refuse_benchmarks

            samples = dpo.sample_candidates(cfg, refuse_benchmarks(cfg.problems), inits, out / "dpo_samples.jsonl")
            report["samples"] = str(samples)
            report["timings"]["sample"] = round(time.monotonic() - t, 1)

        if "dpo" in stages:
            t = time.monotonic()
            src = [f"pairs={a.pairs}"] if a.pairs else [f"samples={a.samples}"] if a.samples else []
            if not src and not shutil.which("iverilog"):
                raise RuntimeError("dpo: no iverilog on this machine to rank samples; run --stages ...,sample, build pairs with "
                         "`rtlgen train pairs` where iverilog is, and pass --pairs")
            cfg = load_config(DPOStageConfig, ROOT / "finetune/configs/dpo.yaml",
                              dpo_base + src + stage_overrides(model, work / "dpo", a.dpo_seconds, a.dpo_steps,
                                                               extra["dpo"]))
            report["dpo"] = dpo.train(cfg)
            report["timings"]["dpo"] = round(time.monotonic() - t, 1)
    except Exception as exc:  # noqa: BLE001 - reported in train_report.json and on stderr, exit 1
        import traceback

        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc()[-4000:]
        print(report["traceback"], file=sys.stderr)

    # ≤ 8 files back: one tarball per adapter, one with every log and config, the report
    for stage in ("round1", "round2", "dpo"):
        if stage in report:
            final = Path(report[stage]["output"])
            pack(out, f"{stage}_adapter.tar.gz", [final], final.parent.parent)
    logs = []
    for stage in ("round1", "round2", "dpo"):
        d = work / stage
        logs += [d / "log.jsonl", d / "summary.json", d / f"{stage}_config.json", d / "pairs" / "pairs.jsonl",
                 d / "pairs" / "pairs_stats.json", d / "pairs" / "scored.jsonl"]
    pack(out, "train_logs.tar.gz", logs, work)
    report["total_seconds"] = round(time.monotonic() - t_start, 1)
    (out / "train_report.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"\n{'stage':<8}{'steps':>7}{'loss':>9}{'tokens/s':>11}{'seconds':>9}  extra")
    for stage in ("round1", "round2", "dpo"):
        s = report.get(stage)
        if not s:
            continue
        tps = f"{s['tokens_per_s']:,.0f}" if s.get("tokens_per_s") else "-"
        more = f"pairs {s.get('pairs')} margin {s.get('reward_margin_last')}" if stage == "dpo" else ""
        print(f"{stage:<8}{s['global_step']:>7}{s['train_loss']:>9.4f}{tps:>11}{s['seconds']:>9}  {more}")
    print(f"total {report['total_seconds']} s; artifacts in {out}: {sorted(p.name for p in out.iterdir())}")
    return 1 if report.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
