"""Doors left open (issue 19, item 5), through the real web application in-process: the page's Gradio endpoints
need the API key when keys are set; a browser request from another site cannot change anything; only known
host names are served (DNS rebinding); an open service refuses to listen beyond 127.0.0.1; wrong keys and
passwords lock the client out."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.web.auth import hash_password
from core.errors import ConfigError
from core.settings import AuthSettings, Settings
from tests.quick.conftest import FakeLLM
from tests.quick.webapp import KEY, is_error, served, web_settings

TEXT = [("files", ("pump.txt", b"The impeller clearance is 0.3 mm."))]
EVIL = "http://evil.example"


@pytest.fixture
def fresh(tmp_path: Path, fake_models: FakeLLM) -> Settings:
    return web_settings(tmp_path / "data")


def test_only_known_host_names_are_served(fresh: Settings):
    fresh.server.allowed_hosts = ["zhiku.intranet"]
    with served(fresh) as client:
        for host in ("evil.example", "evil.example:7860", "127.0.0.1.evil.example", ""):
            assert "server.allowed_hosts" in is_error(client.get("/api/kbs", headers={"Host": host}), 400)
            assert client.get("/", headers={"Host": host}).status_code == 400  # the page too
        for host in ("localhost:7860", "127.0.0.1", "[::1]:7860", "zhiku.intranet:7860", "LOCALHOST."):
            assert client.get("/api/kbs", headers={"Host": host}).status_code == 200, host
        assert client.get("/health", headers={"Host": "10.1.2.3:7860"}).json()["status"] == "ok"  # probes
    fresh.server.allowed_hosts = ["*"]
    with served(fresh, host="anything.example") as client:
        assert client.get("/api/kbs").status_code == 200


def test_a_request_from_another_site_changes_nothing(fresh: Settings):
    fresh.server.trusted_origins, fresh.api.cors_origins = ["https://portal.example"], ["https://intranet.example"]
    fresh.limits.body_mb = 0.001
    with served(fresh) as client:
        big = client.post("/api/search", json={"question": "x" * 2000}, headers={"Origin": "https://intranet.example"})
        assert big.status_code == 413 and big.headers["access-control-allow-origin"] == "https://intranet.example"
        for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://localhost.evil.example"}):  # fmt: skip
            refused = client.post("/api/ingest", files=TEXT, headers=headers)
            assert "cross-site" in is_error(refused, 403), headers
            assert client.request("DELETE", "/api/kbs/default/documents/pump.txt", headers=headers).status_code == 403
        assert client.get("/api/kbs/default/documents").json()["documents"] == []  # nothing was ingested
        join = client.post("/gradio_api/queue/join", json={"fn_index": 0, "data": []}, headers={"Origin": EVIL})
        assert join.status_code == 403  # the page's own Gradio endpoints alike
        assert client.get("/api/kbs", headers={"Origin": EVIL}).status_code == 200  # reads: CORS keeps them
        for headers in ({"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"},
                        {"Origin": "https://portal.example"}, {}):  # fmt: skip
            assert client.post("/api/search", json={"question": "pump"}, headers=headers).status_code == 200, headers
        assert client.post("/api/ingest", files=TEXT, headers={"Origin": "http://localhost"}).json()["ingested"] == 1
    fresh.server.check_origin = False
    with served(fresh) as client:
        assert client.post("/api/search", json={"question": "pump"}, headers={"Origin": EVIL}).status_code == 200


def test_with_api_keys_the_pages_gradio_endpoints_need_a_key_too(fresh: Settings):
    fresh.api.keys = [KEY]
    with served(fresh) as client:
        client.post("/api/ingest", files=TEXT, headers={"X-API-Key": KEY})
        for page in ("", "/en"):
            assert client.get(f"{page}/config").status_code == 401
            assert client.post(f"{page}/gradio_api/queue/join", json={"fn_index": 0, "data": []}).status_code == 401
            assert client.post(f"{page}/gradio_api/upload", files=TEXT).status_code == 401
            delete = {"data": ["pump.txt", "default"]}  # what gradio_client's predict(api_name="/delete_doc") posts
            assert client.post(f"{page}/gradio_api/call/delete_doc", json=delete).status_code == 401
            assert client.post(f"{page}/login", data={"username": "me", "password": "not-the-key"}).status_code == 400
        listed = client.get("/api/kbs/default/documents", headers={"X-API-Key": KEY}).json()["documents"]
        assert [d["path"] for d in listed] == ["pump.txt"]  # nothing was deleted
        assert client.post("/en/login", data={"username": "anyone", "password": KEY}).status_code == 200
        assert client.get("/en/config").status_code == 200  # signed in with the key


def test_a_service_open_to_anyone_does_not_listen_beyond_127_0_0_1(fresh: Settings, monkeypatch: pytest.MonkeyPatch):
    import uvicorn

    from app.web.doors import check_exposure  # imported here: the other tests run on a main without it
    from app.web.server import serve

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, **kw: started.append(host))
    for host in ("0.0.0.0", "::", "192.168.1.20", "zhiku.intranet"):
        with pytest.raises(ConfigError, match=r"neither api\.keys nor sign-in"):
            serve(fresh, host=host, port=7860)
    assert started == []  # refused before anything listened
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_exposure(fresh, host)
    for change in ("api.keys", "auth.enabled", "server.allow_open_network"):
        allowed = fresh.model_copy(deep=True)
        section, key = change.split(".")
        setattr(getattr(allowed, section), key, [KEY] if key == "keys" else True)
        check_exposure(allowed, "0.0.0.0")


def test_wrong_api_keys_lock_the_client_out(fresh: Settings):
    fresh.api.keys = [KEY]
    fresh.auth.max_failures, fresh.auth.lockout_s = 3, 60
    with served(fresh) as client:
        assert client.get("/api/kbs", headers={"X-API-Key": KEY}).status_code == 200
        assert client.get("/api/kbs").status_code == 401  # no key at all is not a guess
        for _ in range(3):
            assert client.get("/api/kbs", headers={"Authorization": "Bearer guess"}).status_code == 401
        locked = client.get("/api/kbs", headers={"X-API-Key": KEY})  # even the right key, while locked out
        assert "try again in 60 s" in is_error(locked, 429) and locked.headers["retry-after"] == "60"
        assert client.post("/v1/chat/completions", json={"messages": []}, headers={"X-API-Key": KEY}).status_code == 429


def test_wrong_passwords_lock_the_client_out(fresh: Settings):
    fresh.auth = AuthSettings(enabled=True, users={"alice": hash_password("pw-alice")}, max_failures=2, lockout_s=60)
    with served(fresh) as client:
        for _ in range(2):
            assert client.post("/login", data={"username": "alice", "password": "guess"}).status_code == 400
        locked = client.post("/en/login", data={"username": "alice", "password": "pw-alice"})
        assert "try again" in is_error(locked, 429) and int(locked.headers["retry-after"]) == 60


def test_the_lockout_doubles_up_to_its_cap_is_per_client_and_a_success_clears_it():
    from app.web.throttle import Throttle

    now = [1000.0]
    throttle = Throttle(AuthSettings(max_failures=2, lockout_s=10, max_lockout_s=35), clock=lambda: now[0])
    throttle.failed("a")
    assert throttle.wait_s("a") == 0  # one failure: still free
    throttle.failed("a")
    assert throttle.wait_s("a") == 10 and throttle.wait_s("b") == 0
    for expected in (20, 35, 35):  # doubled each time, up to the cap
        throttle.failed("a")
        assert throttle.wait_s("a") == expected
    now[0] += 35
    assert throttle.wait_s("a") == 0
    throttle.succeeded("a")
    throttle.failed("a")
    assert throttle.wait_s("a") == 0  # the count started again
