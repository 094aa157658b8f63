"""The fast decoder's sampler and graph fallback on CPU.

All randomness of a batch is uniform noise drawn before decoding (so no RNG op ever sits inside a
CUDA graph); these tests pin down that sampling from that noise keeps the semantics of
transformers' temperature + top-p warpers, is a pure function of the noise, and that a capture
failure falls back to eager decoding without changing a token.
"""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from gen_helpers import build_tiny_llama  # noqa: E402

from rtlgen.backends.fastdecode import FastDecoder, sample_from_noise  # noqa: E402


def _nucleus(logits_row: torch.Tensor, temperature: float, top_p: float) -> dict[int, float]:
    """Reference: transformers' own warpers give the renormalised nucleus distribution."""
    from transformers import TemperatureLogitsWarper, TopPLogitsWarper

    x = TemperatureLogitsWarper(temperature)(None, logits_row[None].clone())
    if top_p < 1.0:
        x = TopPLogitsWarper(top_p)(None, x)
    p = x.softmax(-1)[0]
    return {i: float(v) for i, v in enumerate(p) if v > 0}


def _stratified(n: int) -> torch.Tensor:
    return (torch.arange(n, dtype=torch.float64) + 0.5) / n


@pytest.mark.parametrize("temperature,top_p", [(0.85, 0.95), (1.0, 0.5), (0.7, 1.0), (1.3, 0.9)])
def test_noise_sampling_matches_warper_distribution(temperature, top_p):
    """Stratified noise over [0, 1) must reproduce the warped distribution: every token's share of
    the draws is its nucleus probability to within one stratum, and nothing outside is drawn."""
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(3, 40, generator=g) * 2.5
    N = 4000
    u = _stratified(N).float()
    for r in range(3):
        want = _nucleus(logits[r], temperature, top_p)
        got = sample_from_noise(logits[r].expand(N, -1), temperature, top_p, u)
        counts = torch.bincount(got, minlength=40).double() / N
        assert set(torch.nonzero(counts).flatten().tolist()) <= set(want)
        for tok, p in want.items():
            assert abs(float(counts[tok]) - p) <= 2.0 / N + 1e-6, (tok, p, float(counts[tok]))


def test_top_p_never_leaves_the_nucleus_even_at_noise_extremes():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(64, 500, generator=g) * 4
    for u0 in (0.0, 0.5, 1.0 - 2 ** -24):
        u = torch.full((64,), u0)
        got = sample_from_noise(logits, 0.85, 0.95, u)
        for r in range(64):
            assert int(got[r]) in _nucleus(logits[r], 0.85, 0.95)
    # u = 0 takes the most likely token, u → 1 the least likely one still in the nucleus
    got0 = sample_from_noise(logits, 0.85, 0.95, torch.zeros(64))
    assert torch.equal(got0, logits.argmax(-1))


def test_zero_probability_tokens_are_never_drawn():
    logits = torch.full((2, 10), float("-inf"))
    logits[0, 3] = 0.0
    logits[1, [2, 7]] = torch.tensor([1.0, 1.0])
    for top_p in (1.0, 0.9):
        for u0 in (0.0, 0.3, 0.999999):
            got = sample_from_noise(logits, 1.0, top_p, torch.full((2,), u0)).tolist()
            assert got[0] == 3 and got[1] in (2, 7)


def test_greedy_is_argmax_and_noise_is_ignored():
    logits = torch.randn(5, 33)
    assert torch.equal(sample_from_noise(logits, 0.0, 0.95, torch.rand(5)), logits.argmax(-1))


@pytest.fixture(scope="module")
def model_and_ids(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32).eval()
    texts = ["module TopModule (input a", "// comment lines describe the design\nalways", "assign y ="]
    return model, [tok(t)["input_ids"] for t in texts]


def _nostop(active, host):
    return []


def test_fixed_noise_makes_decoding_deterministic(model_and_ids):
    model, ids = model_and_ids
    dec = FastDecoder(model, use_cuda_graphs=False, kv_bucket=4, check_every=3)
    noise = torch.rand(12, 3 * 4, generator=torch.Generator().manual_seed(5))
    a, sa = dec.run_batch(ids, 4, 12, 0.9, 0.95, _nostop, noise=noise)
    b, sb = dec.run_batch(ids, 4, 12, 0.9, 0.95, _nostop, noise=noise.clone())
    assert sa == sb == 12 and torch.equal(a, b)
    c, _ = dec.run_batch(ids, 4, 12, 0.9, 0.95, _nostop, noise=torch.rand(12, 12))
    assert not torch.equal(a, c)
    # the decoder's own generator: same seed, same tokens
    dec.seed(11)
    d, _ = dec.run_batch(ids, 4, 12, 0.9, 0.95, _nostop)
    dec.seed(11)
    e, _ = dec.run_batch(ids, 4, 12, 0.9, 0.95, _nostop)
    assert torch.equal(d, e)


def test_first_token_distribution_follows_model_probabilities(model_and_ids):
    """n = 400 rows of one prompt with stratified noise: the first sampled token's histogram is the
    warped next-token distribution of the real model (prefill logits → noise row 0)."""
    model, ids = model_and_ids
    dec = FastDecoder(model, use_cuda_graphs=False)
    n = 400
    noise = _stratified(n).float()[None].expand(2, n).contiguous()
    out, _ = dec.run_batch(ids[:1], n, 2, 1.0, 0.9, _nostop, noise=noise)
    with torch.no_grad():
        logits = model(torch.tensor([ids[0]])).logits[0, -1]
    want = _nucleus(logits, 1.0, 0.9)
    counts = torch.bincount(out[:, 0], minlength=logits.shape[0]).double() / n
    assert set(torch.nonzero(counts).flatten().tolist()) <= set(want)
    for tok, p in want.items():
        assert abs(float(counts[tok]) - p) <= 2.0 / n + 1e-3


