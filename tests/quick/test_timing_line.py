"""The timing line under an answer names only figures that mean something for what is shown (issue 21 review):
no first token or tokens/s under quoted text, one figure for a model draft held back whole, and a verified answer
says it was looked up, not "retrieval 0 ms"."""

from __future__ import annotations

from app.engine.answer import Answer, Grounded
from app.web.page.labels import LABELS
from app.web.page.render import finished_markdown, timing_line

EN = LABELS["en"]
DRAFTED = {"retrieve_ms": 41.0, "first_token_ms": 2240.0, "tokens_per_s": 16883.9, "generate_ms": 2241.0}


def test_a_draft_held_back_whole_is_one_figure_without_a_rate():
    line = timing_line(DRAFTED, EN, held_back=True)
    assert line == "retrieval 41 ms · model draft 2241 ms (not shown)"
    assert "tokens/s" not in timing_line(DRAFTED, LABELS["zh"], held_back=True)


def test_quoting_without_a_model_shows_no_generation_and_a_verified_answer_no_retrieval():
    assert timing_line({"retrieve_ms": 12.0, "generate_ms": 3.0}, EN) == "retrieval 12 ms"  # evidence only
    verified = {"retrieve_ms": 0.0, "generate_ms": 0.0, "verified_ms": 4.0}
    assert timing_line(verified, LABELS["zh"]) == "核实答案 4 ms"


def test_a_finished_answer_says_its_draft_was_held_back_unless_the_draft_is_shown():
    quoted = Answer("What is the maximum speed?", 'The documents say: "12,000 rpm." [1]', grounded=Grounded.QUOTED)
    quoted.draft, quoted.timings = "It is 13,000 rpm.", dict(DRAFTED)
    assert "model draft 2241 ms" in finished_markdown(quoted) and "tokens/s" not in finished_markdown(quoted)
    assert "16883.9 tokens/s" in finished_markdown(quoted, show_draft=True)  # the draft is on the page then
    quoted.draft = ""  # a draft of blanks: nothing shown either
    assert "model draft 2241 ms" in finished_markdown(quoted, show_draft=True)
    quoted.supported = ["It is 12,000 rpm."]
    assert "first token 2240 ms" in finished_markdown(quoted) and "model draft" not in finished_markdown(quoted)


def test_a_similar_verified_question_is_offered_as_a_link_with_its_words_escaped():
    """The page's script asks a "#zhiku-ask" link's text: the verified question as written, markup shown as text."""
    answer = Answer("主轴液压油多久换一次？", "…", grounded=Grounded.NOT_FOUND)
    assert 'href="#zhiku-ask"' not in finished_markdown(answer)
    answer.verified_similar = {"id": "v1", "question": "主轴润滑油<b>多久</b>换一次？", "similarity": 0.93}
    shown = finished_markdown(answer)
    assert LABELS["zh"]["verified_similar"] in shown
    assert '<a href="#zhiku-ask" class="zhiku-ask">主轴润滑油&lt;b&gt;多久&lt;/b&gt;换一次？</a>' in shown
    assert shown.index("zhiku-ask") < shown.index(LABELS["zh"]["searched"])  # beside the answer, before the footer
