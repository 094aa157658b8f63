"""Helpers for the generation tests: a tiny random Llama (GQA, so the grouped-attention paths run)
with a byte-level BPE tokenizer trained offline on a few Verilog snippets, saved as a normal HF
model directory. Built in seconds, no hub access."""

from __future__ import annotations

import contextlib
from pathlib import Path

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

SNIPPETS = [
    "module TopModule (input a, input b, output y);\n  assign y = a & b;\nendmodule\n",
    "module TopModule (input clk, input reset, output reg [3:0] q);\n  always @(posedge clk)\n"
    "    if (reset) q <= 0; else q <= q + 1;\nendmodule\n",
    "Question:\nImplement a hardware module named TopModule.\nAnswer:\n[BEGIN]\n[DONE]\n",
    "// comment lines describe the design\nlogic wire reg input output always assign begin end case\n",
]


def build_tiny_llama(out: Path, *, chat: bool = True, vocab: int = 320, kv_heads: int = 2, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tk = Tokenizer(models.BPE(unk_token=None))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tk.train_from_iterator(SNIPPETS * 20, trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>" if chat else "<|endoftext|>",
                                  bos_token="<|im_start|>" if chat else "<|endoftext|>",
                                  pad_token="<|endoftext|>")
    if chat:
        tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(out)
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=kv_heads, max_position_embeddings=2048,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=True, rope_theta=10000.0)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # larger logits so that greedy decoding is not a tie-break lottery
        model.lm_head.weight.mul_(4.0) if not cfg.tie_word_embeddings else model.model.embed_tokens.weight.mul_(4.0)
    model.save_pretrained(out)
    return out


@contextlib.contextmanager
def chat_server(answer, tokens_per_choice: int = 20):
    """A real local HTTP endpoint speaking OpenAI's /chat/completions: `answer(body)` gives the text of
    each requested choice (a list), or one text repeated for `n`. Yields the base URL."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            texts = answer(body)
            if isinstance(texts, str):
                texts = [texts] * body.get("n", 1)
            data = json.dumps({"choices": [{"message": {"content": t}, "finish_reason": "stop"} for t in texts],
                               "usage": {"completion_tokens": tokens_per_choice * len(texts)}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    finally:
        srv.shutdown()
        srv.server_close()
