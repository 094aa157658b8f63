"""The sort-free top-p sampler is exact: same nucleus, same distribution as the sorted rule.

`threshold_nucleus` / `sample_threshold` (plain torch) and the Triton kernel (run here through
Triton's CPU interpreter when triton is installed) must give, for every row, the nucleus that
transformers' TopPLogitsWarper keeps — including rows with big flat nuclei and rows full of tied
logits, where the sorted rule keeps only part of the tie group at the boundary — and draw from it
with the renormalised probabilities. Tie order at the boundary is free; tie *counts* are not, so
the checks aggregate probabilities per distinct logit value.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rtlgen.backends.fastdecode import (FastDecoder, sample_from_noise, sample_threshold,
                                        threshold_nucleus)

REPO = Path(__file__).resolve().parents[1]


def _sorted_rule(logits: torch.Tensor, temperature: float, top_p: float):
    """The old exact path's nucleus: size and mass per row (sort, softmax, preceding mass ≤ top_p)."""
    sl, _ = logits.sort(dim=-1, descending=True)
    probs = (sl.float() / temperature).softmax(dim=-1)
    cum = probs.cumsum(dim=-1)
    k = ((cum - probs) <= top_p).sum(dim=-1).clamp(min=1)
    return k, cum.gather(-1, (k - 1)[:, None])[:, 0]


def _warper_groups(row: torch.Tensor, temperature: float, top_p: float) -> dict[float, float]:
    """transformers' warpers, probability per distinct logit value (tie order is the sort's)."""
    from transformers import TemperatureLogitsWarper, TopPLogitsWarper

    x = TemperatureLogitsWarper(temperature)(None, row.float()[None].clone())
    x = TopPLogitsWarper(top_p)(None, x)
    p = x.softmax(-1)[0].double()
    out: dict[float, float] = {}
    for v, pv in zip(row.float().tolist(), p.tolist()):
        if pv > 0:
            out[v] = out.get(v, 0.0) + pv
    return out


def _logit_suite(dtype, seed=0, V=701):
    """Peaked, moderate, flat (nucleus ≈ 95% of V) and heavily tied rows. V is odd so that no flat
    row puts top_p exactly on a token boundary (there the fp rounding of either rule decides)."""
    g = torch.Generator().manual_seed(seed)
    rows = [torch.randn(6, V, generator=g) * 4,  # peaked
            torch.randn(6, V, generator=g),  # moderate
            torch.randn(4, V, generator=g) * 0.05,  # nearly flat: big nucleus
            torch.zeros(2, V),  # flat: all tied
            torch.randint(-3, 3, (6, V), generator=g).float(),  # six values: big tie groups
            torch.randint(0, 2, (4, V), generator=g).float() * 8]  # two values, one nearly all mass
    peaked = torch.randn(2, V, generator=g)
    peaked[:, :3] += 12  # nucleus of one to three tokens
    rows.append(peaked)
    return torch.cat(rows).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("temperature,top_p", [(0.85, 0.95), (1.0, 0.5), (1.3, 0.9), (0.5, 0.999)])
def test_threshold_nucleus_is_the_sorted_rule(dtype, temperature, top_p):
    logits = _logit_suite(dtype)
    keep, p, mass = threshold_nucleus(logits, temperature, top_p)
    k, ref_mass = _sorted_rule(logits, temperature, top_p)
    assert torch.equal(keep.sum(dim=-1), k)
    assert torch.allclose(mass, ref_mass, atol=2e-6)
    # the kept set is a threshold set: nothing outside is above anything inside
    x = logits.float()
    lo_in = torch.where(keep, x, float("inf")).amin(dim=-1)
    hi_out = torch.where(keep, float("-inf"), x).amax(dim=-1)
    assert bool((hi_out <= lo_in).all())
    # and the tie group at the boundary keeps its lowest token ids first
    for r in range(x.shape[0]):
        tied = torch.nonzero(x[r] == lo_in[r]).flatten()
        kept = torch.nonzero(keep[r] & (x[r] == lo_in[r])).flatten()
        assert torch.equal(kept, tied[:len(kept)])


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("temperature,top_p", [(0.85, 0.95), (1.0, 0.6)])
def test_distribution_per_logit_value_matches_the_warpers(dtype, temperature, top_p):
    """Stratified noise (N draws) sweeps the inverse CDF: each distinct logit value's share of the
    draws is the warped probability of its tokens to within one stratum per token drawn."""
    logits = _logit_suite(dtype, seed=1, V=301)[::3]  # every kind of row, fewer of each
    N = 1000
    u = (torch.arange(N, dtype=torch.float64) + 0.5) / N
    for r in range(logits.shape[0]):
        want = _warper_groups(logits[r], temperature, top_p)
        got = sample_threshold(logits[r].expand(N, -1), temperature, top_p, u.float())
        vals = logits[r].float()[got].tolist()
        share: dict[float, int] = {}
        for v in vals:
            share[v] = share.get(v, 0) + 1
        assert set(share) <= set(want), f"row {r}: drew outside the nucleus"
        for v, pv in want.items():
            tokens = int((logits[r].float() == v).sum())
            assert abs(share.get(v, 0) / N - pv) <= (tokens + 1) / N + 1e-6, (r, v)


