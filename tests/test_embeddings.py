"""The three providers with their real packaged weights: shape, normalisation and a ranking that could fail."""

import numpy as np
import pytest

from core.embeddings import make_embedder
from core.settings import EmbeddingSettings

PASSAGES_ZH = ["减速机的换油周期为2000小时。", "车间进门必须穿劳保鞋。", "今天的午饭是面条。"]
PASSAGES_EN = ["Replace the gearbox oil every 2000 hours.", "Wear safety shoes in the workshop.", "Lunch is noodles."]


@pytest.mark.parametrize(("provider", "dim"), [("e5", 384), ("use", 512), ("sentence-transformers", 384)])
def test_provider_vectors_are_unit_length_and_rank_the_relevant_passage_first(provider: str, dim: int):
    emb = make_embedder(EmbeddingSettings(provider=provider))
    docs = emb.embed_documents(PASSAGES_EN)
    query = emb.embed_query("How often should the gearbox oil be changed?")
    assert docs.shape == (3, dim) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert int(np.argmax(docs @ query)) == 0
    assert emb.embed_documents([]).shape == (0, dim)


@pytest.mark.parametrize("provider", ["e5", "use"])
def test_multilingual_providers_handle_chinese_and_cross_language(provider: str):
    emb = make_embedder(EmbeddingSettings(provider=provider))
    zh_docs = emb.embed_documents(PASSAGES_ZH)
    assert int(np.argmax(zh_docs @ emb.embed_query("齿轮箱多久换一次油？"))) == 0
    en_docs = emb.embed_documents(PASSAGES_EN)
    assert int(np.argmax(en_docs @ emb.embed_query("进车间要穿什么鞋？"))) == 1


def test_e5_embeds_queries_and_passages_differently():
    """multilingual-e5 expects 'query: ' / 'passage: ' prefixes; using one for both costs accuracy."""
    emb = make_embedder(EmbeddingSettings(provider="e5"))
    text = "gearbox oil change interval"
    assert float(emb.embed_query(text) @ emb.embed_documents([text])[0]) < 0.999


def test_e5_split_across_threads_gives_the_engines_own_vectors_in_order():
    """Sub-batches on single-core threads (the default) must return exactly what one OpenMP call returns, row for
    row: a mix-up of the interleaved parts would attach vectors to the wrong chunks."""
    texts = [p * n for n in (1, 3, 2) for p in PASSAGES_ZH + PASSAGES_EN] + ["x"]
    split = make_embedder(EmbeddingSettings(provider="e5", threads=3)).embed_documents(texts)
    whole = make_embedder(EmbeddingSettings(provider="e5", threads=1)).embed_documents(texts)
    assert split.shape == (len(texts), 384)
    assert np.allclose(split, whole, atol=1e-6)
    assert not np.allclose(split[0], split[1])
