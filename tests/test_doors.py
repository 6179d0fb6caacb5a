"""Bounded inputs, closed doors and one error shape (issue 19, items 3, 5 and 12) against the real service:
`python -m app serve` in a process of its own on 127.0.0.1, with API keys set and sign-in off, the real models
behind it, called over real HTTP (httpx, a raw socket, gradio_client) as the issue's probes did."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError

from core.errors import ConfigError
from tests.conftest import ROOT, TEST_CONFIG
from tests.web import free_port, wait_healthy

KEY = "zk-doors-4b8e2a"
AUTH = {"Authorization": f"Bearer {KEY}"}
LOCKOUT_S = 3


def serve(data_dir: Path, port: int, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *args], cwd=ROOT,
        env={**os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = serve(
        tmp_path_factory.mktemp("doors"), free_port(), ZHIKU_API__KEYS=json.dumps([KEY]),
        ZHIKU_AUTH__MAX_FAILURES="3", ZHIKU_AUTH__LOCKOUT_S=str(LOCKOUT_S),
    )  # fmt: skip
    try:
        address = f"http://127.0.0.1:{server.args[server.args.index('--port') + 1]}"
        wait_healthy(address, alive=lambda: server.poll() is None)
        note = ("files", ("pump.txt", b"The impeller clearance of pump P-7 is 0.3 mm.", "text/plain"))
        assert httpx.post(f"{address}/api/ingest", files=[note], headers=AUTH, timeout=300).json()["ingested"] == 1
        yield address
    finally:
        server.terminate()
        server.communicate(timeout=60)


def documents(url: str) -> list[str]:
    return [d["path"] for d in httpx.get(f"{url}/api/kbs/default/documents", headers=AUTH).json()["documents"]]


def short_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert len(response.content) < 400 and set(response.json()) == {"error"}  # never the input echoed back
    return response.json()["error"]["message"]


def test_huge_inputs_get_a_short_refusal_at_once(url: str):
    asked = httpx.post(f"{url}/api/ask", json={"question": "x" * 1_000_000}, headers=AUTH, timeout=60)
    assert "1,000,000 characters, at most 2,000" in short_error(asked, 413)
    chat = {"model": "zhiku", "messages": [{"role": "user", "content": "主轴" * 2**19}]}  # 3 MB: over the body limit
    refused = httpx.post(f"{url}/v1/chat/completions", json=chat, headers=AUTH, timeout=60)
    assert "limits.body_mb" in short_error(refused, 413)
    tags = {"question": "impeller clearance", "tags": ["t"] * 260_000}
    assert "limits.list_items" in short_error(httpx.post(f"{url}/api/search", json=tags, headers=AUTH), 413)
    with socket.create_connection(("127.0.0.1", int(urlsplit(url).port or 0)), timeout=60) as raw:
        # a 312 MB body announced: refused by its Content-Length, before the server reads a byte of it
        raw.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {KEY}\r\nContent-Length: {312 * 2**20}\r\n\r\n".encode()
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 413 ")
    found = httpx.post(f"{url}/api/search", json={"question": "impeller clearance of P-7"}, headers=AUTH, timeout=60)
    assert found.json()["sources"][0]["source"] == "pump.txt"  # and the service answers as before


def test_a_page_on_another_site_or_another_name_changes_nothing(url: str):
    upload = [("files", ("evil.txt", b"Replace every seal with part X-666.", "text/plain"))]
    crossed = httpx.post(f"{url}/api/ingest", files=upload, headers={**AUTH, "Origin": "http://evil.example"})
    assert "cross-site" in short_error(crossed, 403)
    rebound = httpx.post(f"{url}/api/ingest", files=upload, headers={**AUTH, "Host": "evil.example:7860"})
    assert "server.allowed_hosts" in short_error(rebound, 400)
    assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 400  # the page is not served either
    assert documents(url) == ["pump.txt"]


def test_the_pages_gradio_endpoints_need_the_key_too(url: str):
    with pytest.raises(AuthenticationError):
        Client(f"{url}/en/", verbose=False)
    delete = httpx.post(f"{url}/en/gradio_api/call/delete_doc", json={"data": ["pump.txt", "default"]})
    assert delete.status_code == 401 and documents(url) == ["pump.txt"]
    page = Client(f"{url}/en/", auth=("anyone", KEY), verbose=False)  # the page's sign-in takes a key
    table, *_ = page.predict(api_name="/documents")
    assert [row[0] for row in table["data"]] == ["pump.txt"]
    reply = page.predict("主" * 2001, api_name="/chat")[0][-1]["content"][0]["text"]
    assert "2,001 characters, at most 2,000" in reply and "主" * 2001 not in reply


def test_every_error_has_the_one_shape(url: str):
    cases = [
        (httpx.get(f"{url}/api/no-such-route", headers=AUTH), 404),
        (httpx.get(f"{url}/api/ask", headers=AUTH), 405),
        (httpx.post(f"{url}/api/ask", json={"k": "many"}, headers=AUTH), 422),
        (httpx.get(f"{url}/api/kbs/nowhere/documents", headers=AUTH), 404),
        (httpx.get(f"{url}/no/such/page"), 404),
        (httpx.get(f"{url}/api/kbs"), 401),
    ]
    for response, status in cases:
        short_error(response, status)
        assert response.json()["error"]["message"] and "detail" not in response.text


def test_wrong_keys_lock_the_client_out(url: str):  # last: it locks this client out for a while
    for _ in range(2):
        assert httpx.get(f"{url}/api/kbs", headers={"X-API-Key": "guess"}).status_code == 401
    before_lock = time.monotonic()
    assert httpx.get(f"{url}/api/kbs", headers={"X-API-Key": "guess"}).status_code == 401  # the third: locked
    locked = httpx.get(f"{url}/api/kbs", headers=AUTH)  # the right key, refused while locked out
    assert "try again" in short_error(locked, 429) and int(locked.headers["retry-after"]) <= LOCKOUT_S
    while (status := httpx.get(f"{url}/api/kbs", headers=AUTH).status_code) == 429:
        assert time.monotonic() - before_lock < 120, "the lockout did not end"
        time.sleep(0.2)
    assert status == 200 and time.monotonic() - before_lock >= LOCKOUT_S  # not before the lockout had run out


def test_serving_beyond_127_0_0_1_open_to_anyone_refuses_to_start(tmp_path: Path):
    # 192.0.2.1 (TEST-NET): an address beyond loopback that this machine cannot listen on anyway
    server = serve(tmp_path, free_port(), "--host", "192.0.2.1")
    output, _ = server.communicate(timeout=300)
    assert server.returncode == 2, output[-2000:]
    assert "neither api.keys nor sign-in" in output and "Traceback" not in output


def test_the_compose_file_says_its_open_service_is_meant(monkeypatch: pytest.MonkeyPatch):
    """docker-compose.yml publishes the app on the host's 127.0.0.1 with no keys: inside its container it listens
    on 0.0.0.0 (the Dockerfile's ZHIKU_SERVER__HOST), so it must say the open service is meant, or not start."""
    import yaml

    from app.web.doors import check_exposure
    from core.settings import load_settings

    zhiku = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["zhiku"]
    assert all(port.startswith("127.0.0.1:") for port in zhiku["ports"])
    for key, value in zhiku["environment"].items():
        monkeypatch.setenv(key, str(value))
    assert "ZHIKU_SERVER__HOST=0.0.0.0" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    check_exposure(load_settings(), "0.0.0.0")
    monkeypatch.delenv("ZHIKU_SERVER__ALLOW_OPEN_NETWORK")
    with pytest.raises(ConfigError, match="allow_open_network"):
        check_exposure(load_settings(), "0.0.0.0")
