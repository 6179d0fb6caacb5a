"""Reranking: the cross-encoder code path and the no-model coverage rerank."""

from dataclasses import replace
from pathlib import Path

import pytest

from app.engine.rerank import CrossEncoderReranker, WordCoverage, make_reranker
from core.documents import Source
from core.errors import ConfigError, ModelNotFoundError
from core.settings import RetrievalSettings

CANDIDATES = [
    Source("a.pdf", 1, "Section 1. Installation: mount the pump on a rigid base.", 0.80, chunk_id="a-0"),
    Source("a.pdf", 2, "Tighten the impeller nut to 60 N·m using a torque wrench.", 0.78, chunk_id="a-1"),
    Source("b.pdf", 1, "The maximum fluid temperature is 90 °C.", 0.79, chunk_id="b-0"),
]


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No cross-encoder ships offline and none can be downloaded here, so the code path is tested with a tiny
    randomly initialised BERT saved to disk: its scores are meaningless, but loading it, scoring every
    (question, passage) pair and ordering by those scores is exactly what a real reranker goes through."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"abcdefghijklmnopqrstuvwxyz0123456789.,:"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        num_labels=1, max_position_embeddings=128,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def test_cross_encoder_orders_candidates_by_its_own_scores(tiny_cross_encoder: Path):
    reranker = make_reranker(RetrievalSettings(rerank="cross-encoder", reranker_model=str(tiny_cross_encoder)))
    assert isinstance(reranker, CrossEncoderReranker)
    question = "How tight is the impeller nut?"
    ranked = reranker.rerank(question, CANDIDATES)
    scores = reranker.model.predict([(question, f"\n{c.text}") for c in CANDIDATES])
    expected = [CANDIDATES[i].chunk_id for i in sorted(range(3), key=lambda i: -float(scores[i]))]
    assert [c.chunk_id for c in ranked] == expected and sorted(expected) == ["a-0", "a-1", "b-0"]
    assert reranker.rerank(question, []) == []


def test_a_missing_or_unset_reranker_model_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="reranker_model is empty"):
        make_reranker(RetrievalSettings(rerank="cross-encoder"))
    with pytest.raises(ModelNotFoundError, match="cannot load reranker model"):
        make_reranker(RetrievalSettings(rerank="cross-encoder", reranker_model=str(tmp_path / "nothing")))


def test_coverage_rerank_reorders_near_ties_and_keeps_clear_wins():
    near_tie = [
        replace(CANDIDATES[0], fused_score=1 / 61, coverage=0.3),
        replace(CANDIDATES[1], fused_score=1 / 62, coverage=1.0),  # all the question's words
        replace(CANDIDATES[2], fused_score=1 / 63, coverage=0.0),
    ]
    assert [c.chunk_id for c in WordCoverage(0.005).rerank("q", near_tie)] == ["a-1", "a-0", "b-0"]
    clear = [replace(near_tie[0], fused_score=2 / 61), *near_tie[1:]]  # first in both lists
    assert WordCoverage(0.005).rerank("q", clear)[0].chunk_id == "a-0"
    assert WordCoverage(0.005).rerank("q", CANDIDATES) == CANDIDATES  # nothing to go by: order kept
