"""Prompt building (VerilogEval v2 format, k-shot) and answer extraction."""

import pytest

from eval.errors import UserError
from rtlgen.prompts import (build_prompt, build_repair_prompt, comment_description, extract_code, icl_examples,
                            render)

SPEC = "Implement a module named TopModule with an input a and an output y that copies a."


def test_spec_prompt_follows_upstream_format():
    p = build_prompt(SPEC)
    user = p.messages[1]["content"]
    assert p.messages[0]["role"] == "system" and "Verilog RTL designer" in p.messages[0]["content"]
    assert user.startswith("Question:\n" + SPEC)
    assert "[BEGIN]" in user and user.rstrip().endswith("Answer:")


@pytest.mark.parametrize("shots", [0, 1, 2, 3])
def test_shots_add_that_many_examples(shots):
    user = build_prompt(SPEC, shots=shots).messages[1]["content"]
    assert user.count("Question:") == shots + 1
    assert user.count("\n[DONE]\n") == shots
    for ex in icl_examples()[:shots]:
        assert ex.code.splitlines()[3].strip() in user


def test_shots_out_of_range():
    with pytest.raises(UserError):
        build_prompt(SPEC, shots=4)
    with pytest.raises(UserError):
        build_prompt("   ")


def test_code_complete_comments_description_and_ends_at_interface():
    header = "module TopModule (\n  input a,\n  output y\n);"
    p = build_prompt("Copy a to y.\nSecond line.", kind="code-complete", interface=header, shots=2)
    user = p.messages[1]["content"]
    assert "// Copy a to y.\n// Second line." in user
    assert user.rstrip().endswith(header)
    assert user.count("endmodule") == 2  # the two examples, none for the task itself
    assert p.plain.rstrip().endswith(header)  # a plain completion model continues the body


def test_comment_description_keeps_code():
    text = "Describe it.\n\nmodule top_module(input a);"
    assert comment_description(text, "top_module") == "// Describe it.\n//\n\nmodule top_module(input a);\n"


def test_rag_context_goes_before_question():
    user = build_prompt(SPEC, context="SNIPPET-XYZ").messages[1]["content"]
    assert user.index("SNIPPET-XYZ") < user.index("Question:")


def test_render_uses_chat_template_when_present(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from gen_helpers import build_tiny_llama
    from transformers import AutoTokenizer

    chat = AutoTokenizer.from_pretrained(build_tiny_llama(tmp_path / "c", chat=True))
    plain = AutoTokenizer.from_pretrained(build_tiny_llama(tmp_path / "p", chat=False))
    p = build_prompt(SPEC)
    text = render(p, chat)
    assert text.startswith("<|im_start|>system") and text.endswith("<|im_start|>assistant\n")
    assert render(p, plain) == p.plain and "<|im_start|>" not in p.plain
    # code completion is healed: the model writes the newline that ends the generation prompt
    cc = build_prompt("An AND gate.\n\nmodule TopModule(input a, input b, output y);", kind="code-complete")
    assert render(cc, chat).endswith("<|im_start|>assistant") and render(cc, plain) == cc.plain.removesuffix("\n")


def test_rendered_prompt_is_a_token_prefix_of_the_trained_conversation(tmp_path):
    """Train and infer agree token by token: what `render` feeds the model is a prefix of how round 2
    tokenizes the whole conversation, for both task kinds. Without healing, a code-complete answer
    (an indented body) merges with the prompt's last newline and the prompt is not a prefix."""
    from transformers import AutoTokenizer

    from finetune.round2 import inference_format
    from finetune.tiny import build_tiny_model
    from rtlgen.prompts import Prompt

    body = "  assign y = a & b;\n  always @(posedge clk) begin\n    q <= d;\n  end\nendmodule\n"
    tok = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "t", ["module m(input a, output y);\n" + body] * 40,
                                                         vocab_size=300, hidden=16, layers=1, heads=2))
    ids = lambda text: tok(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    cases = [("code-complete", "An AND gate.\n\nmodule TopModule(input a, input b, output y);", body),
             ("spec-to-rtl", SPEC, "module TopModule(input a, input b, output y);\n" + body)]
    for kind, prompt, completion in cases:
        msgs, answer = inference_format(prompt, completion, kind)
        full = tok.apply_chat_template(msgs + [{"role": "assistant", "content": answer}], tokenize=False)
        healed = render(Prompt(msgs, kind, "TopModule"), tok)
        assert full.startswith(healed)
        assert ids(full)[:len(ids(healed))] == ids(healed), f"{kind}: prompt tokens are not a prefix"
        if kind == "code-complete":
            unhealed = healed + "\n"
            assert ids(full)[:len(ids(unhealed))] != ids(unhealed), "this tokenizer should merge newline+indent"


def test_repair_prompt_has_failed_answer_and_errors():
    base = build_prompt(SPEC)
    rp = build_repair_prompt(base, "module TopModule(input a, output y); assign y = b; endmodule",
                             "error: Unable to bind wire/reg/memory `b'")
    roles = [m["role"] for m in rp.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert "Unable to bind" in rp.messages[-1]["content"]
    assert "[BEGIN]\nmodule TopModule" in rp.plain


@pytest.mark.parametrize("text,expect", [
    ("Sure!\n[BEGIN]\nmodule TopModule(input a, output y);\n  assign y = a;\nendmodule\n[DONE]\nBye", "assign y = a;"),
    ("Here:\n```verilog\nmodule TopModule(input a, output y);\nassign y = a;\nendmodule\n```\nexplained", "assign y = a;"),
    ("module foo(input a, output y);\n assign y = a;\nendmodule", "module TopModule"),
    ("module TopModule(input a, output y);\n assign y = a;", "endmodule"),  # truncated answer
])
def test_extract_code(text, expect):
    out = extract_code(text, "TopModule")
    assert out is not None and expect in out and "[DONE]" not in out and "```" not in out


def test_extract_none_and_body_only():
    assert extract_code("I cannot help with that.", "TopModule") is None
    body = "  assign y = a;\nendmodule\n"
    out = extract_code(body, "TopModule", interface="module TopModule(input a, output y);")
    assert out.startswith("module TopModule(input a, output y);") and "assign y = a;" in out
