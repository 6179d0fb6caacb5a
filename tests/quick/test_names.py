"""File names that are not UTF-8 or hold control characters (issue 19, item 6): stored under a safe name, printed
escaped, and never stopping the folder. Through `python -m ingest` in-process with the fake embedder and a real
Chroma (unreadable and too-deep folders, as an ordinary user: tests/test_ingest_names.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ingest.names import display_name, json_safe, terminal_safe
from tests.quick.test_cli import ingest, listed, search


def test_names_not_utf8_are_decoded_or_escaped_and_valid_ones_stay_as_they_are():
    gbk = os.fsdecode("冷却塔.txt".encode("gbk"))
    assert display_name(f"/docs/{gbk}") == "/docs/冷却塔.txt"
    assert display_name("/docs/手册 v2.pdf") == "/docs/手册 v2.pdf"
    assert display_name(os.fsdecode(b"/docs/\xff\xfe.txt")) == "/docs/\\xff\\xfe.txt"  # neither UTF-8 nor GB18030


def test_control_characters_are_escaped_for_the_terminal():
    name = "a\x1b[2Jb\u009b31m\u202etxt.exe\nc"
    assert terminal_safe(name) == "a\\x1b[2Jb\\x9b31m\\u202etxt.exe\\x0ac"
    assert json.loads(json_safe(json.dumps(name, ensure_ascii=False))) == name
    assert not any(c in json_safe(json.dumps(name, ensure_ascii=False)) for c in "\x1b\u009b\u202e\n")


def test_a_folder_with_a_gbk_name_and_an_escape_sequence_ingests_the_rest(data: Path, tmp_path: Path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / os.fsdecode("冷却塔.txt".encode("gbk"))).write_text("冷却塔风机皮带每三个月检查。", encoding="utf-8")
    (docs / "x\x1b[31m.pdf").write_bytes(b"%PDF-1.7\nnot a pdf")
    (docs / "fine.md").write_text("# 阀门\n阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    assert ingest(data, str(docs)) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and f"FAILED {docs}/x\\x1b[31m.pdf: corrupt PDF" in err
    rows = listed(data, capsys)
    assert rows[str(docs / "冷却塔.txt")]["status"] == rows[str(docs / "fine.md")]["status"] == "ingested"
    hit = search(data, "冷却塔风机皮带", capsys)
    assert hit["source"] == str(docs / "冷却塔.txt")
    assert ingest(data, "list") == 0
    assert "\x1b" not in capsys.readouterr().out
