"""Synthesis sweep of the reference offload controller over (E, S) on every FPGA target.

Writes results/showcase/synth_sweep.{json,md,png}: LUT/FF/BRAM/DSP on Xilinx UltraScale+ and
utilisation + Fmax after place and route on Lattice ECP5, for E in {8, 64} and S in {4, 16}
(K=2, P=2, D=2, LW=3 unless overridden). The reference RTL, not a generated one, so the numbers
are the yardstick generated designs are compared with.

    .venv/bin/python scripts/showcase_sweep.py [--out results/showcase] [--E 8,64] [--S 4,16]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.progress import Progress  # noqa: E402

from eval.synth import synthesize  # noqa: E402

RTL = REPO / "testbenches" / "offload_controller" / "rtl"
SOURCES = [RTL / f for f in ("oc_tag_store.sv", "oc_victim_select.sv", "oc_dma_req.sv", "oc_csr.sv",
                             "offload_controller.sv")]


def table(rows: list[dict]) -> str:
    out = ["| E | S | xcup LUT | xcup FF | xcup BRAM | xcup DSP | xcup CARRY | ecp5 LUT4 | ecp5 FF | ecp5 COMB used/avail | ecp5 Fmax (MHz) |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        x, e = r["xcup"], r["ecp5"]
        xr, er = x.get("resources", {}), e.get("resources", {})
        comb = e.get("utilisation", {}).get("TRELLIS_COMB", {})
        fmax = ", ".join(f"{v:.1f}" for v in e.get("fmax_mhz", {}).values()) or "—"
        out.append(f"| {r['E']} | {r['S']} | {xr.get('lut', '—')} | {xr.get('ff', '—')} | "
                   f"{xr.get('bram', '—')} | {xr.get('dsp', '—')} | {xr.get('carry', '—')} | "
                   f"{er.get('lut', '—')} | {er.get('ff', '—')} | "
                   f"{comb.get('used', '—')}/{comb.get('available', '—')} | {fmax} |")
    return "\n".join(out)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"E={r['E']}\nS={r['S']}" for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    xs = range(len(rows))
    for ax, (tgt, key, title) in zip(axes[:2], [("xcup", "lut", "LUTs"), ("xcup", "ff", "FFs")]):
        ax.bar([i - 0.2 for i in xs], [r["xcup"].get("resources", {}).get(key, 0) for r in rows],
               0.4, label="UltraScale+")
        ax.bar([i + 0.2 for i in xs], [r["ecp5"].get("resources", {}).get(key, 0) for r in rows],
               0.4, label="ECP5")
        ax.set_xticks(list(xs), labels)
        ax.set_title(title)
        ax.legend()
    fm = [max(r["ecp5"].get("fmax_mhz", {}).values() or [0]) for r in rows]
    axes[2].bar(list(xs), fm, color="tab:green")
    axes[2].set_xticks(list(xs), labels)
    axes[2].set_title("ECP5 Fmax after place and route (MHz)")
    fig.suptitle("offload_controller reference RTL (K=2)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "results" / "showcase"))
    ap.add_argument("--E", default="8,64")
    ap.add_argument("--S", default="4,16")
    ap.add_argument("--targets", default="xcup,ecp5")
    ap.add_argument("--freq", type=float, default=100.0)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = [(int(e), int(s)) for e in a.E.split(",") for s in a.S.split(",")]
    targets = a.targets.split(",")
    rows = []
    with Progress() as prog:
        task = prog.add_task("synthesis sweep", total=len(grid) * len(targets))
        for e, s in grid:
            row = {"E": e, "S": s, "K": 2, "P": 2, "D": 2, "LW": 3}
            params = {k: row[k] for k in ("E", "S", "K", "P", "D", "LW")}
            for t in targets:
                prog.update(task, description=f"{t} E={e} S={s}")
                res = synthesize(SOURCES, "offload_controller", t, params=params, freq_mhz=a.freq)
                row[t] = res.to_dict()
                if not res.ok:
                    prog.console.print(f"[red]{t} E={e} S={s} failed:[/red] {res.error[:300]}")
                prog.advance(task)
            rows.append(row)
            (out / "synth_sweep.json").write_text(json.dumps(rows, indent=1))
    md = table(rows)
    (out / "synth_sweep.md").write_text(
        "# Offload controller synthesis sweep (reference RTL)\n\n" + md +
        "\n\nUltraScale+: `synth_xilinx -family xcup` (no open place and route: no Fmax). "
        "ECP5: `synth_ecp5` + `nextpnr-ecp5 --85k --package CABGA756 --speed 6`, "
        f"target {a.freq:g} MHz.\n")
    plot(rows, out / "synth_sweep.png")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
