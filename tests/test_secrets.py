"""Secrets (password hashes, API keys, the LLM server's key, the Chroma token) come only from the config or the
environment, and never reach a log, an error message or the settings' printed form."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.web.auth import hash_password
from core.errors import ConfigError
from core.settings import load_settings
from tests.conftest import ROOT, TEST_CONFIG
from tests.web import free_port, wait_healthy

API_KEY, LLM_KEY, TOKEN = "zk-api-3f9c1d7e", "sk-llm-8a2b6c4d", "chroma-tok-5e7f9a1b"


def test_the_printed_settings_hold_no_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZHIKU_API__KEYS", f'["{API_KEY}"]')
    monkeypatch.setenv("ZHIKU_LLM__API_KEY", LLM_KEY)
    monkeypatch.setenv("ZHIKU_VECTORSTORE__TOKEN", TOKEN)
    settings = load_settings(TEST_CONFIG)
    assert settings.api.keys == [API_KEY] and settings.vectorstore.token == TOKEN  # they are read ...
    for shown in (repr(settings), str(settings)):
        assert API_KEY not in shown and LLM_KEY not in shown and TOKEN not in shown  # ... and never shown


def test_a_config_error_names_the_key_but_not_the_value(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('auth:\n  users:\n    alice: ["scrypt$16384$8$1$00aa$secret-digest"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"auth\.users\.alice") as raised:
        load_settings(bad)
    assert "secret-digest" not in str(raised.value)


def test_the_service_logs_no_secret(tmp_path: Path):
    env = {
        **os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(tmp_path),
        "ZHIKU_API__KEYS": f'["{API_KEY}"]', "ZHIKU_LLM__API_KEY": LLM_KEY, "ZHIKU_AUTH__ENABLED": "true",
        "ZHIKU_AUTH__USERS": f'{{"alice": "{hash_password("pw-alice-77")}"}}',
    }  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, alive=lambda: server.poll() is None)
        assert httpx.get(f"{url}/api/kbs", headers={"X-API-Key": "wrong"}).status_code == 401
        assert httpx.get(f"{url}/api/kbs", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
        missing = httpx.get(f"{url}/api/kbs/nowhere/documents", headers={"X-API-Key": API_KEY})
        assert missing.status_code == 404 and API_KEY not in missing.text
        httpx.post(f"{url}/login", data={"username": "alice", "password": "pw-alice-77"})
        httpx.post(f"{url}/login", data={"username": "alice", "password": "wrong-pw-88"})
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert "Zhiku: http://127.0.0.1" in output  # the output was captured
    for secret in (API_KEY, LLM_KEY, "pw-alice-77", "wrong-pw-88", "scrypt$"):
        assert secret not in output
