"""The knowledge base: Chroma and the manifest together, with the real e5 model and a real on-disk Chroma."""

from pathlib import Path

import numpy as np
import pytest

from core.documents import Chunk, doc_id_for
from core.embeddings import make_embedder
from core.errors import EmbeddingMismatchError, ZhikuError
from core.kb import KnowledgeBase, collection_name
from core.settings import EmbeddingSettings

SHA = "ab" * 32


def chunks(n: int, source: str = "a.pdf", sha: str = SHA) -> list[Chunk]:
    return [Chunk(f"text {i}", source, i + 1, i, sha, "a") for i in range(n)]


def write_doc(kb: KnowledgeBase, cs: list[Chunk], path: str) -> None:
    doc_id = cs[0].doc_id
    with kb.writing():
        kb.manifest.begin_document(doc_id, cs[0].doc_sha256, len(cs), 1, kb.embedder.name)
        kb.add(cs, kb.embedder.embed_documents([c.embedding_text() for c in cs]))
        kb.manifest.finish_document(doc_id, len(cs))
        kb.manifest.record_file(path, doc_id, 1, 1, "ingested")


def test_kb_refuses_a_different_embedding_model(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    write_doc(KnowledgeBase(tmp_path, "manuals", e5), chunks(1), "a.pdf")
    use = make_embedder(EmbeddingSettings(provider="use"))
    with pytest.raises(EmbeddingMismatchError, match="built with embedding model 'e5:"):
        KnowledgeBase(tmp_path, "manuals", use)
    assert KnowledgeBase(tmp_path, "other", use).count() == 0  # another KB may use another model


def test_recover_removes_a_half_written_document(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase(tmp_path, "default", e5)
    write_doc(kb, chunks(2, "keep.pdf", "cd" * 32), "keep.pdf")
    half = chunks(3)
    kb.manifest.begin_document(half[0].doc_id, SHA, 3, 1, e5.name)
    kb.add(half[:2], e5.embed_documents([c.text for c in half[:2]]))  # as if the process died mid-document
    assert kb.count() == 4 and kb.check()
    assert kb.recover() == 1
    assert kb.count() == 2 and kb.check() == []
    assert kb.chunk_ids() == {f"{doc_id_for('cd' * 32)}-0", f"{doc_id_for('cd' * 32)}-1"}


def test_forgetting_one_of_two_names_keeps_the_document_and_recites_it(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase(tmp_path, "default", e5)
    write_doc(kb, chunks(2, "first.pdf"), "first.pdf")
    kb.manifest.record_file("copy.pdf", doc_id_for(SHA), 1, 1, "ingested")
    kb.forget_file("first.pdf")
    assert kb.count() == 2
    assert {s.source for s in kb.query(e5.embed_query("text 1"), 2)} == {"copy.pdf"}
    kb.forget_file("copy.pdf")
    assert kb.count() == 0 and kb.manifest.documents() == [] and kb.check() == []


def test_reindex_switches_the_embedding_model_and_keeps_every_chunk(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    texts = ["阀门的工作压力为1.6兆帕。", "The motor is rated at 7.5 kW."]
    cs = [Chunk(t, "v.pdf", i + 1, i, "ef" * 32, "v") for i, t in enumerate(texts)]
    write_doc(KnowledgeBase(tmp_path, "default", e5), cs, "v.pdf")
    use = make_embedder(EmbeddingSettings(provider="use"))
    kb = KnowledgeBase(tmp_path, "default", use, check_model=False)
    with kb.writing():
        assert kb.reindex() == 2
    reopened = KnowledgeBase(tmp_path, "default", use)
    assert reopened.query(use.embed_query("motor power rating"), 1)[0].text == texts[1]
    assert reopened.check() == []
    with pytest.raises(EmbeddingMismatchError):
        KnowledgeBase(tmp_path, "default", e5)


def test_one_writer_at_a_time(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase(tmp_path, "default", e5)
    other = KnowledgeBase(tmp_path, "default", e5)
    with kb.writing(), pytest.raises(ZhikuError, match="another ingestion"), other.writing():
        pass


def test_query_returns_sources_best_first_with_page(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase(tmp_path, "default", e5)
    texts = ["阀门的工作压力为1.6兆帕。", "The motor is rated at 7.5 kW."]
    write_doc(kb, [Chunk(t, "v.pdf", i + 1, i, "ef" * 32, "v") for i, t in enumerate(texts)], "v.pdf")
    hits = kb.query(e5.embed_query("阀门压力是多少"), 2)
    assert hits[0].page == 1 and hits[0].text == texts[0]
    assert hits[0].score > hits[1].score
    assert np.isclose(
        hits[0].score, float(e5.embed_query("阀门压力是多少") @ e5.embed_documents(texts[:1])[0]), atol=1e-3
    )


def test_chinese_kb_names_map_to_valid_collection_names():
    assert collection_name("default") == "kb-default"
    name = collection_name("工艺卡")
    assert name.startswith("kb-") and name.isascii() and name != collection_name("设备手册")
