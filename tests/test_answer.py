"""The answer pipeline's grounding decisions, in process, on a real KB (e5, Chroma, FTS5)."""

from collections.abc import Iterator

import pytest

from app.engine.answer import AskOptions
from app.engine.service import AnswerService
from core.kb import open_kb
from core.lang import approx_tokens
from core.settings import Settings, load_settings
from ingest.pipeline import ingest_paths
from tests.conftest import FIXTURES, TEST_CONFIG


class ScriptedLLM:
    """Stands in for the LLM only where a real model's output cannot be chosen: these tests need one answer
    that the documents support and one they do not. Real models answer in test_app_cli and test_chat_page."""

    style = "chat"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.messages: list[dict[str, str]] = []
        self.temperature: float | None = None

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]:
        assert "[1]" in messages[-1]["content"]  # the numbered passages reach the prompt
        self.messages, self.temperature = messages, temperature
        yield from self.reply.split(" ")[:1] + [" " + w for w in self.reply.split(" ")[1:]]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = load_settings(TEST_CONFIG, data_dir=tmp_path_factory.mktemp("answer"))
    ingest_paths(open_kb(settings), [str(FIXTURES / "pump_manual.pdf")], settings.ingest, 32)
    return settings


def ask(settings: Settings, reply: str, question: str = "How tight is the impeller nut?"):
    service = AnswerService(settings, open_kb(settings), ScriptedLLM(reply))
    events = list(service.stream(question, options=AskOptions(use_cache=False)))
    return events, events[-1].data


def test_a_checked_model_answer_follows_the_quoted_lead_and_is_marked_supported(settings: Settings):
    events, answer = ask(settings, "Tighten the impeller nut to 60 N·m [1].")
    assert answer.grounded == "supported" and answer.flagged == []
    assert answer.supported == ["Tighten the impeller nut to 60 N·m [1]."]
    assert answer.answer.startswith("The documents say:") and answer.answer.endswith(answer.supported[0])
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["sources", "token"] and "draft" in kinds and kinds[-2:] == ["token", "done"]
    assert "60 N·m" in events[1].data  # the lead answer, shown before the model's first token
    assert answer.timings["first_token_ms"] > 0 and answer.timings["tokens_per_s"] > 0


def test_the_chosen_temperature_and_answer_language_reach_the_llm(settings: Settings):
    """The chat page's settings: an English question answered in Chinese, at the chosen temperature."""
    llm = ScriptedLLM("Tighten the impeller nut to 60 N·m [1].")
    service = AnswerService(settings, open_kb(settings), llm)
    options = AskOptions(use_cache=False, temperature=0.7, language="zh")
    list(service.stream("How tight is the impeller nut?", options=options))
    assert llm.temperature == 0.7
    assert "用中文回答" in llm.messages[0]["content"]
    list(service.stream("How tight is the impeller nut?", options=AskOptions(use_cache=False)))
    assert llm.temperature is None and "用中文回答" not in llm.messages[0]["content"]


def test_a_sentence_with_a_wrong_number_is_not_shown_and_the_rest_is(settings: Settings):
    _, answer = ask(settings, "Tighten the impeller nut to 60 N·m [1]. The clearance is 0.9 mm.")
    assert answer.grounded == "supported" and answer.flagged == ["The clearance is 0.9 mm."]
    assert "0.9" not in answer.answer and answer.checks[0]["reason"].startswith("0.9 not in")


def test_a_draft_with_nothing_checked_is_not_shown_and_the_lead_stands_alone(settings: Settings):
    events, answer = ask(settings, "Bananas contain 12 potassium units.")
    assert answer.grounded == "quoted" and answer.supported == []
    assert [e.kind for e in events].count("token") == 1 and "Bananas" not in answer.answer
    assert answer.lead and all(e.text in answer.answer for e in answer.lead)
    assert any("60 N·m" in e.text for e in answer.lead)
    assert answer.draft == "Bananas contain 12 potassium units." and answer.checks


def test_the_json_gains_evidence_and_grounded_and_keeps_the_old_fields(settings: Settings):
    _, answer = ask(settings, "Tighten the impeller nut to 60 N·m [1].")
    payload = answer.to_json()
    assert {"question", "answer", "sources", "timings"} <= set(payload)
    assert payload["grounded"] == "supported" and payload["evidence"][0]["citation"] >= 1
    assert payload["lead"] and payload["lead"][0]["citation"] >= 1
    assert {"source", "page", "text", "score"} <= set(payload["sources"][0])


def test_a_chinese_question_gets_chinese_templates(settings: Settings):
    service = AnswerService(settings, open_kb(settings), ScriptedLLM("unused"))
    answer = service.ask("叶轮螺母拧紧力矩是多少？", options=AskOptions(evidence_only=True))
    assert answer.grounded == "quoted" and answer.answer.startswith("文档原文")


def test_the_timing_line_names_each_part_an_answer_had():
    from app.web.page.labels import LABELS
    from app.web.page.render import timing_line

    generated = {"retrieve_ms": 41.0, "first_token_ms": 2240.0, "tokens_per_s": 18.25, "generate_ms": 5100.0}
    line = timing_line(generated, LABELS["en"])
    assert line == "retrieval 41 ms · first token 2240 ms · 18.2 tokens/s · generation 5100 ms"
    cached = {"retrieve_ms": 0.0, "generate_ms": 0.0, "cache_ms": 3.0}
    assert timing_line(cached, LABELS["zh"]) == "检索 0 ms · 缓存 3 ms"
