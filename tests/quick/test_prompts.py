"""The passages put into the prompt: a budget of tokens, best passages first, cut to fit."""

from app.engine.prompts import MIN_PASSAGE_TOKENS, format_context
from core.documents import Source
from core.lang import approx_tokens

ZH = "更换叶轮密封件前必须先关闭进口阀门并泄压，拧紧螺母的扭矩为六十牛米。" * 8
EN = "Close the inlet valve and release the pressure before replacing the impeller seal. " * 4


def passages(text: str) -> list[Source]:
    return [Source(f"manual-{i}.pdf", i, text, 0.9) for i in range(1, 6)]


def test_the_budget_is_in_tokens_so_chinese_gets_fewer_characters_than_english():
    zh, en = format_context(passages(ZH), 300, approx_tokens), format_context(passages(EN), 300, approx_tokens)
    for context in (zh, en):
        assert context.startswith("[1] (manual-1.pdf · p.1)\n")
        assert approx_tokens(context) <= 300 + 5 * 2  # + the joins between passages
    assert len(en) > 2 * len(zh)
    assert en.count("\n\n[") > zh.count("\n\n[")  # English fits more passages


def test_the_passage_crossing_the_budget_is_cut_and_a_tiny_tail_is_left_out():
    one = approx_tokens(f"[1] (manual-1.pdf · p.1)\n{EN}")
    cut = format_context(passages(EN), one + 60, approx_tokens)
    assert cut.count("\n\n[") == 1 and cut.split("\n\n")[1].startswith("[2] (manual-2.pdf · p.2)")
    assert len(cut.split("\n\n")[1]) < len(f"[2] (manual-2.pdf · p.2)\n{EN}")
    tight = format_context(passages(EN), one + MIN_PASSAGE_TOKENS - 1, approx_tokens)
    assert "[2]" not in tight and tight.endswith(EN)


def test_a_large_budget_keeps_every_passage_whole():
    context = format_context(passages(ZH), 100_000, approx_tokens)
    assert context.count(ZH) == 5


def test_a_base_model_that_starts_writing_an_excerpt_is_stopped():
    """Gemma 270M, given the completion prompt, often 'answers' by copying the excerpts, headers and all
    (measured in docs/benchmarks.md). A stop string ends that at the first header; it must match the header
    format_context writes, wherever a copied excerpt would start."""
    from app.engine.llm.llama_cpp import COMPLETION_STOPS

    context = format_context(passages(EN), 10_000, approx_tokens)
    headers = [line for line in context.splitlines() if line.startswith("[")]
    assert len(headers) == 5
    copied = "The seal is replaced after closing the valve [1].\n" + context
    cut = min(copied.find(stop) for stop in COMPLETION_STOPS if stop in copied)
    assert copied[:cut] == "The seal is replaced after closing the valve [1]."
