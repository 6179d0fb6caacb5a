"""What documents are about (core/kb/subjects.py): the prior that puts the named machine's chunk first.

A real keyword index (SQLite FTS5 in a temporary file); no model, so it is quick."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.retrieval import about
from core.kb.lexical import LexicalIndex
from core.kb.subjects import Shape, scores
from core.tokens import index_text, query_words

# Two manuals of one template: the lubrication chunk names neither machine; the title chunk and file name do.
MANUALS = {
    "zk200": ["ZK-200 spindle manual. The ZK-200 is a vertical machining centre.", "Lubricate every 500 hours."],
    "zk300": ["ZK-300 spindle manual. The ZK-300 is a horizontal machining centre.", "Lubricate every 800 hours."],
    "rules": ["Workshop rules: wear goggles.", "Report every alarm to the shift lead."],
}


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    lexical = LexicalIndex(tmp_path / "words.sqlite3")
    rows = [(f"{d}-{i}", d, index_text(t)) for d, texts in MANUALS.items() for i, t in enumerate(texts)]
    lexical.add(rows)
    return lexical


def test_the_named_machine_is_what_its_document_is_about(index: LexicalIndex) -> None:
    shape = Shape.read(index, {})
    found = scores(index, shape, query_words("How often is the ZK-200 spindle lubricated?"), 100)
    assert found["zk200"] > found.get("zk300", 0.0)
    assert "rules" not in found  # holds none of the question's words


def test_the_file_name_counts_as_a_word_on_every_page(index: LexicalIndex) -> None:
    """Renamed so that neither text names the other machine: the file name alone tells them apart."""
    shape = Shape.read(index, {"zk300": ["manuals/QX3-0005 lubrication.txt"]})
    found = scores(index, shape, query_words("What does the QX3-0005 card say about lubrication?"), 100)
    assert max(found, key=found.get) == "zk300"  # type: ignore[arg-type]


def test_the_bonus_reorders_two_chunks_alike_but_for_their_document(index: LexicalIndex) -> None:
    found = scores(index, Shape.read(index, {}), query_words("ZK-200 lubricate hours"), 100)
    fused = {"zk300-1": 0.81, "zk200-1": 0.80}  # the other machine's chunk a hair ahead by its own words
    ranked = sorted(about(fused, found, 0.1).items(), key=lambda kv: -kv[1])
    assert ranked[0][0] == "zk200-1"
    assert about(fused, found, 0.0) == fused  # weight 0: chunks on their own


def test_nothing_to_tell_apart(tmp_path: Path) -> None:
    lexical = LexicalIndex(tmp_path / "one.sqlite3")
    lexical.add([("a-0", "a", index_text("ZK-200 spindle manual"))])
    assert scores(lexical, Shape.read(lexical, {}), query_words("ZK-200 spindle"), 100) == {}  # one document
    assert scores(lexical, Shape.read(lexical, {}), [], 100) == {}


def test_a_word_too_many_chunks_hold_is_left_out(index: LexicalIndex) -> None:
    """ "lubricate" is in two chunks: with a bound of one it is not counted, so only the machine's code scores."""
    shape = Shape.read(index, {})
    bounded = scores(index, shape, ["lubricate", "200"], 1)
    assert index.documents_holding(["lubricate"], 1) == {"lubricate": None}
    assert bounded and bounded == scores(index, shape, ["200"], 1)
