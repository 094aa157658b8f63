"""Fast batched sampling for Llama-family decoders: prefix sharing, static KV cache, CUDA graphs.

Why not `model.generate`: with n = 20 samples per prompt it re-encodes and re-caches every prompt
20 times, grows a dynamic cache step by step, and launches ~1,000 small kernels a token for a 135M
model, so the GPU idles between launches (measured: 6.5k tokens/s at batch 512 on an H100). Here:

* prefix sharing — each distinct prompt is prefilled once; its KV lives once per prompt
  (`[G, kv_heads, P, d]`) and the n rows that sample from it attend to it with a single matmul in
  which the n rows × GQA group act as the query dimension. Only the generated suffix is cached per
  row (`[G·n, kv_heads, T, d]`). Scores of both parts go through one softmax.
* static shapes — every buffer of a batch is allocated up front; the step index is a device tensor,
  so one decode step (all layers + sampling) is captured once as a CUDA graph per (batch, suffix
  bucket) and replayed; the suffix attention reads only the bucket of the cache written so far.
* early exit — generated tokens are copied to the host every `check_every` steps, stop strings and
  EOS are searched there, and the batch ends as soon as every row has stopped.
* sampling on device — temperature, exact top-p (sort + cumsum) and exponential-race sampling
  (argmax p/q, q ~ Exp(1)), all graph-capturable.

The same code runs eagerly on CPU (tests compare its greedy output token for token with
`model.generate`). Architectures: llama, mistral (no sliding window), qwen2; anything else falls
back to the generate path of the `hf` backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

SUPPORTED = {"llama", "mistral", "qwen2"}


def supports(model) -> str | None:
    """None when the fast path can run `model`, else the reason it cannot."""
    cfg = model.config
    if getattr(cfg, "model_type", None) not in SUPPORTED:
        return f"model_type {getattr(cfg, 'model_type', None)!r} not in {sorted(SUPPORTED)}"
    if getattr(cfg, "sliding_window", None) and getattr(cfg, "use_sliding_window", True) \
            and cfg.model_type == "mistral":
        return "sliding-window attention"
    inner = getattr(model, "model", None)
    if inner is None or not hasattr(inner, "layers") or not hasattr(inner, "rotary_emb"):
        return "unexpected module layout"
    rope = getattr(inner.rotary_emb, "rope_type", "default")
    if rope not in ("default", "llama3", "linear", "dynamic") or rope == "dynamic":
        return f"rope type {rope}"
    attn = inner.layers[0].self_attn
    if hasattr(attn, "q_norm"):
        return "q/k norm layers"
    return None


def _rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class _Rerun:
    """Stands in for a CUDA graph on CPU so tests exercise warm-up, rewind and bucket switching."""

    def __init__(self, fn):
        self.replay = fn


@dataclass
class Batch:
    """Everything one static-shape batch needs on the device."""

    G: int  # distinct prompts
    n: int  # rows per prompt
    P: int  # padded prompt length
    T: int  # suffix slots (decode steps)
    kp: list  # per layer [G, kv, P, d]
    vp: list
    ks: list  # per layer [B, kv, T, d]
    vs: list
    bias_p: torch.Tensor  # [G, 1, 1, P] 0 / -inf for padding
    pos0: torch.Tensor  # [B] position of the first generated token
    tok: torch.Tensor  # [B] token fed into the next step
    t: torch.Tensor  # [] step index (device)
    out: torch.Tensor  # [B, T + 1] generated tokens

    @property
    def B(self) -> int:
        return self.G * self.n


class FastDecoder:
    def __init__(self, model, *, use_cuda_graphs: bool | None = None, kv_bucket: int | None = None,
                 check_every: int = 16, compile: bool = False):
        self.model = model
        inner = model.model
        cfg = model.config
        self.layers = list(inner.layers)
        self.embed = inner.embed_tokens
        self.norm = inner.norm
        self.lm_head = model.lm_head
        self.nh = cfg.num_attention_heads
        self.nkv = getattr(cfg, "num_key_value_heads", None) or self.nh
        self.hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.nh
        self.grp = self.nh // self.nkv
        self.scale = 1.0 / math.sqrt(self.hd)
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.inv_freq = inner.rotary_emb.inv_freq.to(self.device, torch.float32)
        self.rope_scale = float(getattr(inner.rotary_emb, "attention_scaling", 1.0) or 1.0)
        self.use_graphs = (self.device.type == "cuda") if use_cuda_graphs is None else use_cuda_graphs
        self.kv_bucket = kv_bucket  # None: T/8 rounded up to 64 (≤ 8 graphs per batch)
        self.check_every = max(1, check_every)
        self.graph_pool = None
        self.graph_failures: list[str] = []
        self._layer_fn = torch.compile(self._layer, dynamic=False) if compile else self._layer

    # --- shared pieces ---------------------------------------------------------------------

    def _rope(self, pos: torch.Tensor):
        """cos, sin of shape [..., d] for integer positions `pos`."""
        freqs = pos.to(torch.float32)[..., None] * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        return (emb.cos() * self.rope_scale).to(self.dtype), (emb.sin() * self.rope_scale).to(self.dtype)

    def _qkv(self, layer, h, L):
        attn = layer.self_attn
        Bx = h.shape[0]
        q = attn.q_proj(h).view(Bx, L, self.nh, self.hd).transpose(1, 2)
        k = attn.k_proj(h).view(Bx, L, self.nkv, self.hd).transpose(1, 2)
        v = attn.v_proj(h).view(Bx, L, self.nkv, self.hd).transpose(1, 2)
        return q, k, v

    # --- prefill ---------------------------------------------------------------------------

    @torch.no_grad()
    def prefill(self, ids: torch.Tensor, lens: torch.Tensor, chunk: int = 16):
        """Run left-padded prompts [G, P]; returns per-layer K/V (after RoPE) and last-token logits."""
        G, P = ids.shape
        kp = [torch.empty(G, self.nkv, P, self.hd, device=self.device, dtype=self.dtype) for _ in self.layers]
        vp = [torch.empty_like(x) for x in kp]
        logits = []
        ar = torch.arange(P, device=self.device)
        for s in range(0, G, chunk):
            e = min(G, s + chunk)
            start = P - lens[s:e]
            valid = ar[None, :] >= start[:, None]  # [g, P]
            pos = (ar[None, :] - start[:, None]).clamp(min=0)
            cos, sin = self._rope(pos)  # [g, P, d]
            cos, sin = cos[:, None], sin[:, None]
            causal = ar[None, :] <= ar[:, None]  # [P(q), P(k)]
            mask = (causal[None] & valid[:, None, :]) | torch.eye(P, dtype=torch.bool, device=self.device)[None]
            mask = mask[:, None]  # [g, 1, P, P]
            x = self.embed(ids[s:e])
            for li, layer in enumerate(self.layers):
                h = layer.input_layernorm(x)
                q, k, v = self._qkv(layer, h, P)
                q = q * cos + _rotate_half(q) * sin
                k = k * cos + _rotate_half(k) * sin
                kp[li][s:e] = k
                vp[li][s:e] = v
                if self.grp > 1:
                    k = k.repeat_interleave(self.grp, dim=1)
                    v = v.repeat_interleave(self.grp, dim=1)
                o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=self.scale)
                o = o.transpose(1, 2).reshape(e - s, P, self.nh * self.hd)
                x = x + layer.self_attn.o_proj(o)
                x = x + layer.mlp(layer.post_attention_layernorm(x))
            logits.append(self.lm_head(self.norm(x[:, -1])).float())
        bias = torch.zeros(G, 1, 1, P, device=self.device, dtype=self.dtype)
        bias.masked_fill_(~(ar[None, :] >= (P - lens)[:, None])[:, None, None, :], float("-inf"))
        return kp, vp, bias, torch.cat(logits)

    # --- decode ----------------------------------------------------------------------------

    def _layer(self, li, x, cos, sin, bias_s, b: Batch, Teff: int):
        layer = self.layers[li]
        B, G, n, P = b.B, b.G, b.n, b.P
        nkv, grp, d = self.nkv, self.grp, self.hd
        h = layer.input_layernorm(x)
        q, k, v = self._qkv(layer, h, 1)  # [B, h, 1, d]
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        b.ks[li].index_copy_(2, b.t.view(1), k)
        b.vs[li].index_copy_(2, b.t.view(1), v)
        # prefix: the n rows of a prompt and the GQA group form the query dimension of one matmul
        qg = q.view(G, n, nkv, grp, d).permute(0, 2, 1, 3, 4).reshape(G, nkv, n * grp, d)
        sp = torch.matmul(qg, b.kp[li].transpose(-1, -2)) * self.scale + b.bias_p  # [G, kv, n*grp, P]
        sp = sp.view(G, nkv, n, grp, P).permute(0, 2, 1, 3, 4).reshape(B, nkv, grp, P)
        ks = b.ks[li][:, :, :Teff]
        vs = b.vs[li][:, :, :Teff]
        ss = torch.matmul(q.view(B, nkv, grp, d), ks.transpose(-1, -2)) * self.scale + bias_s  # [B, kv, grp, Teff]
        probs = torch.cat((sp, ss), dim=-1).float().softmax(dim=-1).to(self.dtype)
        pp, ps = probs.split((P, Teff), dim=-1)
        pp = pp.reshape(G, n, nkv, grp, P).permute(0, 2, 1, 3, 4).reshape(G, nkv, n * grp, P)
        op = torch.matmul(pp, b.vp[li]).view(G, nkv, n, grp, d).permute(0, 2, 1, 3, 4).reshape(B, nkv, grp, d)
        os_ = torch.matmul(ps, vs)  # [B, kv, grp, d]
        o = (op + os_).reshape(B, 1, self.nh * d)
        x = x + layer.self_attn.o_proj(o)
        return x + layer.mlp(layer.post_attention_layernorm(x))

    def _sample(self, logits: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
        if temperature <= 0:
            return logits.argmax(dim=-1)
        probs = (logits / temperature).softmax(dim=-1)
        if top_p < 1.0:
            sp, idx = probs.sort(dim=-1, descending=True)
            cum = sp.cumsum(dim=-1)
            sp = sp.masked_fill(cum - sp > top_p, 0.0)
            probs = torch.zeros_like(probs).scatter_(-1, idx, sp)
        q = torch.empty_like(probs).exponential_(1.0)
        return (probs / q).argmax(dim=-1)

    def _step(self, b: Batch, Teff: int, temperature: float, top_p: float):
        x = self.embed(b.tok)[:, None, :]
        cos, sin = self._rope(b.pos0 + b.t)
        cos, sin = cos[:, None, None, :], sin[:, None, None, :]
        ar = torch.arange(Teff, device=self.device)
        bias_s = torch.zeros(Teff, device=self.device, dtype=self.dtype).masked_fill(ar > b.t, float("-inf"))
        for li in range(len(self.layers)):
            x = self._layer_fn(li, x, cos, sin, bias_s, b, Teff)
        logits = self.lm_head(self.norm(x[:, 0])).float()
        nxt = self._sample(logits, temperature, top_p)
        b.tok.copy_(nxt)
        b.out.index_copy_(1, (b.t + 1).view(1), nxt[:, None])
        b.t.add_(1)

    def _host_copy(self, out: torch.Tensor, lo: int, hi: int):
        src = out[:, lo:hi]
        if src.device.type != "cuda":
            return src.clone(), None
        dst = torch.empty(src.shape, dtype=src.dtype, pin_memory=True)
        dst.copy_(src, non_blocking=True)
        ev = torch.cuda.Event()
        ev.record()
        return dst, ev

    def _warmup(self, b: Batch, t: int, Teff: int, temperature: float, top_p: float):
        """One eager step before the first capture (lazy cuBLAS/allocator init must not happen
        inside a capture), then rewind the step counter and the fed token: the captured step
        recomputes and overwrites everything the warm-up wrote."""
        saved = b.tok.clone()
        if self.device.type == "cuda":
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                self._step(b, Teff, temperature, top_p)
            torch.cuda.current_stream().wait_stream(s)
        else:
            self._step(b, Teff, temperature, top_p)
        b.tok.copy_(saved)
        b.t.fill_(t)

    def _capture(self, b: Batch, Teff: int, temperature: float, top_p: float):
        if self.device.type != "cuda":  # CPU tests of the graph bookkeeping: "replay" reruns the step
            return _Rerun(lambda: self._step(b, Teff, temperature, top_p))
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g, pool=self.graph_pool):
            self._step(b, Teff, temperature, top_p)
        if self.graph_pool is None:
            self.graph_pool = g.pool()
        return g

    @torch.no_grad()
    def run_batch(self, prompt_ids: list[list[int]], n: int, max_new_tokens: int, temperature: float,
                  top_p: float, stop_check):
        """Sample n continuations of each prompt (rows r = prompt·n + sample).

        `stop_check(active_rows, host_tokens) -> rows that have stopped` runs on the host every
        `check_every` steps. Returns the generated tokens [G·n, steps] on the CPU and steps run."""
        dev = self.device
        G = len(prompt_ids)
        lens = torch.tensor([len(p) for p in prompt_ids], device=dev)
        P = int(lens.max())
        pad = 0
        ids = torch.full((G, P), pad, dtype=torch.long, device=dev)
        for i, p in enumerate(prompt_ids):
            ids[i, P - len(p):] = torch.tensor(p, dtype=torch.long, device=dev)
        kp, vp, bias_p, logits = self.prefill(ids, lens)
        B = G * n
        T = max(1, max_new_tokens - 1)
        ks = [torch.zeros(B, self.nkv, T, self.hd, device=dev, dtype=self.dtype) for _ in self.layers]
        vs = [torch.zeros_like(x) for x in ks]
        first = self._sample(logits.repeat_interleave(n, dim=0), temperature, top_p)
        out = torch.zeros(B, T + 1, dtype=torch.long, device=dev)
        out[:, 0] = first
        b = Batch(G, n, P, T, kp, vp, ks, vs, bias_p, lens.repeat_interleave(n), first.clone(),
                  torch.zeros((), dtype=torch.long, device=dev), out)
        done = torch.zeros(B, dtype=torch.bool)
        host = torch.empty(B, 0, dtype=torch.long)
        graphs: dict[int, object] = {}
        bucket = self.kv_bucket or max(64, -(-T // 8 // 64) * 64)
        use_graphs = self.use_graphs
        steps = 1
        # The host looks at chunk k while the device already runs chunk k+1: tokens are copied
        # asynchronously into pinned memory, so the GPU does not idle during the stop check.
        pending = self._host_copy(b.out, 0, 1)
        copied = 1
        while True:
            run = min(self.check_every, max_new_tokens - steps)
            for _ in range(max(0, run)):
                t = steps - 1  # suffix slot this step writes
                Teff = min(T, (t // bucket + 1) * bucket)
                if use_graphs:
                    try:
                        if Teff not in graphs:
                            if not graphs:
                                self._warmup(b, t, Teff, temperature, top_p)
                            graphs[Teff] = self._capture(b, Teff, temperature, top_p)
                        graphs[Teff].replay()
                    except RuntimeError as exc:  # capture refused (OOM included): continue eagerly
                        self.graph_failures.append(str(exc).splitlines()[0][:200])
                        use_graphs = False
                        if dev.type == "cuda":
                            torch.cuda.synchronize()
                        b.t.fill_(t)
                        b.tok.copy_(b.out[:, t])
                        self._step(b, Teff, temperature, top_p)
                else:
                    self._step(b, Teff, temperature, top_p)
                steps += 1
            new, event = pending
            if event is not None:
                event.synchronize()
            host = torch.cat((host, new), dim=1)
            active = torch.nonzero(~done).flatten().tolist()
            for r in stop_check(active, host):
                done[r] = True
            if bool(done.all()) or copied == steps:
                break
            pending = self._host_copy(b.out, copied, steps)
            copied = steps
        del graphs
        return host, steps
