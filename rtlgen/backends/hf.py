"""The in-process transformers backend.

Two implementations behind one interface:
* `fast` (default where the architecture allows): `fastdecode.FastDecoder` — prefix sharing of the
  n samples, static KV cache, CUDA graphs on GPU, early exit.
* `generate`: `model.generate` with left padding, `num_return_sequences=n`, stop strings and, on
  CUDA, `cache_implementation="static"`; used for architectures the fast path does not know.

Both sort prompts by token length (similar lengths share a batch, so little padding), take the
batch size in *rows* (prompts × samples), halve it and retry the batch on CUDA out-of-memory, and
report every prompt's n completions through `on_result` as soon as they are done.
"""

from __future__ import annotations

import os

import time
from collections import deque

from eval.errors import UserError
from rtlgen.backends.base import Backend, Completion, GenStats, SamplingParams, cut_at_stop
from rtlgen.prompts import render


def _progress(enabled: bool):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    disable=not enabled, transient=False)


class HFBackend(Backend):
    name = "hf"

    def __init__(self, model: str | None = None, adapters: list[str] | tuple = (), *, device: str | None = None,
                 dtype: str | None = None, batch_size: int | None = None, impl: str = "auto",
                 cuda_graphs: bool | None = None, compile: bool = False, static_cache: bool = True,
                 check_every: int = 16, nucleus_cap: int = 0, sampler: str = "auto", fuse: bool = False,
                 loaded=None, log=print, **_ignored):
        from rtlgen.runtime import load_model

        self.lm = loaded if loaded is not None else load_model(model, list(adapters), device=device, dtype=dtype,
                                                               log=log)
        self.tok = self.lm.tokenizer
        self.model = self.lm.model
        self.log = log
        self.static_cache = static_cache
        self.cuda = self.lm.device.startswith("cuda")
        self._auto_rows = batch_size is None
        self.batch_rows = batch_size or (1024 if self.cuda else 8)
        from rtlgen.backends import fastdecode

        reason = fastdecode.supports(self.model)
        if impl not in ("auto", "fast", "generate"):
            raise UserError(f"hf backend impl {impl!r}: use auto, fast or generate")
        if impl == "fast" and reason:
            raise UserError(f"the fast decode path cannot run this model: {reason}")
        self.impl = "fast" if impl in ("auto", "fast") and not reason else "generate"
        if cuda_graphs is None and os.environ.get("RTLGEN_CUDA_GRAPHS") == "0":
            cuda_graphs = False  # escape hatch while graph capture with on-device sampling is unreliable
        self.fast = (fastdecode.FastDecoder(self.model, use_cuda_graphs=cuda_graphs, check_every=check_every,
                                            compile=compile, nucleus_cap=nucleus_cap, sampler=sampler, fuse=fuse)
                     if self.impl == "fast" else None)
        if self.fast is not None and self.cuda and self._auto_rows:
            self.batch_rows = 4096  # prefix sharing keeps a row small; capped by free memory per batch
        self.stats = GenStats()
        eos = self.tok.eos_token_id
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids = set([eos] if isinstance(eos, int) else (eos or []))
        ids |= set([gen_eos] if isinstance(gen_eos, int) else (gen_eos or []))
        self.eos_ids = {i for i in ids if i is not None}

    # --- info ------------------------------------------------------------------------------

    def describe(self) -> dict:
        d = {"backend": "hf", "impl": self.impl, "model": self.lm.name, "model_path": self.lm.path,
             "adapters": self.lm.adapters, "device": self.lm.device, "dtype": self.lm.dtype,
             "batch_rows": self.batch_rows, "chat_template": self.lm.has_chat_template}
        if self.fast is not None:
            d["cuda_graphs"] = self.fast.use_graphs
            d["graphs_captured"] = self.fast.graphs_captured
            d["fused_prefix_attention"] = self.fast.fused_status
            d["sampler"] = self.fast.describe_sampler()
            d["fuse"] = self.fast.fuse_status
            d["nucleus_cap"] = self.fast.nucleus_cap or None
            if self.fast.nucleus_cap:
                d["nucleus_truncated_rows"] = int(self.fast.truncated_rows.item())
            if self.fast.graph_failures:
                d["cuda_graph_failures"] = self.fast.graph_failures[:3]
        return d

    def context_length(self) -> int:
        return self.lm.context_length

    def encode(self, prompt) -> list[int]:
        text = render(prompt, self.tok)
        chat = bool(getattr(self.tok, "chat_template", None))
        return self.tok(text, add_special_tokens=not chat)["input_ids"]

    def prompt_tokens(self, prompt) -> int:
        return len(self.encode(prompt))

    # --- completion assembly ---------------------------------------------------------------

    def _finish(self, toks: list[int], stop: tuple[str, ...], lo_hint: int = 0, ends=None) -> Completion:
        """Cut a row at EOS / the first stop string; count the tokens up to that point."""
        ends = self.eos_ids if ends is None else ends
        end = next((i for i, t in enumerate(toks) if t in ends), None)
        finish = "length"
        if end is not None:
            toks, finish = toks[:end], "eos"
        text = self.tok.decode(toks, skip_special_tokens=True)
        cut, found = cut_at_stop(text, stop)
        if not found:
            return Completion(text, len(toks), finish)
        # smallest j whose decoded prefix already holds the stop (binary search, windowed from lo)
        lo = max(0, lo_hint - 8)
        a, b = lo + 1, len(toks)
        while a < b:
            mid = (a + b) // 2
            if cut_at_stop(self.tok.decode(toks[lo:mid], skip_special_tokens=True), stop)[1]:
                b = mid
            else:
                a = mid + 1
        return Completion(cut, b, "stop")

    # --- generation ------------------------------------------------------------------------

    def generate(self, prompts: list, params: SamplingParams, on_result=None, progress: bool = True):
        import torch

        if params.n < 1:
            raise UserError("n must be at least 1")
        torch.manual_seed(params.seed)
        if self.fast is not None:
            self.fast.seed(params.seed)
        encoded = [self.encode(p) for p in prompts]
        prefixes = [getattr(p, "prefix", "") for p in prompts]
        ctx = self.context_length()
        results: list[list[Completion] | None] = [None] * len(prompts)
        skipped = []
        for i, ids in enumerate(encoded):
            if len(ids) + 1 > ctx:
                if params.too_long != "empty":
                    raise UserError(f"prompt {i} has {len(ids)} tokens, more than the model's context of {ctx}")
                skipped.append(i)
        for i in skipped:  # reported at once: an empty answer is scored "no module found"
            results[i] = [Completion("", 0, "too_long") for _ in range(params.n)]
            if on_result is not None:
                on_result(i, results[i])
        order = sorted((i for i in range(len(prompts)) if results[i] is None), key=lambda i: -len(encoded[i]))
        partial: dict[int, list[Completion]] = {}
        start = time.time()
        tokens0 = self.stats.tokens
        rows = max(1, self.batch_rows)
        # work items: (prompt index, samples); a prompt whose n exceeds the batch is split
        queue: deque = deque()

        def enqueue(idx_list, n_each):
            for i in idx_list:
                left = params.n if n_each is None else n_each
                while left > 0:
                    take = min(left, rows)
                    queue.append((i, take))
                    left -= take

        enqueue(order, None)
        with _progress(progress) as prog:
            bar = prog.add_task(f"sampling ({self.impl})", total=len(order) * params.n, rate="")
            while queue:
                # group consecutive items with the same sample count into one batch of ≤ rows
                first = queue.popleft()
                batch = [first]
                while queue and queue[0][1] == first[1] and (len(batch) + 1) * first[1] <= rows:
                    batch.append(queue.popleft())
                max_new = min(params.max_new_tokens, ctx - max(len(encoded[i]) for i, _ in batch))
                cap = self._rows_that_fit(max(1, max_new))
                if len(batch) * first[1] > cap and len(batch) > 1:  # too many prompts for free memory
                    keep = max(1, cap // first[1])
                    for item in reversed(batch[keep:]):
                        queue.appendleft(item)
                    batch = batch[:keep]
                try:
                    comps = self._run(batch, encoded, params, max(1, max_new))
                except torch.OutOfMemoryError:
                    if rows == 1 and first[1] == 1:
                        raise UserError("CUDA out of memory even at batch 1: use a smaller model or --dtype bf16") from None
                    if self.cuda:
                        torch.cuda.empty_cache()
                    rows = max(1, rows // 2)
                    self.log(f"CUDA out of memory: batch halved to {rows} rows")
                    for item in reversed(batch):  # split items that no longer fit
                        i, k = item
                        parts = []
                        while k > 0:
                            parts.append((i, min(k, rows)))
                            k -= min(k, rows)
                        for p in reversed(parts):
                            queue.appendleft(p)
                    continue
                for (i, _), cs in zip(batch, comps):
                    for c in cs:
                        c.text = prefixes[i] + c.text
                    partial.setdefault(i, []).extend(cs)
                    self.stats.tokens += sum(c.tokens for c in cs)
                    self.stats.samples += len(cs)
                    if len(partial[i]) >= params.n:
                        results[i] = partial.pop(i)[:params.n]
                        self.stats.prompts += 1
                        if on_result is not None:
                            on_result(i, results[i])
                    prog.advance(bar, len(cs))
                el = time.time() - start
                prog.update(bar, rate=f"{(self.stats.tokens - tokens0) / max(el, 1e-9):,.0f} tok/s")
        self.batch_rows = rows
        self.stats.seconds += time.time() - start
        return results

    def _rows_that_fit(self, max_new: int) -> int:
        """Rows whose suffix KV cache (the per-row memory of the fast path) takes at most half of
        the free CUDA memory; the OOM halving below stays the safety net."""
        if not (self.cuda and self.fast is not None):
            return 1 << 30
        import torch

        try:
            free, _total = torch.cuda.mem_get_info()
            free += torch.cuda.memory_reserved() - torch.cuda.memory_allocated()  # cached by torch: reusable
        except Exception:  # noqa: BLE001
            return 1 << 30
        f = self.fast
        per_row = len(f.layers) * 2 * f.nkv * f.hd * max_new * torch.finfo(f.dtype).bits // 8
        return max(1, int(0.5 * free) // max(1, per_row))

    def _run(self, batch, encoded, params: SamplingParams, max_new: int) -> list[list[Completion]]:
        if self.impl == "fast":
            return self._run_fast(batch, encoded, params, max_new)
        return self._run_generate(batch, encoded, params, max_new)

    def _run_fast(self, batch, encoded, params, max_new):
        n = batch[0][1]
        ids = [encoded[i] for i, _ in batch]
        stop = tuple(params.stop)
        state = {"checked": 0}
        detected: dict[int, int] = {}

        def stop_check(active, host):
            steps = host.shape[1]
            lo = max(0, state["checked"] - 8)
            win = host[active, lo:].tolist()
            texts = self.tok.batch_decode(win, skip_special_tokens=False) if stop else [""] * len(active)
            hits = []
            for r, w, text in zip(active, win, texts):
                if (self.eos_ids and not params.ignore_eos
                        and any(t in self.eos_ids for t in w[max(0, state["checked"] - lo):])) or \
                        (stop and cut_at_stop(text, stop)[1]):
                    hits.append(r)
                    detected[r] = lo
            state["checked"] = steps
            return hits

        temp = 0.0 if params.greedy else params.temperature
        host, _steps = self.fast.run_batch(ids, n, max_new, temp, params.top_p, stop_check)
        out = []
        for g in range(len(batch)):
            cs = []
            for s in range(n):
                r = g * n + s
                cs.append(self._finish(host[r].tolist(), stop, detected.get(r, 0),
                                       ends=set() if params.ignore_eos else None))
            out.append(cs)
        return out

    def _run_generate(self, batch, encoded, params, max_new):
        import torch

        n = batch[0][1]
        pad = self.tok.pad_token_id
        L = max(len(encoded[i]) for i, _ in batch)
        ids = torch.full((len(batch), L), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), L), dtype=torch.long)
        for j, (i, _) in enumerate(batch):
            e = encoded[i]
            ids[j, L - len(e):] = torch.tensor(e)
            mask[j, L - len(e):] = 1
        kw = dict(max_new_tokens=max_new, num_return_sequences=n, pad_token_id=pad,
                  do_sample=not params.greedy)
        if not params.greedy:
            kw.update(temperature=params.temperature, top_p=params.top_p)
        else:
            kw.update(temperature=None, top_p=None, top_k=None)
        if params.stop:
            kw.update(stop_strings=list(params.stop), tokenizer=self.tok)
        if params.ignore_eos:
            kw.update(min_new_tokens=max_new)
        if self.cuda and self.static_cache:
            kw["cache_implementation"] = "static"
        dev = self.lm.device
        out = self.model.generate(input_ids=ids.to(dev), attention_mask=mask.to(dev), **kw)
        new = out[:, L:].cpu().tolist()
        res = []
        for j in range(len(batch)):
            res.append([self._finish(new[j * n + s], tuple(params.stop),
                                     ends=set() if params.ignore_eos else self.eos_ids | {pad})
                        for s in range(n)])
        return res
