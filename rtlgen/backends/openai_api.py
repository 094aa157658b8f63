"""Any OpenAI-compatible endpoint (vLLM, TGI, llama.cpp server, hosted APIs) via `--endpoint URL`.

Requests run concurrently in a thread pool; transient failures (connection errors, 408/409/429,
5xx) are retried with exponential backoff and jitter, honouring `Retry-After`; other 4xx answers
are the user's problem and end the run with the server's message. Servers that ignore `n` (several
llama.cpp builds) are detected from the answer and topped up with single-sample requests.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from eval.errors import UserError
from rtlgen.backends.base import Backend, Completion, GenStats, SamplingParams, cut_at_stop

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, endpoint: str | None = None, model: str | None = None, *, api_key: str | None = None,
                 concurrency: int = 8, max_retries: int = 5, backoff_s: float = 0.5, timeout_s: float = 300.0,
                 chat: bool = True, log=print, **_ignored):
        import httpx

        endpoint = endpoint or os.environ.get("OPENAI_BASE_URL")
        if not endpoint:
            raise UserError("the openai backend needs --endpoint URL (e.g. http://localhost:8000/v1)")
        self.base = endpoint.rstrip("/")
        if not self.base.startswith(("http://", "https://")):
            raise UserError(f"--endpoint {endpoint}: expected an http(s) URL")
        key = api_key or os.environ.get("OPENAI_API_KEY") or "none"
        self.client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {key}"},
                                   limits=httpx.Limits(max_connections=max(1, concurrency)))
        self.model = model
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.chat = chat
        self.log = log
        self.stats = GenStats()
        self._lock = threading.Lock()
        self.retries = 0

    def describe(self) -> dict:
        return {"backend": "openai", "endpoint": self.base, "model": self.model, "chat": self.chat,
                "concurrency": self.concurrency, "retries": self.retries}

    def close(self) -> None:
        self.client.close()

    # --- HTTP --------------------------------------------------------------------------------

    def _post(self, path: str, body: dict) -> dict:
        import httpx

        url = f"{self.base}{path}"
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                r = self.client.post(url, json=body)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                wait = None
            else:
                if r.status_code == 200:
                    try:
                        return r.json()
                    except ValueError:
                        last = "answer is not JSON"
                        wait = None
                elif r.status_code in RETRY_STATUS:
                    last = f"HTTP {r.status_code}: {r.text[:200]}"
                    ra = r.headers.get("retry-after")
                    wait = float(ra) if ra and ra.replace(".", "", 1).isdigit() else None
                else:
                    raise UserError(f"{url} answered HTTP {r.status_code}: {r.text[:300]}")
            if attempt == self.max_retries:
                break
            with self._lock:
                self.retries += 1
            delay = wait if wait is not None else self.backoff_s * (2 ** attempt)
            time.sleep(min(60.0, delay) * (0.75 + 0.5 * random.random()))
        raise UserError(f"{url} failed after {self.max_retries + 1} tries: {last}")

    def _resolve_model(self) -> str:
        if self.model:
            return self.model
        import httpx

        try:
            r = self.client.get(f"{self.base}/models")
            data = r.json().get("data") or []
            if data:
                self.model = data[0]["id"]
                return self.model
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        raise UserError("give --model NAME for the endpoint (its /models list is empty or unreadable)")

    def _one(self, prompt, params: SamplingParams, n: int, seed: int) -> list[Completion]:
        body = {"model": self._resolve_model(), "n": n, "max_tokens": params.max_new_tokens,
                "temperature": 0.0 if params.greedy else params.temperature, "seed": seed}
        if not params.greedy:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop"] = list(params.stop)[:4]
        if self.chat:
            body["messages"] = prompt.messages
            data = self._post("/chat/completions", body)
        else:
            from rtlgen.prompts import render

            body["prompt"] = render(prompt)  # plain text, code completion token-healed, answer prefix appended
            data = self._post("/completions", body)
        choices = data.get("choices")
        if not isinstance(choices, list):
            raise UserError(f"{self.base}: answer without 'choices': {str(data)[:200]}")
        usage = data.get("usage") or {}
        out = []
        for c in choices:
            text = (c.get("message") or {}).get("content") if self.chat else c.get("text")
            text = text or ""
            if not self.chat:  # a completion continues the answer prefix; chat APIs cannot be prefilled
                text = getattr(prompt, "prefix", "") + text
            reason = c.get("finish_reason") or "stop"
            # OpenAI servers drop the stop string itself; put `endmodule` back so the module is whole
            if reason == "stop" and params.stop and not cut_at_stop(text, params.stop)[1] \
                    and text.count("module") > text.count("endmodule") * 2:
                text = text.rstrip() + "\n" + params.stop[0]
            out.append(Completion(text, 0, "length" if reason == "length" else "stop"))
        total = int(usage.get("completion_tokens") or 0)
        for c in out:  # the usage is per request: share it out by text length
            c.tokens = round(total * len(c.text) / max(1, sum(len(x.text) for x in out))) if total else \
                max(1, len(c.text) // 4)
        return out

    def _prompt_samples(self, prompt, params: SamplingParams, idx: int) -> list[Completion]:
        n = 1 if params.greedy else params.n
        got = self._one(prompt, params, n, params.seed + idx * 1000)
        k = 0
        while len(got) < n:  # server ignored n
            k += 1
            got += self._one(prompt, params, 1, params.seed + idx * 1000 + k)
        if params.greedy and params.n > 1:
            got = got * params.n
        return got[:params.n]

    def generate(self, prompts: list, params: SamplingParams, on_result=None, progress: bool = True):
        from rtlgen.backends.hf import _progress

        start = time.time()
        results: list = [None] * len(prompts)
        with _progress(progress) as prog, ThreadPoolExecutor(self.concurrency) as pool:
            bar = prog.add_task("sampling (openai)", total=len(prompts) * params.n, rate="")
            futs = {pool.submit(self._prompt_samples, p, params, i): i for i, p in enumerate(prompts)}
            try:
                for fut in as_completed(futs):
                    i = futs[fut]
                    cs = fut.result()
                    results[i] = cs
                    self.stats.prompts += 1
                    self.stats.samples += len(cs)
                    self.stats.tokens += sum(c.tokens for c in cs)
                    if on_result is not None:
                        on_result(i, cs)
                    prog.advance(bar, len(cs))
            except BaseException:
                for f in futs:
                    f.cancel()
                raise
        self.stats.seconds += time.time() - start
        return results
