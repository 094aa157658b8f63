"""vLLM in-process, when the `vllm` package is importable (optional extra; not on our GPU image).

GGUF files and aliases are converted by the runtime first (vLLM reads plain HF checkpoints best);
LoRA adapters are served through vLLM's own LoRA support.
"""

from __future__ import annotations

import time

from eval.errors import UserError
from rtlgen.backends.base import Backend, Completion, GenStats, SamplingParams, cut_at_stop


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, model: str | None = None, adapters: list[str] | tuple = (), *, dtype: str | None = None,
                 log=print, **_ignored):
        try:
            import vllm
        except ImportError:
            raise UserError("the vllm backend needs `pip install vllm`") from None
        from rtlgen.runtime import materialize, resolve_model

        src = resolve_model(model)
        self.path = materialize(src, log=log)
        self.name_ = src.display
        self.adapters = list(adapters)
        if len(self.adapters) > 1:
            raise UserError("the vllm backend serves one --adapter; merge them first")
        self.llm = vllm.LLM(self.path, dtype=dtype or "auto", enable_lora=bool(self.adapters))
        self.lora = vllm.lora.request.LoRARequest("a0", 1, self.adapters[0]) if self.adapters else None
        self.tok = self.llm.get_tokenizer()
        self.stats = GenStats()

    def describe(self) -> dict:
        return {"backend": "vllm", "model": self.name_, "model_path": self.path, "adapters": self.adapters}

    def generate(self, prompts: list, params: SamplingParams, on_result=None, progress: bool = True):
        import vllm

        from rtlgen.prompts import render

        sp = vllm.SamplingParams(n=params.n, temperature=0.0 if params.greedy else params.temperature,
                                 top_p=1.0 if params.greedy else params.top_p, max_tokens=params.max_new_tokens,
                                 stop=list(params.stop), include_stop_str_in_output=True, seed=params.seed)
        start = time.time()
        outs = self.llm.generate([render(p, self.tok) for p in prompts], sp, lora_request=self.lora,
                                 use_tqdm=progress)
        results = []
        for i, o in enumerate(outs):
            cs = [Completion(prompts[i].prefix + cut_at_stop(c.text, params.stop)[0], len(c.token_ids),
                             "length" if c.finish_reason == "length" else "stop") for c in o.outputs]
            results.append(cs)
            self.stats.prompts += 1
            self.stats.samples += len(cs)
            self.stats.tokens += sum(c.tokens for c in cs)
            if on_result is not None:
                on_result(i, cs)
        self.stats.seconds += time.time() - start
        return results
