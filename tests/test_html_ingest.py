"""Web pages saved as .txt/.md/.html, ingested through the real pipeline (e5, Chroma, FTS5): no stored chunk
holds markup, the evidence for a question is the article's text, and a Chinese page's chunks are Chinese
(issue 20, item 1: 32 of 60 passages carried tags, and markup-heavy chunks were detected as English, so Chinese
out-of-scope questions passed the relevance floor through the cross-language bonus)."""

import shutil

import pytest

from app.engine.answer import AskOptions
from app.engine.service import AnswerService
from core.kb import open_kb
from core.lang import detect_language
from core.settings import Settings, load_settings
from ingest.loaders.markup import has_markup
from ingest.pipeline import ingest_paths
from tests.conftest import FIXTURES, TEST_CONFIG

CHINESE_PAGES = {"cnblogs-vector-db.txt", "csdn-gearbox-oil.html", "md-inline-hydraulic.md"}


class NoLLM:
    """Evidence-only answers never reach the LLM; any call is a failure of the test's premise."""

    style = "chat"

    def count_tokens(self, text: str) -> int:
        return len(text)

    def stream_chat(self, messages, temperature=None):  # type: ignore[no-untyped-def]
        raise AssertionError("the LLM must not be asked")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    docs = tmp_path_factory.mktemp("pages")
    for page in (FIXTURES / "html").iterdir():
        shutil.copy(page, docs / page.name)
    settings = load_settings(TEST_CONFIG, data_dir=tmp_path_factory.mktemp("html-kb"))
    ingest_paths(open_kb(settings), [str(docs)], settings.ingest, 32)
    return settings


def stored(settings: Settings) -> list[tuple[str, str]]:
    kb = open_kb(settings)
    return [
        (meta["source"], text)
        for batch in kb.vectors.walk(["documents", "metadatas"])
        for text, meta in zip(batch["documents"], batch["metadatas"], strict=True)
    ]


def test_no_stored_chunk_holds_markup_and_chinese_pages_stay_chinese(settings: Settings):
    chunks = stored(settings)
    assert {source.rsplit("/", 1)[-1] for source, _ in chunks} == {p.name for p in (FIXTURES / "html").iterdir()}
    assert [text for _, text in chunks if has_markup(text)] == []
    chinese = [text for source, text in chunks if source.rsplit("/", 1)[-1] in CHINESE_PAGES]
    assert chinese and [text for text in chinese if detect_language(text) != "zh"] == []


def test_the_evidence_is_the_articles_text(settings: Settings):
    service = AnswerService(settings, open_kb(settings), NoLLM())
    answer = service.ask("向量数据库的主要特点有哪些？", options=AskOptions(evidence_only=True))
    top = answer.sources[0]
    assert top.source.endswith("cnblogs-vector-db.txt")
    assert "高效的相似度检索" in top.text and not has_markup(top.text)
    assert top.heading.startswith("向量数据库入门：原理、特点与选型 > ")  # the post title, then its section
    for source in answer.sources:
        assert not has_markup(source.text) and "posted @" not in source.text and "阅读(" not in source.text


def test_a_chinese_question_the_pages_do_not_answer_is_refused(settings: Settings):
    service = AnswerService(settings, open_kb(settings), NoLLM())
    answer = service.ask("公司年会的抽奖规则是什么？", options=AskOptions(evidence_only=True))
    assert answer.grounded == "not_found"
