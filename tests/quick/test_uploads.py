"""Upload names (issue 19, item 8), on real files."""

from __future__ import annotations

from pathlib import Path

from ingest.uploads import distinct_name, stage_uploads


def test_names_the_file_system_cannot_hold_fail_alone_and_same_names_stay_apart(tmp_path: Path):
    sources = []
    for i, text in enumerate(["a", "b", "c"]):
        sources.append(tmp_path / f"in{i}")
        sources[-1].write_text(text)
    folder = tmp_path / "uploads"
    tasks = stage_uploads(
        folder, [("a/x.txt", sources[0]), ("泵" * 100 + ".txt", sources[1]), ("b/x.txt", sources[2])], 1
    )
    assert [(t.source, t.error) for t in tasks] == [
        ("x.txt", ""), ("泵" * 60 + "…", "file name too long (304 bytes; at most 255)"), ("x (2).txt", ""),
    ]  # fmt: skip
    assert {p.name: p.read_text() for p in folder.iterdir()} == {"x.txt": "a", "x (2).txt": "c"}
    long_name = "a" * 250 + ".txt"  # fits; its second copy's name is cut to fit too
    assert distinct_name(long_name, {long_name}) == "a" * 247 + " (2).txt"
    assert len(distinct_name(long_name, {long_name}).encode()) == 255
