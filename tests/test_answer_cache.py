"""The semantic answer cache, through the real CLI: hits on a near-identical question, misses after any change."""

import shutil
from pathlib import Path

from tests.conftest import json_lines, run_cli


def ask(data: Path, question: str, *flags: str) -> dict:
    result = run_cli("app", "ask", "--json", *flags, question, data_dir=data)
    assert result.returncode == 0, result.stderr
    (payload,) = json_lines(result.stdout)
    return payload


def test_a_near_identical_question_is_answered_from_the_cache_until_the_kb_changes(kb_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(kb_dir, data)
    first = ask(data, "How tight must the impeller nut be?")
    assert first["cached"] is False and first["timings"]["generate_ms"] > 0
    again = ask(data, "How tight must the impeller nut be")
    assert again["cached"] is True and again["answer"] == first["answer"] and again["sources"] == first["sources"]
    assert again["timings"]["generate_ms"] == 0 and again["timings"]["cache_ms"] < 1000
    assert ask(data, "How tight must the impeller nut be", "--no-cache")["cached"] is False
    assert ask(data, "What is the rated flow of the pump?")["cached"] is False  # a different question
    note = tmp_path / "valve.txt"
    note.write_text("The relief valve opens at 6 bar.", encoding="utf-8")
    assert run_cli("ingest", str(note), data_dir=data).returncode == 0
    assert ask(data, "How tight must the impeller nut be")["cached"] is False  # the KB changed