def test_chi_square_of_random_draws_against_the_sorted_sampler():
    """Many random noise draws through the new sampler vs the warpers' probabilities: the Pearson
    statistic stays under the 1e-4 tail of its chi-square law (Wilson–Hilferty bound). A sampler
    that kept a tie group whole, or walked a wrong CDF, fails by a wide margin."""
    g = torch.Generator().manual_seed(3)
    V, N = 60, 20000
    rows = torch.stack([torch.randint(-2, 3, (V,), generator=g).float(),  # ties at the boundary
                        torch.randn(V, generator=g) * 2,
                        torch.randn(V, generator=g) * 0.1])
    for row in rows:
        want = _warper_groups(row, 0.85, 0.9)
        got = sample_threshold(row.expand(N, -1), 0.85, 0.9, torch.rand(N, generator=g))
        vals = row[got].tolist()
        keys = sorted(want)
        obs = torch.tensor([sum(1 for v in vals if v == k) for k in keys], dtype=torch.float64)
        exp = torch.tensor([want[k] * N for k in keys], dtype=torch.float64)
        assert int(obs.sum()) == N  # nothing outside the nucleus
        stat = float(((obs - exp) ** 2 / exp).sum())
        dof = max(1, len(keys) - 1)
        z = 3.72  # one-sided 1e-4 normal quantile
        bound = dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3
        assert stat < bound, (stat, bound, len(keys))


def test_sorted_sampler_and_threshold_sampler_agree_on_the_nucleus_per_token():
    """Same nucleus for continuous logits: the set of tokens each sampler can reach, swept over u."""
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(8, 200, generator=g) * 2
    N = 3000
    u = (torch.arange(N) + 0.5) / N
    for r in range(8):
        a = set(sample_threshold(logits[r].expand(N, -1), 0.85, 0.95, u).tolist())
        b = set(sample_from_noise(logits[r].expand(N, -1), 0.85, 0.95, u).tolist())
        keep, _, _ = threshold_nucleus(logits[r:r + 1], 0.85, 0.95)
        nucleus = set(torch.nonzero(keep[0]).flatten().tolist())
        assert a <= nucleus and b <= nucleus
        assert len(a) >= len(nucleus) - 2 and len(b) >= len(nucleus) - 2  # tiny tail tokens may need a finer u


def test_greedy_and_no_top_p_unchanged():
    logits = torch.randn(5, 33)
    assert torch.equal(sample_threshold(logits, 0.0, 0.95, torch.rand(5)), logits.argmax(-1))
    u = torch.rand(5)
    assert torch.equal(sample_threshold(logits, 0.9, 1.0, u), sample_from_noise(logits, 0.9, 1.0, u))


def test_zero_probability_tokens_are_never_drawn():
    logits = torch.full((2, 10), float("-inf"))
    logits[0, 3] = 0.0
    logits[1, [2, 7]] = 1.0
    for u0 in (0.0, 0.3, 0.999999):
        got = sample_threshold(logits, 1.0, 0.9, torch.full((2,), u0)).tolist()
        assert got[0] == 3 and got[1] in (2, 7)


def test_decoder_sampler_choice(tmp_path):
    """The decoder takes "sorted" (old path, same tokens as sample_from_noise) and "threshold"; on
    CPU "auto" keeps the sort (cheaper there than ~33 masked passes over fp32 keys); a bad name is
    refused."""
    sys.path.insert(0, str(Path(__file__).parent))
    from gen_helpers import build_tiny_llama
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(build_tiny_llama(tmp_path / "m"), dtype=torch.float32).eval()
    ids = [[5, 6, 7, 8], [9, 10]]
    noise = torch.rand(6, 2 * 3, generator=torch.Generator().manual_seed(2))
    outs = {}
    for s in ("sorted", "threshold", "auto"):
        dec = FastDecoder(model, use_cuda_graphs=False, sampler=s)
        outs[s], _ = dec.run_batch(ids, 3, 6, 0.9, 0.95, lambda a, h: [], noise=noise)
        assert dec.describe_sampler().startswith("threshold (plain torch)" if s == "threshold" else "sorted")
    assert torch.equal(outs["sorted"], outs["auto"])
    # the same noise walks the nucleus in another order: same rows, same support, other tokens
    assert outs["threshold"].shape == outs["sorted"].shape and not torch.equal(outs["threshold"], outs["sorted"])
    greedy = [FastDecoder(model, use_cuda_graphs=False, sampler=s).run_batch(ids, 2, 6, 0.0, 0.95,
                                                                              lambda a, h: [])[0]
              for s in ("sorted", "threshold")]
    assert torch.equal(*greedy)
    with pytest.raises(ValueError):
        FastDecoder(model, use_cuda_graphs=False, sampler="fast")