def test_failed_capture_falls_back_to_eager_with_identical_tokens(model_and_ids):
    """A capture that raises mid-batch (here: the second KV bucket) switches graphs off, records
    why, and continues eagerly from the same step: the tokens equal a plain eager run."""
    model, ids = model_and_ids

    class Flaky(FastDecoder):
        def _capture(self, b, t, Teff, temperature, top_p):
            if self.graphs_captured >= 1:
                # what a refused capture leaves behind: the warm-up step already ran
                self._step(b, Teff, temperature, top_p)
                raise RuntimeError("operation not permitted when stream is capturing")
            self.graphs_captured += 1
            return super()._capture(b, t, Teff, temperature, top_p)

    noise = torch.rand(20, 6, generator=torch.Generator().manual_seed(2))
    ref = FastDecoder(model, use_cuda_graphs=False, kv_bucket=4, check_every=5)
    a, _ = ref.run_batch(ids[:3], 2, 20, 0.8, 0.95, _nostop, noise=noise)
    dec = Flaky(model, use_cuda_graphs=True, kv_bucket=4, check_every=5)
    b, _ = dec.run_batch(ids[:3], 2, 20, 0.8, 0.95, _nostop, noise=noise)
    assert torch.equal(a, b)
    assert dec.use_graphs is False and "not permitted" in dec.graph_failures[0]
    # graph bookkeeping that works (CPU emulation) gives the same tokens too
    ok = FastDecoder(model, use_cuda_graphs=True, kv_bucket=4, check_every=5)
    c, _ = ok.run_batch(ids[:3], 2, 20, 0.8, 0.95, _nostop, noise=noise)
    assert torch.equal(a, c) and ok.graphs_captured == 0  # CPU: emulated, not counted


def test_fused_attention_unavailable_falls_back(model_and_ids):
    """Asking for the fused CUDA prefix kernel where it cannot run (CPU) must only cost the check."""
    model, ids = model_and_ids
    noise = torch.rand(8, 6, generator=torch.Generator().manual_seed(4))
    ref = FastDecoder(model, use_cuda_graphs=False, fused_attention=False)
    dec = FastDecoder(model, use_cuda_graphs=False, fused_attention=True)
    a, _ = ref.run_batch(ids, 2, 8, 0.9, 0.95, _nostop, noise=noise)
    b, _ = dec.run_batch(ids, 2, 8, 0.9, 0.95, _nostop, noise=noise)
    assert torch.equal(a, b) and dec.fused_status.startswith("off:")


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 2e-2)])
def test_prefix_attention_and_its_log_sum_exp(dtype, tol):
    """The lean prefix attention (scores in the model dtype, lse from max and softmax-at-max) agrees
    with fp32 attention, left padding included; its lse is what merges prefix and suffix."""
    g = torch.Generator().manual_seed(3)
    G, kv, Q, P, d = 3, 2, 6, 32, 16
    qg = (torch.randn(G, kv, Q, d, generator=g) * 2).to(dtype)
    kp = (torch.randn(G, kv, P, d, generator=g) * 2).to(dtype)
    vp = torch.randn(G, kv, P, d, generator=g).to(dtype)
    bias = torch.zeros(G, 1, 1, P, dtype=dtype)
    bias[0, ..., :20] = float("-inf")  # a short prompt: 20 padding slots
    bias[2, ..., :1] = float("-inf")
    dec = FastDecoder.__new__(FastDecoder)
    dec.scale, dec.dtype = 1 / d ** 0.5, dtype
    out, lse = dec._prefix_plain(qg, kp, vp, bias)
    ref_o, ref_l = FastDecoder._prefix_reference(qg, kp, vp, bias, dec.scale)
    assert torch.allclose(out.float(), ref_o, atol=tol * 3, rtol=tol * 3)
    assert torch.allclose(lse, ref_l, atol=tol, rtol=tol)


def test_nucleus_cap_matches_the_sorted_rule_and_counts_cut_rows():
    """top-p inside the k most likely tokens picks exactly the token the full sort picks, for the
    same noise, whenever those k tokens hold more than top_p of the mass; flat rows are counted."""
    import torch

    from rtlgen.backends.fastdecode import sample_from_noise

    g = torch.Generator().manual_seed(0)
    peaked = torch.randn(64, 500, generator=g)
    peaked[:, :6] += 9.0  # six tokens hold nearly all the mass
    u = torch.rand(64, generator=g)
    counter = torch.zeros((), dtype=torch.int64)
    exact = sample_from_noise(peaked, 0.85, 0.95, u)
    capped = sample_from_noise(peaked, 0.85, 0.95, u, cap=32, truncated=counter)
    assert torch.equal(exact, capped) and int(counter) == 0
    flat = torch.zeros(8, 500)
    capped = sample_from_noise(flat, 1.0, 0.95, u[:8], cap=32, truncated=counter)
    assert int(counter) == 8 and bool((capped < 500).all())
