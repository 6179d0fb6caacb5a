"""`python -m app search|ask|fetch-model`: the JSON contract, with the packaged models and a real Chroma."""

import time
from pathlib import Path

from tests.conftest import json_lines, run_cli


def assert_source_shape(source: dict) -> None:
    assert {"source", "page", "text", "score"} <= set(source)  # later fields are additions only
    assert isinstance(source["source"], str) and isinstance(source["text"], str)
    assert source["page"] is None or isinstance(source["page"], int)
    assert isinstance(source["score"], float)


def test_search_finds_the_right_page_in_english_and_chinese(kb_dir: Path):
    for question, file, page, needle in [
        ("What must the impeller clearance be?", "pump_manual.pdf", 2, "0.3 mm"),
        ("齿轮箱多久换一次油？", "减速机说明.pdf", 2, "2000"),
    ]:
        result = run_cli("app", "search", "--json", "-k", "3", question, data_dir=kb_dir)
        assert result.returncode == 0, result.stderr
        (payload,) = json_lines(result.stdout)
        assert payload["question"] == question
        top = payload["sources"][0]
        assert top["source"].endswith(file) and top["page"] == page and needle in top["text"]
        scores = [s["score"] for s in payload["sources"]]
        assert scores == sorted(scores, reverse=True) and len(scores) == 3
        for s in payload["sources"]:
            assert_source_shape(s)


def test_search_reads_questions_from_stdin_as_json_lines(kb_dir: Path):
    result = run_cli(
        "app", "search", "--json", "-k", "1", "-", data_dir=kb_dir, stdin="impeller nut torque\n\n冷却塔皮带\n"
    )
    rows = json_lines(result.stdout)
    assert [r["question"] for r in rows] == ["impeller nut torque", "冷却塔皮带"]
    assert rows[0]["sources"][0]["page"] == 2
    assert rows[1]["sources"][0]["source"].endswith("冷却塔.txt") and rows[1]["sources"][0]["page"] is None


def test_ask_json_contract_with_the_default_completion_model(kb_dir: Path):
    result = run_cli("app", "ask", "--json", "What is the maximum fluid temperature of the pump?", data_dir=kb_dir)
    assert result.returncode == 0, result.stderr
    (payload,) = json_lines(result.stdout)
    assert {"question", "answer", "sources", "timings", "evidence", "grounded"} <= set(payload)
    assert payload["answer"].strip()
    assert payload["grounded"] in {"supported", "quoted"}
    assert {"retrieve_ms", "generate_ms"} <= set(payload["timings"])
    assert all(v > 0 for v in payload["timings"].values())
    assert payload["lead"] and all(e["text"] in payload["answer"] for e in payload["lead"])  # quoted first
    assert any(s["page"] == 3 for s in payload["sources"])
    for s in payload["sources"]:
        assert_source_shape(s)


def test_ask_with_a_chat_template_model_and_jsonl(kb_dir: Path):
    """SmolLM2 carries a chat template, so this drives the chat-completion path."""
    result = run_cli(
        "app",
        "ask",
        "--json",
        "-",
        data_dir=kb_dir,
        stdin="How tight is the impeller nut?\n减速机油温不得超过多少度？\n",
        env={"ZHIKU_LLM__MODEL_PATH": "packaged:smollm2"},
    )
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert len(rows) == 2 and all(r["answer"].strip() for r in rows)


def test_human_output_lists_numbered_sources_with_pages(kb_dir: Path):
    result = run_cli("app", "search", "-k", "2", "impeller clearance", data_dir=kb_dir)
    assert result.returncode == 0
    assert result.stdout.startswith("[1] ") and "pump_manual.pdf · p.2" in result.stdout and "\n[2] " in result.stdout


def test_missing_model_file_is_a_clear_error(kb_dir: Path):
    result = run_cli("app", "ask", "pump?", data_dir=kb_dir, env={"ZHIKU_LLM__MODEL_PATH": "/nope/model.gguf"})
    assert result.returncode == 2
    assert "LLM model file not found: /nope/model.gguf" in result.stderr and "Traceback" not in result.stderr


def test_changing_the_embedding_model_is_refused(kb_dir: Path):
    result = run_cli("app", "search", "pump", data_dir=kb_dir, env={"ZHIKU_EMBEDDING__PROVIDER": "use"})
    assert result.returncode == 2
    assert "was built with embedding model" in result.stderr and "--kb" in result.stderr


def test_fetch_model_fails_fast_and_clearly_without_a_network(tmp_path: Path):
    """A closed local port stands in for 'offline' so the test behaves the same on machines with internet."""
    started = time.monotonic()
    result = run_cli(
        "app", "fetch-model", "Qwen/Qwen2.5-3B-Instruct-GGUF", "qwen2.5-3b-instruct-q4_k_m.gguf",
        data_dir=tmp_path, env={"HF_ENDPOINT": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot reach the model hub" in result.stderr and "llm.model_path" in result.stderr
    assert time.monotonic() - started < 20
