from pathlib import Path

import numpy as np
import pytest

from core.documents import Chunk
from core.embeddings import make_embedder
from core.errors import EmbeddingMismatchError
from core.settings import EmbeddingSettings
from core.store import KnowledgeBase, collection_name


def chunks(n: int, source: str = "a.pdf", sha: str = "ab" * 32) -> list[Chunk]:
    return [Chunk(f"text {i}", source, i + 1, i, sha, "a") for i in range(n)]


def test_kb_refuses_a_different_embedding_model(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase.open(tmp_path, "manuals", e5)
    kb.add(chunks(1), e5.embed_documents(["text 0"]), n_chunks=1)
    use = make_embedder(EmbeddingSettings(provider="use"))
    with pytest.raises(EmbeddingMismatchError, match="built with embedding model 'e5:"):
        KnowledgeBase.open(tmp_path, "manuals", use)
    assert KnowledgeBase.open(tmp_path, "other", use).count() == 0  # another KB may use another model


def test_document_is_complete_only_when_every_chunk_is_stored(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase.open(tmp_path, "default", e5)
    all_chunks = chunks(3)
    vectors = e5.embed_documents([c.text for c in all_chunks])
    kb.add(all_chunks[:2], vectors[:2], n_chunks=3)  # as if the process died mid-document
    assert not kb.is_complete("a.pdf", "ab" * 32)
    kb.add(all_chunks[2:], vectors[2:], n_chunks=3)
    assert kb.is_complete("a.pdf", "ab" * 32)
    assert not kb.is_complete("a.pdf", "cd" * 32)
    kb.delete_source("a.pdf")
    assert kb.count() == 0


def test_query_returns_sources_best_first_with_page(tmp_path: Path):
    e5 = make_embedder(EmbeddingSettings(provider="e5"))
    kb = KnowledgeBase.open(tmp_path, "default", e5)
    texts = ["阀门的工作压力为1.6兆帕。", "The motor is rated at 7.5 kW."]
    cs = [Chunk(t, "v.pdf", i + 1, i, "ef" * 32, "v") for i, t in enumerate(texts)]
    kb.add(cs, e5.embed_documents(texts), n_chunks=2)
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
