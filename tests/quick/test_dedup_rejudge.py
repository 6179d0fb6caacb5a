"""A knowledge base built under the earlier near-duplicate rule (cosine alone) lost distinct facts to it; its next
ingestion judges those left-out chunks again by the same-text rule and stores the distinct ones (issue 19,
item 1). Real Chroma and manifest, the quick tier's fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.kb import open_kb
from core.settings import Settings
from ingest import dedup
from ingest.pipeline import discover, ingest_files

FACT = "Unique fact: the zeta-{n} calibration block weighs {g} grams and is stored in cabinet Q{n}."


def test_chunks_an_earlier_rule_left_out_are_judged_again_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    kb = open_kb(settings)
    files = {name: tmp_path / name for name in ("a.txt", "b.txt", "c.txt")}
    files["a.txt"].write_text(FACT.format(n=1, g=37), encoding="utf-8")
    files["b.txt"].write_text(FACT.format(n=2, g=74), encoding="utf-8")  # another fact
    files["c.txt"].write_text("  " + FACT.format(n=1, g=37).replace(":", " :"), encoding="utf-8")  # the same one

    def ingest(*names: str):
        return ingest_files(kb, discover([str(files[n]) for n in names], [".txt"]), settings.ingest, 32)

    ingest("a.txt")
    (stored,) = kb.chunk_ids()
    with monkeypatch.context() as old_rule:  # what the cosine-only rule did: both taken for a's twin
        old_rule.setattr(dedup, "twins", lambda kb, batch, vectors, threshold: [stored] * len(batch))
        ingest("b.txt", "c.txt")
    kb.manifest.set_meta("dropped_rule", "")  # as a knowledge base from before the rule was recorded
    assert kb.count() == 1

    report = ingest("a.txt")  # any run: a.txt itself is unchanged and skipped
    assert report.restored == 1 and [r.note for r in report.results] == ["unchanged"]
    assert kb.count() == 2 and kb.check() == []
    hit = kb.query(kb.embedder.embed_query("zeta-2 calibration block weight"), 1)[0]
    assert hit.source == str(files["b.txt"]) and "74 grams" in hit.text
    assert kb.also_in(kb.query(kb.embedder.embed_query(FACT.format(n=1, g=37)), 1)[0]) == (str(files["c.txt"]),)
    assert ingest("a.txt").restored == 0  # judged once
