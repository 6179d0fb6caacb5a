"""Bounded inputs and one error shape (issue 19, items 3 and 12), through the real web application in-process:
every input is held to a limit from the configuration, refused with a short 413 that does not repeat it, before
anything is embedded; every error, FastAPI's own included, is `{"error": {"message", "type"}}`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.engine.llm import BACKENDS
from core.embeddings import PROVIDERS
from core.settings import Settings
from tests.conftest import TEST_CONFIG
from tests.quick.conftest import FakeLLM
from tests.quick.webapp import COUNTING_PROVIDER, KEY, CountingEmbedder, is_error, served, web_settings

SHORT = 400  # bytes: an error answer never grows with the input it refuses


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with PROVIDERS.replaced("e5", COUNTING_PROVIDER), BACKENDS.replaced("llama-cpp", lambda s, m: FakeLLM()):
        settings = web_settings(tmp_path_factory.mktemp("limits") / "data")
        settings.limits.question_chars = 300
        settings.limits.list_items, settings.limits.item_chars = 5, 40
        settings.limits.messages, settings.limits.conversation_chars = 4, 1000
        settings.limits.body_mb, settings.limits.upload_mb = 0.1, 0.2
        settings.api.max_upload_files = 2
        yield settings


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    with served(settings) as client:
        done = client.post("/api/ingest", files=[("files", ("pump.txt", b"The impeller clearance is 0.3 mm."))])
        assert done.json()["ingested"] == 1
        yield client


def test_a_question_over_the_limit_is_refused_before_it_is_embedded_and_not_echoed(api: TestClient):
    CountingEmbedder.asked.clear()
    for route in ("/api/ask", "/api/search"):
        refused = api.post(route, json={"question": "主" * 301})
        assert "301 characters, at most 300" in is_error(refused, 413) and len(refused.content) < SHORT
    huge = api.post("/api/ask", json={"question": "x" * 1_000_000})  # past limits.body_mb too: refused unread
    assert huge.status_code == 413 and len(huge.content) < SHORT
    assert CountingEmbedder.asked == []  # nothing was embedded
    assert api.post("/api/search", json={"question": "主" * 300}).status_code == 200
    assert CountingEmbedder.asked == [300]  # the limit itself is allowed, and embedding is counted


def test_a_body_over_the_limit_is_refused_by_its_length_and_while_it_streams(api: TestClient, settings: Settings):
    CountingEmbedder.asked.clear()
    big = json.dumps({"question": "x", "tags": ["t"] * 40_000}).encode()  # ~200 KB against 0.1 MB
    by_length = api.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert "limits.body_mb" in is_error(by_length, 413)

    def pieces() -> Iterator[bytes]:  # no Content-Length: the body is counted as it comes
        yield b'{"question": "' + b"x" * 60_000
        yield b"x" * 60_000 + b'"}'

    streamed = api.post("/api/ask", content=pieces(), headers={"content-type": "application/json"})
    assert "limits.body_mb" in is_error(streamed, 413) and len(streamed.content) < SHORT
    upload = [("files", (f"f{i}.txt", b"Pump P-9 note. " * 8000)) for i in range(2)]  # 240 KB against 0.2 MB
    assert "limits.upload_mb" in is_error(api.post("/api/ingest", files=upload, data={"kb": "big"}), 413)
    assert {"name": "big"} not in api.get("/api/kbs").json()["kbs"] and CountingEmbedder.asked == []


def test_lists_and_files_per_upload_are_bounded(api: TestClient):
    for body in ({"tags": ["t"] * 6}, {"documents": ["d" * 41]}, {"types": ["pdf"] * 6}):
        refused = api.post("/api/search", json={"question": "impeller", **body})
        assert "limits." in is_error(refused, 413) and len(refused.content) < SHORT
    assert api.post("/api/search", json={"question": "impeller", "tags": ["t"] * 5}).status_code == 200
    files = [("files", (f"n{i}.txt", b"Pump note.")) for i in range(3)]
    assert "at most 2 per upload" in is_error(api.post("/api/ingest", files=files, data={"kb": "many"}), 413)
    tagged = api.post("/api/ingest", files=files[:1], data={"kb": "many", "tags": ["t"] * 6})
    assert "limits.list_items" in is_error(tagged, 413)
    assert {"name": "many"} not in api.get("/api/kbs").json()["kbs"]  # refused before the KB was made
    uploaded = api.post("/en/gradio_api/upload", files=files).json()  # the page's upload: Gradio's two steps
    chosen = [{"path": path, "meta": {"_type": "gradio.FileData"}} for path in uploaded]
    event = api.post("/en/gradio_api/call/upload", json={"data": [chosen, "default"]}).json()["event_id"]
    assert "at most 2 files per upload (got 3)" in api.get(f"/en/gradio_api/call/upload/{event}").text
    assert [d["path"] for d in api.get("/api/kbs/default/documents").json()["documents"]] == ["pump.txt"]


def test_an_openai_conversation_is_bounded_in_messages_and_characters(api: TestClient):
    CountingEmbedder.asked.clear()

    def chat(*contents: str) -> object:
        messages = [{"role": ("user", "assistant")[i % 2], "content": c} for i, c in enumerate(contents)]
        return api.post("/v1/chat/completions", json={"model": "zhiku", "messages": messages})

    assert "5 messages, at most 4" in is_error(chat("a", "b", "c", "d", "e"), 413)
    assert "limits.conversation_chars" in is_error(chat("a" * 900, "b" * 200, "c"), 413)
    assert "at most 300" in is_error(chat("主" * 301), 413)
    assert CountingEmbedder.asked == []
    assert chat("a" * 500, "b" * 200, "impeller clearance?").status_code == 200


def test_a_validation_error_names_the_field_never_the_value(api: TestClient):
    echoed = api.post("/api/search", json={"question": "pump", "k": "z" * 90_000})
    message = is_error(echoed, 422)
    assert "body.k" in message and "zzz" not in message and len(echoed.content) < SHORT
    many = api.post("/api/search", json={"question": "pump", "tags": [1] * 20_000})  # 20,000 wrong entries
    assert "and 19,995 more" in is_error(many, 422) and len(many.content) < 2 * SHORT
    kb = api.post("/api/search", json={"question": "pump", "kb": "k" * 5_000})
    assert "at most 64 characters" in is_error(kb, 422) and "kkk" not in kb.text
    empty = api.post("/api/ask", content=b"{}", headers={"content-type": "application/json"})
    assert "body.question: Field required" in is_error(empty, 422)


def test_every_error_has_the_one_shape(api: TestClient, settings: Settings, tmp_path: Path):
    assert is_error(api.get("/api/nowhere"), 404) == "no such route"
    wrong_method = api.get("/api/ask")
    assert "not allowed" in is_error(wrong_method, 405) and wrong_method.headers["allow"] == "POST"
    assert is_error(api.delete("/v1/chat/completions"), 405)
    assert is_error(api.get("/no/such/page"), 404)  # answered by the page mounted at "/"
    assert is_error(api.post("/health"), 404)
    assert "no knowledge base" in is_error(api.get("/api/kbs/nowhere/documents"), 404)
    assert is_error(api.post("/api/ingest", data={"kb": "x"}), 422)  # no files
    assert "last message" in is_error(
        api.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]}), 400
    )
    keyed = settings.model_copy(deep=True)
    keyed.api.keys, keyed.data_dir = [KEY], tmp_path / "keyed"
    with served(keyed) as client:
        assert "missing or wrong API key" in is_error(client.get("/api/kbs"), 401)


def test_the_page_and_the_cli_refuse_an_over_long_question_before_any_work(
    api: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from app.cli import main as app_main

    CountingEmbedder.asked.clear()
    chat = ["主" * 301, [], "", "", 5, False, 0.0, "auto", [], "default"]  # the inputs of the page's "chat" event
    event = api.post("/en/gradio_api/call/chat", json={"data": chat}).json()["event_id"]
    streamed = api.get(f"/en/gradio_api/call/chat/{event}").text
    assert "event: complete" in streamed and "301 characters, at most 300" in streamed
    assert "主" * 301 not in streamed and CountingEmbedder.asked == []  # not echoed into the chat, not embedded
    code = app_main(["ask", "--config", str(TEST_CONFIG), "--data-dir", str(tmp_path / "cli"), "主" * 2001])
    assert code == 2 and "2,001 characters, at most 2,000" in capsys.readouterr().err
    assert not (tmp_path / "cli").exists() and CountingEmbedder.asked == []  # no knowledge base was opened
