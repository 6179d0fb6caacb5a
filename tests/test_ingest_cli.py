"""`python -m ingest` as users and other tools run it: a real subprocess, real models, a real Chroma."""

import shutil
from pathlib import Path

from core.kb import open_kb
from core.settings import load_settings
from tests.conftest import FIXTURES, TEST_CONFIG, json_lines, run_cli


def kb_count(data_dir: Path) -> int:
    return open_kb(load_settings(TEST_CONFIG, data_dir=str(data_dir))).count()


def test_broken_file_exits_1_after_ingesting_the_good_ones(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(FIXTURES / "pump_manual.pdf", docs / "pump manual.pdf")  # a space in the name
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a pdf")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "notes.md").write_text("# 阀门\n阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    data = tmp_path / "data"

    result = run_cli("ingest", str(docs), data_dir=data)
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2
    assert any("broken.pdf: corrupt PDF" in line for line in failed)
    assert any("empty.txt: empty file" in line for line in failed)
    found = json_lines(run_cli("app", "search", "--json", "-k", "3", "阀门的工作压力", data_dir=data).stdout)[0]
    assert {s["source"] for s in found["sources"]} == {str(docs / "pump manual.pdf"), str(docs / "notes.md")}


def test_reingest_adds_nothing_and_a_changed_file_replaces_its_chunks(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(FIXTURES / "减速机说明.pdf", docs)
    note = docs / "note.txt"
    note.write_text("冷却塔风机每三个月检查一次。", encoding="utf-8")
    data = tmp_path / "data"

    assert run_cli("ingest", str(docs), data_dir=data).returncode == 0
    first = kb_count(data)
    again = run_cli("ingest", str(docs), data_dir=data)
    assert again.returncode == 0
    assert kb_count(data) == first

    note.write_text("冷却塔风机每六个月检查一次，皮带每年更换。", encoding="utf-8")
    assert run_cli("ingest", str(docs), data_dir=data).returncode == 0
    assert kb_count(data) == first  # still one chunk for the note: the old one was replaced
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "冷却塔风机", data_dir=data).stdout)[0]
    assert "六个月" in hit["sources"][0]["text"]


def test_relative_paths_stay_relative_and_missing_paths_fail(tmp_path: Path):
    data = tmp_path / "data"
    result = run_cli("ingest", "tests/fixtures/pump_manual.pdf", "no/such/file.pdf", data_dir=data)
    assert result.returncode == 1
    assert "FAILED no/such/file.pdf: not found" in result.stderr
    hit = json_lines(run_cli("app", "search", "--json", "impeller clearance", data_dir=data).stdout)[0]
    assert hit["sources"][0]["source"] == "tests/fixtures/pump_manual.pdf"
