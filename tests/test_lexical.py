"""Keyword search (SQLite FTS5 over jieba words) on its own, and kept in step with Chroma by the knowledge base."""

import sqlite3
from pathlib import Path

from core.documents import Chunk
from core.embeddings import make_embedder
from core.kb import KnowledgeBase
from core.kb.lexical import LexicalIndex
from core.settings import EmbeddingSettings
from core.tokens import index_text, query_words, words


def test_chinese_is_cut_into_words_and_english_lower_cased():
    assert {"数控", "车床", "主轴", "扭矩"} <= set(words("数控车床主轴扭矩"))
    assert words("Torque M6x1.0") == ["torque", "m6x1", "0"]
    assert query_words("主轴的扭矩是多少？") == ["主轴", "扭矩"]  # function words are not searched
    assert query_words("的") == ["的"]  # but a question made only of them still searches something


def test_bm25_ranks_the_chunk_with_the_rare_word_first_and_deletes_by_document(tmp_path: Path):
    index = LexicalIndex(tmp_path / "k.sqlite3")
    index.add(
        [
            ("a-0", "a", index_text("主轴润滑每 2000 小时更换一次润滑油。")),
            ("a-1", "a", index_text("报警 AL-105 表示主轴过载。")),
            ("b-0", "b", index_text("冷却液浓度应保持在 5%～8%。主轴")),
        ]
    )
    hits = index.search(query_words("AL-105 报警是什么意思"), 5)
    assert hits[0].chunk_id == "a-1" and hits[0].score > 0
    assert [h.chunk_id for h in index.search(query_words("主轴"), 5, doc_ids=["b"])] == ["b-0"]
    assert index.search(query_words("主轴"), 5, doc_ids=[]) == []
    index.add([("a-1", "a", index_text("报警 AL-210 表示润滑压力不足。"))])  # same id: replaced, as Chroma's upsert
    assert index.count() == 3 and index.search(query_words("105"), 5) == []
    index.delete_document("a")
    assert index.chunk_ids() == {"b-0"}
    assert index.search(query_words("润滑"), 5) == []


def test_query_words_with_quotes_or_operators_are_not_fts_syntax(tmp_path: Path):
    index = LexicalIndex(tmp_path / "k.sqlite3")
    index.add([("a-0", "a", index_text("NOT AND OR NEAR quote test"))])
    assert index.search(query_words('"NOT" AND (OR) NEAR* quote'), 5)[0].chunk_id == "a-0"


def test_knowledge_base_keeps_the_keyword_index_in_step_and_indexes_older_kbs(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase(tmp_path, "kb", e5)
    sha = "cd" * 32
    cs = [Chunk("The impeller nut is tightened to 45 N·m.", "p.pdf", 1, 0, sha, "p", "Assembly")]
    with kb.writing():
        kb.manifest.begin_document(cs[0].doc_id, sha, 1, 1, e5.name)
        kb.add(cs, e5.embed_documents([c.embedding_text() for c in cs]))
        kb.manifest.finish_document(cs[0].doc_id, 1)
        kb.manifest.record_file("p.pdf", cs[0].doc_id, 1, 1, "ingested")
    assert [h.chunk_id for h in kb.keyword_search(query_words("assembly"), 5)] == [
        cs[0].id
    ]  # the heading is indexed too
    assert kb.check() == []
    # A KB built before the keyword index existed: the index file is missing and is rebuilt from Chroma.
    kb.lexical.close()
    kb.lexical.path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{kb.lexical.path}{suffix}").unlink(missing_ok=True)
    reopened = KnowledgeBase(tmp_path, "kb", e5)
    assert [h.chunk_id for h in reopened.keyword_search(query_words("impeller"), 5)] == [cs[0].id]
    with sqlite3.connect(reopened.lexical.path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone() == ("1",)
    with reopened.writing():
        reopened.delete_document(cs[0].doc_id)
    assert reopened.keyword_search(query_words("impeller"), 5) == [] and reopened.check() == []
