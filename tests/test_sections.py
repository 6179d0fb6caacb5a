"""One place per section in the results: the grouping rule, and through the real CLI on a real KB."""

from pathlib import Path

from app.engine.sections import by_section, joined
from core.documents import Source
from tests.conftest import json_lines, run_cli


def chunk(doc: str, index: int, fused: float, heading: str = "", page: int | None = 1, text: str = "") -> Source:
    return Source(
        f"{doc}.pdf", page, text or f"{doc} chunk {index}", 0.8, chunk_id=f"{doc}-{index}", doc_id=doc,
        heading=heading, fused_score=fused,
    )  # fmt: skip


def test_a_sections_chunks_take_one_place_shown_by_the_best():
    ranked = [
        chunk("a", 1, 0.90, "Lubrication"),
        chunk("a", 2, 0.85, "Lubrication"),
        chunk("b", 0, 0.80, "Coolant"),
        chunk("a", 5, 0.40, "Lubrication"),
    ]
    shown = by_section(ranked, bonus=0.0)
    assert [s.chunk_id for s in shown] == ["a-1", "b-0"]
    assert shown[0].fused_score == 0.90 and shown[0].joined == ("a-2",)  # a-5 is not next to a-1: not shown
    assert shown[0].text == "a chunk 1\na chunk 2"


def test_the_bonus_lets_a_section_with_more_matching_chunks_win_a_near_tie():
    ranked = [chunk("b", 0, 0.80, "Coolant"), chunk("a", 1, 0.79, "Pump"), chunk("a", 7, 0.70, "Pump")]
    assert by_section(ranked, bonus=0.0)[0].chunk_id == "b-0"
    boosted = by_section(ranked, bonus=0.02)
    assert boosted[0].chunk_id == "a-1" and abs(boosted[0].fused_score - (0.79 + 0.02 * 0.70)) < 1e-9
    far_ahead = [chunk("b", 0, 0.95, "Coolant"), *ranked[1:]]
    assert by_section(far_ahead, bonus=0.02)[0].chunk_id == "b-0"  # a clear win stays


def test_groups_never_cross_a_page_and_chunks_without_a_heading_join_only_their_neighbours():
    ranked = [
        chunk("a", 3, 0.9, "Lubrication", page=2),
        chunk("a", 4, 0.8, "Lubrication", page=3),  # same heading, next page: its own place, cited as p.3
        chunk("c", 0, 0.7, page=None),
        chunk("c", 1, 0.6, page=None),
        chunk("c", 9, 0.5, page=None),
    ]
    shown = by_section(ranked, bonus=0.0)
    assert [(s.chunk_id, s.page, s.joined) for s in shown] == [
        ("a-3", 2, ()),
        ("a-4", 3, ()),
        ("c-0", None, ("c-1",)),
        ("c-9", None, ()),
    ]


def test_neighbouring_chunks_keep_their_shared_overlap_once():
    assert joined("Drain the oil. Refill with VG220 gear", "with VG220 gear oil to the mark.") == (
        "Drain the oil. Refill with VG220 gear oil to the mark."
    )
    assert joined("First part.", "Unrelated start.") == "First part.\nUnrelated start."
    assert joined("ends in a", "a begins") == "ends in a\na begins"  # one shared letter is no overlap
    repeated = "abcdefgh" * 3 + "X"  # the opening recurs before the real overlap starts: the longest one wins
    assert joined(repeated, "abcdefghX then") == repeated + " then"


def test_search_shows_each_section_once_with_its_matching_neighbours_joined(tmp_path: Path):
    """A manual whose lubrication section is cut into several chunks: grouped, it takes one place and the
    other section still shows; with `retrieval.group: none` the same section fills the results."""
    steps = [  # short sentences, so the splitter's 60-character overlap repeats one at each chunk boundary
        "Check the spindle oil level each morning.", "Use the sight glass on the headstock.",
        "Refill with VG68 oil to the upper mark.", "Never mix two oil grades in one tank.",
        "Spindle bearings are packed with grease.", "Add new grease every 2,000 hours.",
        "Wipe each grease nipple clean first.", "Pump the grease gun slowly.", "Stop when fresh grease appears.",
        "Run the spindle at 500 rpm for ten minutes.", "Watch the spindle temperature meanwhile.",
        "Above 60 °C, check for over-greasing.", "The slideway pump gives 3 cm³ every 15 minutes.",
        "Alarm AL-210 means the oil tank is low.", "Top up the tank at once after AL-210.",
        "Drain the headstock oil once a year.", "Flush it with clean oil before refilling.",
        "Replace the suction filter element too.", "Log each oil change with the date.",
        "Note the oil brand and the hours counter.",
    ]  # fmt: skip
    lubrication = " ".join(steps)
    doc = tmp_path / "docs" / "lathe.md"
    doc.parent.mkdir()
    doc.write_text(f"# Spindle lubrication\n\n{lubrication}\n\n# Coolant\n\nChange the coolant every month.\n")
    assert run_cli("ingest", str(doc), data_dir=tmp_path / "data").returncode == 0

    def sources(group: str) -> list[dict]:
        env = {"ZHIKU_RETRIEVAL__GROUP": group}
        question = "spindle oil grease"
        result = run_cli("app", "search", "--json", "-k", "5", question, data_dir=tmp_path / "data", env=env)
        assert result.returncode == 0, result.stderr
        return json_lines(result.stdout)[0]["sources"]

    chunks = sources("none")
    assert [s["heading"] for s in chunks[:3]] == ["Spindle lubrication"] * 3
    shown_apart = sum(c["text"].count(step) for c in chunks for step in steps)
    assert shown_apart > len(steps)  # chunk by chunk, the overlap shows some steps twice
    grouped = sources("section")
    assert [s["heading"] for s in grouped] == ["Spindle lubrication", "Coolant"]
    top = grouped[0]
    assert len(top["joined"]) >= 2 and len(top["text"]) > max(len(s["text"]) for s in chunks)
    assert [top["text"].count(step) for step in steps] == [1] * len(steps)  # joined: every step, once
