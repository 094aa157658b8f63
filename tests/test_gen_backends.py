"""Generation backends on real models and a real local HTTP server.

The fast decoder must produce exactly what `model.generate` produces under greedy decoding (same
tokens, prompts of different lengths in one left-padded batch, GQA heads), while sharing one
prompt prefix among its n samples.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gen_helpers import build_tiny_llama  # noqa: E402

from eval.errors import UserError  # noqa: E402
from rtlgen.backends import SamplingParams, cut_at_stop, get_backend  # noqa: E402
from rtlgen.prompts import build_prompt  # noqa: E402

QUIET = dict(log=lambda *a: None)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m")


@pytest.fixture(scope="module")
def fast(tiny):
    return get_backend("hf", model=str(tiny), impl="fast", batch_size=6, **QUIET)


def _prompts(k=5):
    return [build_prompt("Implement an AND gate named TopModule" + " with inputs a and b" * i) for i in range(k)]


def test_fast_matches_generate_greedy(fast):
    gen = get_backend("hf", impl="generate", loaded=fast.lm, batch_size=6, **QUIET)
    p = SamplingParams(n=1, temperature=0.0, max_new_tokens=24, stop=())
    a = fast.generate(_prompts(), p, progress=False)
    b = gen.generate(_prompts(), p, progress=False)
    assert [c[0].text for c in a] == [c[0].text for c in b]
    assert [c[0].tokens for c in a] == [c[0].tokens for c in b]
    assert fast.impl == "fast" and gen.impl == "generate"


def test_fast_sampling_n_and_seed(fast):
    p = SamplingParams(n=4, temperature=1.0, top_p=0.9, max_new_tokens=12, stop=(), seed=3)
    a = fast.generate(_prompts(3), p, progress=False)
    assert [len(x) for x in a] == [4, 4, 4]
    assert len({c.text for c in a[0]}) > 1  # samples of one prompt differ
    b = fast.generate(_prompts(3), p, progress=False)
    assert [[c.text for c in x] for x in a] == [[c.text for c in x] for x in b]  # same seed, same samples


def test_stop_string_cuts_and_counts(fast):
    p = SamplingParams(n=3, temperature=1.0, top_p=1.0, max_new_tokens=40, stop=("e",), seed=1)
    for cs in fast.generate(_prompts(2), p, progress=False):
        for c in cs:
            if c.finish == "stop":
                assert c.text.endswith("e") and c.text.count("e") == 1
                assert 1 <= c.tokens <= 40


def test_n_larger_than_batch_is_split(tiny, fast):
    small = get_backend("hf", impl="fast", loaded=fast.lm, batch_size=2, **QUIET)
    got = []
    res = small.generate(_prompts(2), SamplingParams(n=5, temperature=0.8, max_new_tokens=6, stop=()),
                         on_result=lambda i, cs: got.append((i, len(cs))), progress=False)
    assert [len(r) for r in res] == [5, 5] and sorted(got) == [(0, 5), (1, 5)]


def test_oom_halves_batch_and_finishes(fast):
    import torch

    class Flaky(type(fast)):
        def _run(self, batch, encoded, params, max_new):
            if sum(k for _, k in batch) > 2:
                raise torch.OutOfMemoryError("simulated: batch too large for the device")
            return super()._run(batch, encoded, params, max_new)

    be = Flaky(loaded=fast.lm, impl="fast", batch_size=8, **QUIET)
    res = be.generate(_prompts(3), SamplingParams(n=2, temperature=0.7, max_new_tokens=5, stop=()), progress=False)
    assert [len(r) for r in res] == [2, 2, 2] and be.batch_rows == 2


def test_prompt_longer_than_context(tiny):
    be = get_backend("hf", model=str(tiny), **QUIET)
    be.lm.model.config.max_position_embeddings = 16
    with pytest.raises(UserError, match="context"):
        be.generate([build_prompt("x " * 50)], SamplingParams(max_new_tokens=4), progress=False)


def test_cut_at_stop():
    assert cut_at_stop("a endmodule b endmodule", ("endmodule",)) == ("a endmodule", True)
    assert cut_at_stop("abc", ("x",)) == ("abc", False)


def test_unknown_backend():
    with pytest.raises(UserError):
        get_backend("nope")


# --- openai-compatible endpoint, served for real on localhost -------------------------------------

class _Handler(BaseHTTPRequestHandler):
    state = {"calls": 0, "fail_first": 2, "bodies": []}

    def log_message(self, *a):
        pass

    def do_POST(self):
        st = self.state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        st["calls"] += 1
        st["bodies"].append(body)
        if st["fail_first"] > 0:
            st["fail_first"] -= 1
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b"slow down")
            return
        if body.get("model") == "bad":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"error": "no such model"}')
            return
        n = 1 if body.get("model") == "ignores-n" else body.get("n", 1)
        if self.path.endswith("/chat/completions"):
            spec = body["messages"][-1]["content"]
            mk = lambda i: {"message": {"content": f"[BEGIN]\nmodule TopModule(); // {len(spec)} {i}\n"},
                            "finish_reason": "stop"}
        else:
            mk = lambda i: {"text": f"module TopModule(); // plain {i}\nendmodule", "finish_reason": "stop"}
        out = {"choices": [mk(i) for i in range(n)], "usage": {"completion_tokens": 7 * n}}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def server():
    _Handler.state = {"calls": 0, "fail_first": 2, "bodies": []}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1", _Handler.state
    srv.shutdown()
    srv.server_close()


def test_openai_chat_retries_and_n(server):
    url, state = server
    be = get_backend("openai", endpoint=url, model="m", concurrency=3, backoff_s=0.01, **QUIET)
    got = []
    res = be.generate(_prompts(4), SamplingParams(n=3, temperature=0.8, stop=("endmodule",)),
                      on_result=lambda i, cs: got.append(i), progress=False)
    assert sorted(got) == [0, 1, 2, 3] and all(len(r) == 3 for r in res)
    assert all(c.text.rstrip().endswith("endmodule") for r in res for c in r)  # stop string restored
    assert be.retries == 2 and state["calls"] == 6
    assert state["bodies"][-1]["top_p"] == 0.95 and state["bodies"][-1]["stop"] == ["endmodule"]
    assert sum(c.tokens for r in res for c in r) == 4 * 21


def test_openai_tops_up_when_server_ignores_n(server):
    url, state = server
    be = get_backend("openai", endpoint=url, model="ignores-n", backoff_s=0.01, chat=False, **QUIET)
    res = be.generate(_prompts(1), SamplingParams(n=3, temperature=0.8), progress=False)
    assert len(res[0]) == 3 and "plain" in res[0][0].text
    assert "prompt" in state["bodies"][-1]


def test_openai_client_error_is_user_error(server):
    url, _ = server
    be = get_backend("openai", endpoint=url, model="bad", backoff_s=0.01, **QUIET)
    with pytest.raises(UserError, match="404"):
        be.generate(_prompts(1), SamplingParams(), progress=False)


def test_openai_unreachable_gives_up(tmp_path):
    be = get_backend("openai", endpoint="http://127.0.0.1:9/v1", model="m", max_retries=1, backoff_s=0.01, **QUIET)
    with pytest.raises(UserError, match="failed after 2 tries"):
        be.generate(_prompts(1), SamplingParams(), progress=False)


@pytest.mark.parametrize("graphs", [False, True])
def test_fast_decoder_graph_bookkeeping(fast, graphs):
    """With graph bookkeeping (warm-up, rewind, one 'graph' per KV bucket, emulated on CPU) the
    greedy tokens equal plain eager decoding; buckets of 4 force several captures in 21 steps."""
    import torch

    from rtlgen.backends.fastdecode import FastDecoder

    ids = [fast.encode(p) for p in _prompts(3)]
    ref = FastDecoder(fast.model, use_cuda_graphs=False, kv_bucket=4, check_every=5)
    dec = FastDecoder(fast.model, use_cuda_graphs=graphs, kv_bucket=4, check_every=5)
    a, sa = ref.run_batch(ids, 2, 22, 0.0, 1.0, lambda act, h: [])
    b, sb = dec.run_batch(ids, 2, 22, 0.0, 1.0, lambda act, h: [])
    assert sa == sb == 22 and a.shape == (6, 22) and torch.equal(a, b)
    # early exit: a check that stops every row ends the batch at the first chunk boundary
    c, sc = dec.run_batch(ids, 2, 22, 0.0, 1.0, lambda act, h: act if h.shape[1] >= 6 else [])
    assert sc < 22 and torch.equal(c, a[:, :c.shape[1]])
