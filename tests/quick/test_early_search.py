"""Asking while it ingests (issue 20, item 4): a document's words are stored before its chunks are embedded, so it is
searchable by keywords at once, shown as "searchable (keywords)" → "embedding n %" → "ready", and its passages
say they are still being embedded until it is done. The fake embedder; a real Chroma and keyword index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.answer import AskOptions
from app.engine.service import AnswerService
from core.kb import KnowledgeBase, open_kb
from core.kb.ahead import embedding_state
from core.settings import Settings
from ingest.pipeline import ingest_paths
from tests.quick.conftest import FakeLLM

LINES = [f"第{i}节：设备 ZK-{i:03d} 的检查周期为 {i + 3} 天，润滑油型号为 L-{i * 7}。" for i in range(40)]


def watch_embedding(
    kb: KnowledgeBase, service: AnswerService, question: str, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """Each time the ingestion embeds a batch: the documents' states and what the question finds, before it."""
    seen: list[dict[str, Any]] = []
    embed, inside = kb.embedder.embed_documents, [False]

    def watching(texts: list[str]) -> np.ndarray:
        if not inside[0]:  # not the embedding of a pending keyword hit, asked for by the search below
            inside[0] = True
            try:
                found = service.search(question, options=AskOptions(use_cache=False))
                seen.append({"states": [r["state"] for r in kb.listing()], "sources": found.sources})
            finally:
                inside[0] = False
        return embed(texts)

    monkeypatch.setattr(kb.embedder, "embed_documents", watching)  # the embedder is shared by the process
    return seen


def test_a_document_is_found_by_keywords_before_it_is_embedded(
    settings: Settings, tmp_path: Path, fake_models: FakeLLM, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "cards.txt").write_text("\n".join(LINES), encoding="utf-8")
    settings.ingest.near_duplicate_threshold = 0  # every chunk stored: the progress counts them all
    kb = open_kb(settings)
    service = AnswerService(settings, kb, fake_models)
    seen = watch_embedding(kb, service, "设备 ZK-031 的检查周期是多少天？", monkeypatch)
    report = ingest_paths(kb, [str(tmp_path / "cards.txt")], settings.ingest, 1)
    assert report.ok and report.results[0].chunks > 2

    first = seen[0]  # before the first batch is embedded: the keyword half only
    assert first["states"] == ["searchable (keywords)"]
    assert any("ZK-031" in s.text for s in first["sources"]) and all(s.embedding for s in first["sources"])
    assert all(-1.0 <= s.score <= 1.0 and s.score > 0 for s in first["sources"])  # scored by cosine, embedded then
    states = [s["states"][0] for s in seen]
    assert any(s.startswith("embedding ") and s.endswith(" %") for s in states)  # the vector half growing
    assert states == sorted(states, key=lambda s: 0 if "keywords" in s else int(s.split()[1]))

    after = service.search("设备 ZK-031 的检查周期是多少天？", options=AskOptions(use_cache=False))
    assert any("ZK-031" in s.text for s in after.sources) and not any(s.embedding for s in after.sources)
    assert [r["state"] for r in kb.listing()] == ["ready"] and kb.check() == []
    assert "embedding" in after.sources[0].to_json() and after.sources[0].to_json()["embedding"] is False


def test_a_killed_writer_leaves_its_keyword_half_to_be_undone(settings: Settings, tmp_path: Path):
    """The keyword half is written after the document is marked `writing`: the next writer removes it with the
    document, as it removes a half-stored document's vectors."""
    (tmp_path / "cards.txt").write_text("\n".join(LINES), encoding="utf-8")
    kb = open_kb(settings)

    class Killed(Exception):
        pass

    def killed(texts: list[str]) -> np.ndarray:
        raise Killed

    embed = kb.embedder.embed_documents
    kb.embedder.embed_documents = killed  # type: ignore[method-assign]
    try:
        ingest_paths(kb, [str(tmp_path / "cards.txt")], settings.ingest, 4)
    except Killed:
        pass
    finally:
        kb.embedder.embed_documents = embed  # type: ignore[method-assign]  # one embedder per process
    assert [r["status"] for r in kb.listing()] == ["embedding"] and kb.lexical.pending_ids()
    assert any("writing" in p for p in kb.check())  # as after a kill: the next run finishes it

    fresh = open_kb(settings)
    report = ingest_paths(fresh, [str(tmp_path / "cards.txt")], settings.ingest, 4)
    assert report.ok and fresh.check() == [] and not fresh.lexical.pending_ids()
    assert [r["state"] for r in fresh.listing()] == ["ready"]


def test_states_read_as_the_page_shows_them():
    assert embedding_state(0.0) == "searchable (keywords)"
    assert embedding_state(0.374) == "embedding 37 %"
    assert embedding_state(1.0) == "ready"


def test_a_run_stopped_between_chroma_and_the_keyword_index_is_only_an_unfinished_document(
    settings: Settings, tmp_path: Path, fake_models: FakeLLM, monkeypatch: pytest.MonkeyPatch
):
    """Found by CI: a run killed after a batch reached Chroma, before its pending marks were cleared, made
    `ingest check` report the ready documents' counts as wrong too; only the unfinished document is."""
    (tmp_path / "first.txt").write_text("\n".join(LINES[:10]), encoding="utf-8")
    (tmp_path / "second.txt").write_text("\n".join(LINES[10:]), encoding="utf-8")
    settings.ingest.near_duplicate_threshold = 0
    kb = open_kb(settings)
    assert ingest_paths(kb, [str(tmp_path / "first.txt")], settings.ingest, 1).ok
    assert kb.check() == []
    embedded, batches = kb.lexical.embedded, [0]

    def stopping(ids: list[str]) -> None:
        batches[0] += 1
        if batches[0] == 3:  # the third batch is in Chroma; the process dies before the index hears of it
            raise KeyboardInterrupt
        embedded(ids)

    monkeypatch.setattr(kb.lexical, "embedded", stopping)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(kb, [str(tmp_path / "second.txt")], settings.ingest, 1)
    problems = kb.check()
    assert len(problems) == 1 and "is writing (run ingest again" in problems[0], problems
    monkeypatch.setattr(kb.lexical, "embedded", embedded)
    assert ingest_paths(kb, [str(tmp_path / "second.txt")], settings.ingest, 1).ok
    assert kb.check() == []
