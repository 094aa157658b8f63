"""Policy study on the golden model: hit rate and bytes moved per cache policy.

Replays synthetic MoE router traces (Zipf expert popularity + token-to-token locality, see
testbenches/offload_controller/oc_traces.py) through the transaction-level model for LRU, LFU and
the HOBBIT-style score, each with and without low-precision loads (gate below a threshold) and
history-based prefetch of the next layer, over several cache sizes. The same model checks the
RTL cycle by cycle, so these numbers are what the hardware does, not a separate simulator.

    .venv/bin/python scripts/policy_study.py [--out results/showcase] [--tokens 200] [--seeds 3]

Writes policy_study.json and policy_study.png.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "testbenches" / "offload_controller"))

from rich.progress import Progress  # noqa: E402

from oc_model import (A_CTRL, A_THRESH, POLICY_HOBBIT, POLICY_LFU, POLICY_LRU,  # noqa: E402
                      POLICY_NAMES, OffloadModel, Params)
from oc_traces import TraceConfig, history_prediction, router_trace  # noqa: E402


def simulate(p: Params, steps, policy: int, lowp: bool, prefetch: bool, threshold: int) -> dict:
    m = OffloadModel(p)
    m.csr_write(A_CTRL, policy | (int(prefetch) << 4))
    m.csr_write(A_THRESH, threshold if lowp else 0)
    nl = 1 << p.LW
    for i, s in enumerate(steps):
        m.request(s.ids, s.gates, s.layer % nl)
        m.release()                       # the compute engine finishes the token at once
        if prefetch:
            hint = history_prediction(steps, i, p.P)
            if hint:
                m.prefetch(hint, steps[i + 1].layer % nl)
    c = m.csr.counters
    acc = c["hits"] + c["misses"]
    return {"hits": c["hits"], "misses": c["misses"], "hit_rate": c["hits"] / acc if acc else 0.0,
            "lowp_loads": c["lowp_loads"], "pf_loads": c["pf_loads"], "pf_hits": c["pf_hits"],
            "bytes": m.csr.bytes, "accesses": acc}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "results" / "showcase"))
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--experts-per-layer", type=int, default=8)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--slots", default="8,16,32")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--zipf", type=float, default=1.0)
    ap.add_argument("--locality", type=float, default=0.5)
    ap.add_argument("--threshold", type=float, default=0.3, help="low-precision threshold, fraction of full gate")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    E = a.layers * a.experts_per_layer
    LW = max(1, (a.layers - 1).bit_length())
    slots = [int(x) for x in a.slots.split(",")]
    variants = [(pol, lp, pf) for pol in (POLICY_LRU, POLICY_LFU, POLICY_HOBBIT)
                for lp in (False, True) for pf in (False, True)]
    rows = []
    with Progress() as prog:
        task = prog.add_task("policy study", total=len(slots) * a.seeds * len(variants))
        for S in slots:
            p = Params(E=E, S=S, K=a.k, P=a.k, D=1, GW=8, LW=LW, FW=4)
            for seed in range(a.seeds):
                steps = router_trace(TraceConfig(tokens=a.tokens, layers=a.layers,
                                                 experts_per_layer=a.experts_per_layer, k=a.k,
                                                 zipf=a.zipf, locality=a.locality, seed=seed))
                for pol, lp, pf in variants:
                    r = simulate(p, steps, pol, lp, pf, int(a.threshold * 255))
                    rows.append({"S": S, "seed": seed, "policy": POLICY_NAMES[pol],
                                 "lowp": lp, "prefetch": pf, **r})
                    prog.advance(task)
    # mean over seeds
    summary = {}
    for r in rows:
        key = f"{r['policy']}{'+lp' if r['lowp'] else ''}{'+pf' if r['prefetch'] else ''}"
        d = summary.setdefault(key, {}).setdefault(str(r["S"]), {"hit_rate": 0.0, "mbytes": 0.0, "n": 0})
        d["hit_rate"] += r["hit_rate"]
        d["mbytes"] += r["bytes"] / 1e6
        d["n"] += 1
    for key, by_s in summary.items():
        for d in by_s.values():
            d["hit_rate"] = round(d["hit_rate"] / d["n"], 4)
            d["mbytes"] = round(d["mbytes"] / d["n"], 3)
    meta = {"experts": E, "layers": a.layers, "experts_per_layer": a.experts_per_layer, "k": a.k,
            "tokens": a.tokens, "seeds": a.seeds, "zipf": a.zipf, "locality": a.locality,
            "threshold": int(a.threshold * 255), "full_bytes": 4096, "low_bytes": 1024,
            "prefetch_predictor": "last value: same layer, previous token"}
    (out / "policy_study.json").write_text(json.dumps({"meta": meta, "summary": summary, "runs": rows}, indent=1))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.5))
    colors = {"lru": "tab:blue", "lfu": "tab:orange", "hobbit": "tab:green"}
    styles = {"": "-", "+lp": "--", "+pf": ":", "+lp+pf": "-."}
    for key, by_s in summary.items():
        pol = key.split("+")[0]
        suffix = key[len(pol):]
        xs = [int(s) for s in by_s]
        ax1.plot(xs, [by_s[s]["hit_rate"] for s in by_s], styles[suffix], color=colors[pol], marker="o", label=key)
        ax2.plot(xs, [by_s[s]["mbytes"] for s in by_s], styles[suffix], color=colors[pol], marker="o", label=key)
    ax1.set_xlabel("cache slots S")
    ax1.set_ylabel("hit rate")
    ax2.set_xlabel("cache slots S")
    ax2.set_ylabel("MB requested from DMA")
    ax1.legend(fontsize=7, ncol=2)
    fig.suptitle(f"Expert cache policies on synthetic router traces ({E} experts, {a.layers} layers, "
                 f"top-{a.k}, zipf {a.zipf}, locality {a.locality})")
    fig.tight_layout()
    fig.savefig(out / "policy_study.png", dpi=120)
    for key, by_s in summary.items():
        print(f"{key:14s} " + "  ".join(f"S={s}: hit {d['hit_rate']:.3f} {d['mbytes']:.2f} MB" for s, d in by_s.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