_INTERP = r"""
import json, sys, torch
from rtlgen.backends.fastdecode import FastDecoder, sample_threshold, sample_threshold_kernel, threshold_nucleus
g = torch.Generator().manual_seed(int(sys.argv[1]))
V = 333
rows = [torch.randn(3, V, generator=g) * 3, torch.randn(2, V, generator=g) * 0.05,
        torch.randint(-3, 3, (3, V), generator=g).float(), torch.zeros(1, V)]
logits = torch.cat(rows).to(getattr(torch, sys.argv[2]))
u = torch.rand(logits.shape[0], generator=g)
u[0] = 0.0
aux = torch.zeros(logits.shape[0], 4)
tok = sample_threshold_kernel(logits, 0.85, 0.95, u, aux, nt=4, chunk=128, num_warps=1)
keep, _, mass = threshold_nucleus(logits, 0.85, 0.95)
dec = FastDecoder.__new__(FastDecoder)
dec.kernel_cfg = {"nt": 8, "chunk": 64, "num_warps": 1}
ok, why = dec._check_kernel(logits, 0.85, 0.95, u)
print(json.dumps({"tok": tok.tolist(), "ref": sample_threshold(logits, 0.85, 0.95, u).tolist(),
                  "size": aux[:, 1].tolist(), "ref_size": keep.sum(-1).tolist(),
                  "mass_err": float((aux[:, 0] - mass).abs().max()), "check": ok, "why": why}))
"""


@pytest.mark.parametrize("seed,dtype", [(0, "bfloat16"), (1, "float16")])
def test_triton_kernel_in_the_interpreter_matches_the_torch_rule(seed, dtype):
    """The GPU kernel's own code, run by Triton's CPU interpreter: the same nucleus sizes and masses
    as `threshold_nucleus` and the same tokens as `sample_threshold` for the same noise (both walk
    the nucleus in vocabulary order), and the decoder's first-batch check accepts it."""
    pytest.importorskip("triton")
    env = {"PATH": "/usr/bin:/bin", "TRITON_INTERPRET": "1", "PYTHONPATH": str(REPO), "HOME": "/tmp",
           "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-c", _INTERP, str(seed), dtype], cwd=REPO, capture_output=True,
                       text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["size"] == [float(s) for s in r["ref_size"]]
    assert r["mass_err"] < 1e-5
    assert r["tok"] == r["ref"]
    assert r["check"], r["why"]


def test_fused_chains_give_the_same_tokens(tmp_path):
    """fuse=True routes norm, RoPE, attention merge and SiLU·up through torch.compile'd pure
    functions (traced here with aot_eager: no C++ compiler needed); tokens must not change."""
    sys.path.insert(0, str(Path(__file__).parent))
    from gen_helpers import build_tiny_llama
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(build_tiny_llama(tmp_path / "m"), dtype=torch.float32).eval()
    ids = [[5, 6, 7, 8], [9, 10, 11]]
    noise = torch.rand(8, 2 * 3, generator=torch.Generator().manual_seed(4))
    plain = FastDecoder(model, use_cuda_graphs=False, kv_bucket=4)
    fused = FastDecoder(model, use_cuda_graphs=False, kv_bucket=4, fuse=True, fuse_backend="aot_eager")
    a, _ = plain.run_batch(ids, 3, 8, 0.9, 0.95, lambda r, h: [], noise=noise)
    b, _ = fused.run_batch(ids, 3, 8, 0.9, 0.95, lambda r, h: [], noise=noise)
    assert fused.fuse_status.startswith("on"), fused.fuse_status
    assert torch.equal(a, b)
    broken = FastDecoder(model, use_cuda_graphs=False, fuse=True, fuse_backend="no-such-backend")
    c, _ = broken.run_batch(ids, 3, 8, 0.9, 0.95, lambda r, h: [], noise=noise)
    assert broken.fuse_status.startswith("off") and torch.equal(a, c)
