"""The HTTP API served by the real application (FastAPI + uvicorn on 127.0.0.1), called over real HTTP with
httpx and with the real `openai` client: ingest, list, search, ask, delete, the OpenAI-compatible endpoint,
keys and CORS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from app.engine.answer import Answer
from core.kb import open_kb
from core.settings import Settings, load_settings
from ingest.pipeline import ingest_paths
from tests.conftest import TEST_CONFIG, pdf_with_pages
from tests.web import service_in_thread

KEY = "test-key-5f2a"


def settings_in(data_dir: Path, **changes: object) -> Settings:
    settings = load_settings(TEST_CONFIG, data_dir=str(data_dir))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        setattr(getattr(settings, section), key, value)
    return settings


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[httpx.Client]:
    settings = settings_in(tmp_path_factory.mktemp("api"), api__keys=[KEY])
    ingest_paths(open_kb(settings), [str(docs_dir / "pump_manual.pdf")], settings.ingest, 32)
    with service_in_thread(settings) as url, httpx.Client(base_url=url, timeout=300) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        yield client


def test_the_schema_lists_every_route_and_health_needs_no_key(api: httpx.Client):
    paths = set(api.get("/openapi.json").json()["paths"])
    assert {"/api/ingest", "/api/kbs", "/api/kbs/{kb}/documents", "/api/search", "/api/ask"} <= paths
    assert {"/api/kbs/{kb}/documents/{target}", "/v1/chat/completions", "/v1/models"} <= paths
    assert httpx.get(f"{api.base_url}/health").json()["status"] == "ok"


def test_a_key_is_required_when_keys_are_configured(api: httpx.Client):
    bare = httpx.Client(base_url=api.base_url)
    refused = bare.post("/api/search", json={"question": "impeller clearance"})
    assert refused.status_code == 401 and refused.json()["error"]["message"] == "missing or wrong API key"
    assert bare.get("/api/kbs", headers={"X-API-Key": "wrong"}).status_code == 401
    assert bare.get("/api/kbs", headers={"X-API-Key": KEY}).json()["kbs"] == [{"name": "default"}]


def test_ingest_list_search_ask_and_delete_through_the_api(api: httpx.Client, tmp_path: Path):
    pdf = pdf_with_pages(tmp_path / "gearbox.pdf", ["Gearbox G-4 card.", "Gearbox G-4 oil is changed every 2000 h."])
    fake = tmp_path / "fake.pdf"
    fake.write_text("<html><body>Sign in to continue</body></html>", encoding="utf-8")
    files = [
        ("files", ("../../../tmp/gearbox card.pdf", pdf.read_bytes(), "application/pdf")),
        ("files", ("fake.pdf", fake.read_bytes(), "application/pdf")),
    ]
    done = api.post("/api/ingest", files=files, data={"kb": "gearboxes", "tags": ["maintenance"]}).json()
    assert (done["kb"], done["ingested"], done["failed"]) == ("gearboxes", 1, 1)
    results = {r["source"]: r for r in done["results"]}
    assert results["gearbox card.pdf"]["pages"] == 2  # the path in the name was dropped, not followed
    assert "HTML" in results["fake.pdf"]["error"]  # the type comes from the content, not the name
    assert {"name": "gearboxes"} in api.get("/api/kbs").json()["kbs"]

    listed = api.get("/api/kbs/gearboxes/documents").json()["documents"]
    card = next(d for d in listed if d["path"] == "gearbox card.pdf")
    assert card["status"] == "ingested" and card["tags"] == ["maintenance"]

    found = api.post("/api/search", json={"question": "How often is the G-4 oil changed?", "kb": "gearboxes"}).json()
    assert (found["sources"][0]["source"], found["sources"][0]["page"]) == ("gearbox card.pdf", 2)
    asked = api.post("/api/ask", json={"question": "How often is the G-4 oil changed?", "kb": "gearboxes"}).json()
    assert set(asked) == set(Answer("q").to_json()) and asked["sources"][0]["page"] == 2
    assert asked["grounded"] in ("supported", "quoted")

    gone = api.delete(f"/api/kbs/gearboxes/documents/{card['doc_id']}").json()
    assert gone["deleted"] == ["gearbox card.pdf"]
    found = api.post("/api/search", json={"question": "G-4 oil change interval", "kb": "gearboxes"}).json()
    assert all(s["source"] != "gearbox card.pdf" for s in found["sources"])
    assert api.delete("/api/kbs/gearboxes/documents/gearbox card.pdf").status_code == 404


def test_reads_from_a_knowledge_base_that_does_not_exist_are_404_and_create_nothing(api: httpx.Client):
    for response in (
        api.get("/api/kbs/nowhere/documents"),
        api.post("/api/search", json={"question": "pump", "kb": "nowhere"}),
        api.post("/v1/chat/completions", json={"model": "nowhere", "messages": [{"role": "user", "content": "x"}]}),
    ):
        assert response.status_code == 404 and response.json()["error"]["message"] == "no knowledge base 'nowhere'"
    assert {"name": "nowhere"} not in api.get("/api/kbs").json()["kbs"]
    assert api.post("/api/ask", json={"question": ""}).status_code == 422


def test_a_session_gives_follow_up_questions_their_memory(api: httpx.Client):
    first = api.post("/api/ask", json={"question": "What must the impeller clearance be?", "session": "s-1"}).json()
    assert first["session"] == "s-1"
    follow = api.post("/api/ask", json={"question": "and the nut torque?", "session": "s-1"}).json()
    assert follow["query"] == "impeller clearance and the nut torque?"
    alone = api.post("/api/ask", json={"question": "and the nut torque?", "session": "s-2"}).json()
    assert alone["query"] == "and the nut torque?"


def test_an_openai_client_gets_the_answer_and_its_sources(api: httpx.Client):
    client = openai.OpenAI(base_url=f"{api.base_url}/v1", api_key=KEY)
    reply = client.chat.completions.create(
        model="zhiku", messages=[{"role": "user", "content": "What must the impeller clearance be?"}]
    )
    assert reply.choices[0].message.content
    sources = reply.model_extra["sources"]
    assert (Path(sources[0]["source"]).name, sources[0]["page"]) == ("pump_manual.pdf", 2)
    assert reply.model_extra["zhiku"]["answer"] == reply.choices[0].message.content
    # usage counts the model's tokens (its prompt and its draft, shown or not), none when no model ran
    ran = "first_token_ms" in reply.model_extra["zhiku"]["timings"]
    usage = reply.usage
    assert usage is not None and (usage.prompt_tokens > 100) == ran and (usage.completion_tokens > 0) == ran
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    chunks = list(client.chat.completions.create(
        model="default", stream=True,
        messages=[
            {"role": "user", "content": "What must the impeller clearance be?"},
            {"role": "assistant", "content": "0.3 mm"},
            {"role": "user", "content": "and the nut torque?"},
        ],
    ))  # fmt: skip
    first_text = next(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
    with_sources = [i for i, c in enumerate(chunks) if (c.model_extra or {}).get("sources")]
    assert with_sources[0] < first_text  # the sources come before the first token
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["zhiku"]["query"] == "impeller clearance and the nut torque?"
    assert last.usage is not None and last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed.strip() and last.model_extra["zhiku"]["answer"].strip() in streamed


def test_openai_errors_come_in_openai_shape(api: httpx.Client):
    client = openai.OpenAI(base_url=f"{api.base_url}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError, match="no knowledge base 'nowhere'"):
        client.chat.completions.create(model="nowhere", messages=[{"role": "user", "content": "pump"}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        client.chat.completions.create(model="zhiku", messages=[{"role": "assistant", "content": "hello"}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{api.base_url}/v1", api_key="wrong", max_retries=0).models.list()
    assert "default" in [m.id for m in client.models.list()]


def test_an_api_without_keys_is_open_only_while_sign_in_is_off(tmp_path: Path):
    settings = settings_in(tmp_path, auth__enabled=True, auth__users={"alice": "scrypt$1$1$1$00$00"})
    with service_in_thread(settings) as url:
        refused = httpx.get(f"{url}/api/kbs")
        assert refused.status_code == 401 and "needs keys" in refused.json()["error"]["message"]
        preflight = httpx.options(
            f"{url}/api/kbs", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in preflight.headers  # CORS closed by default


def test_cors_admits_only_the_configured_origins(tmp_path: Path):
    settings = settings_in(tmp_path, api__cors_origins=["https://intranet.example"])
    with service_in_thread(settings) as url:
        ok = httpx.get(f"{url}/api/kbs", headers={"Origin": "https://intranet.example"})
        assert ok.headers["access-control-allow-origin"] == "https://intranet.example"
        other = httpx.get(f"{url}/api/kbs", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(tmp_path: Path):
    settings = settings_in(tmp_path, ingest__max_file_mb=0.01)
    with service_in_thread(settings) as url:
        big = ("files", ("big.txt", b"Pump P-1 manual. " * 2000, "text/plain"))
        small = ("files", ("small.txt", b"The P-1 seal is checked monthly.", "text/plain"))
        done = httpx.post(f"{url}/api/ingest", files=[big, small], timeout=300).json()
    results = {r["source"]: r for r in done["results"]}
    assert results["big.txt"]["status"] == "failed" and "too large" in results["big.txt"]["error"]
    assert results["small.txt"]["status"] == "ingested"
    assert {p.name for p in (tmp_path / "uploads" / "default").iterdir()} == {"small.txt"}
    assert (done["ingested"], done["failed"]) == (1, 1)


def test_concurrent_conversations_each_get_their_own_answer(api: httpx.Client):
    """Real concurrent HTTP streams on the one in-process model: they take turns, and no token, source or
    memory crosses from one conversation into another."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["Which grease do the pump bearings take?", "What is the rated flow?", "How is the seal replaced?"]
    client = openai.OpenAI(base_url=f"{api.base_url}/v1", api_key=KEY, timeout=600)

    def converse(question: str) -> tuple[str, dict]:
        chunks = list(client.chat.completions.create(
            model="zhiku", stream=True, messages=[{"role": "user", "content": question}], extra_body={"temperature": 0}
        ))  # fmt: skip
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].model_extra["zhiku"]

    with ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(converse, questions))
    for question, (streamed, final) in zip(questions, results, strict=True):
        assert final["query"] == question
        assert not final["cached"] and streamed.strip().endswith(final["answer"].strip())
