"""A text file whose lines mix UTF-8 and GBK (issue 19, item 11) is decoded line by line and ingested whole,
through `python -m ingest` in-process with the fake embedder and a real Chroma."""

from __future__ import annotations

from pathlib import Path

from ingest import loaders
from tests.quick.test_cli import ingest, search

LINES = [
    ("utf-8", "主轴最大扭矩为 60 N·m，最高转速为 12000 rpm。"),
    ("gbk", "报警 AL-105 表示主轴过载，应立即停机检查负载。"),
    ("utf-8", "冷却塔风机皮带每三个月检查一次张紧度。"),
    ("gbk", "润滑油每 2000 小时更换一次，油温不得超过 85 ℃。"),
]


def test_a_file_mixing_utf8_and_gbk_lines_is_ingested_whole(data: Path, tmp_path: Path, capsys):
    mixed = tmp_path / "交接班记录.txt"
    mixed.write_bytes(b"".join((text + "\r\n").encode(encoding) for encoding, text in LINES))
    assert ingest(data, str(mixed)) == 0, capsys.readouterr().err
    hit = search(data, "报警 AL-105 表示什么", capsys)
    assert hit["text"] == "\n".join(text for _, text in LINES)  # every line, each in its own encoding


def test_a_file_in_one_legacy_encoding_is_still_detected_whole(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_bytes("\n".join(text for _, text in LINES).encode("gb18030"))
    assert loaders.load_pages(path)[0].text == "\n".join(text for _, text in LINES)
