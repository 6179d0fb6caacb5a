"""`python -m ingest` and `python -m app` called in-process through `main(argv)`, with the fake models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main as app_main
from ingest.cli import main as ingest_main
from tests.conftest import TEST_CONFIG


def ingest(data: Path, *args: str) -> int:
    return ingest_main([*args[:1], "--config", str(TEST_CONFIG), "--data-dir", str(data), *args[1:]])


def app(data: Path, *args: str) -> int:
    return app_main([*args[:1], "--config", str(TEST_CONFIG), "--data-dir", str(data), *args[1:]])


def search(data: Path, question: str, capsys: pytest.CaptureFixture[str]) -> dict:
    """The best passage `app search` finds."""
    capsys.readouterr()
    assert app(data, "search", "--json", "-k", "1", question) == 0
    return json.loads(capsys.readouterr().out)["sources"][0]


def listed(data: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    capsys.readouterr()
    assert ingest(data, "list", "--json") == 0
    return {row["path"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}


def test_add_is_explicit_or_implied_and_reaches_a_folder_named_like_a_command(
    data: Path, docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    assert ingest(data, str(docs)) == 0  # bare PATH
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "alarms.txt").write_text("报警 AL-608 表示冷却液液位过低。", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert ingest(data, "add", "list") == 0  # `list` is a folder here, not the command
    rows = listed(data, capsys)
    assert set(rows) == {str(docs / "spindle.md"), str(docs / "pump.md"), "list/alarms.txt"}
    assert all(row["status"] == "ingested" and row["embedding_model"] == "fake:hashed-words" for row in rows.values())


def test_a_bad_file_fails_alone_and_exits_1(data: Path, docs: Path, capsys: pytest.CaptureFixture[str]):
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a pdf")
    assert ingest(data, str(docs)) == 1
    assert "FAILED" in capsys.readouterr().err
    rows = listed(data, capsys)
    assert rows[str(docs / "broken.pdf")]["status"] == "failed" and rows[str(docs / "pump.md")]["status"] == "ingested"


def test_delete_by_path_or_id_and_check(data: Path, docs: Path, capsys: pytest.CaptureFixture[str]):
    assert ingest(data, str(docs)) == 0
    rows = listed(data, capsys)
    assert ingest(data, "delete", str(docs / "pump.md")) == 0
    spindle = rows[str(docs / "spindle.md")]["doc_id"]
    assert ingest(data, "delete", spindle) == 0
    assert capsys.readouterr().out.count("deleted ") == 2
    assert ingest(data, "delete", "no-such-document") == 1
    assert listed(data, capsys) == {}
    assert ingest(data, "check") == 0 and capsys.readouterr().out.startswith("ok:")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as done:
        ingest_main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert all(command in shown for command in ("add", "list", "delete", "reindex", "check"))


def test_search_and_a_session_through_the_app_cli(data: Path, docs: Path, capsys: pytest.CaptureFixture[str]):
    assert ingest(data, str(docs)) == 0
    capsys.readouterr()
    assert app(data, "search", "--json", "-k", "1", "impeller clearance") == 0
    (found,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert found["sources"][0]["source"].endswith("pump.md") and found["relevant"]
    assert app(data, "ask", "--json", "--session", "s1", "主轴的最大扭矩是多少？") == 0
    assert app(data, "ask", "--json", "--session", "s1", "转速呢？") == 0
    first, second = map(json.loads, capsys.readouterr().out.splitlines())
    assert first["session"] == second["session"] == "s1" and second["query"] == "主轴 转速呢？"
    assert first["grounded"] in {"supported", "partial", "evidence_only"}


def test_an_unknown_knowledge_base_is_empty_not_an_error(data: Path, capsys: pytest.CaptureFixture[str]):
    assert app(data, "ask", "--json", "anything?") == 0
    (answer,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert answer["grounded"] == "no_documents" and answer["sources"] == []
