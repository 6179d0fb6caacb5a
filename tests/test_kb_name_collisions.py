"""Knowledge base names that must not collide (issue 19, item 10), against the real service: `python -m app serve`
in a process of its own with sign-in and API keys on, alice's private knowledge base "工艺卡" made through the
page (gradio_client, signed in), probed through the API with the name its files are stored under:
sha256("工艺卡")[:24] = 757af14b4377895f4336d2f6.

Before: that name opened 工艺卡's knowledge base; a GET with it was refused (403, alice's private one) but had
already renamed her knowledge base "757af14b4377895f4336d2f6" in every listing."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from app.web.auth import hash_password
from core.datadir import DataDir
from core.kb import knowledge_bases
from tests.conftest import TEST_CONFIG
from tests.web import free_port, serve_process

KEY = "zk-names-91c3"
AUTH = {"Authorization": f"Bearer {KEY}"}
PASSWORD = "alice-pump-room-7"
CARDS = "工艺卡"
HEX = hashlib.sha256(CARDS.encode()).hexdigest()[:24]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir, port = tmp_path_factory.mktemp("names"), free_port()
    env = {
        **os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir),
        "ZHIKU_API__KEYS": json.dumps([KEY]), "ZHIKU_AUTH__ENABLED": "true",
        "ZHIKU_AUTH__USERS": json.dumps({"alice": hash_password(PASSWORD)}),
    }  # fmt: skip
    with serve_process(env, port) as url:
        yield url, data_dir


def test_a_hash_looking_name_is_a_knowledge_base_of_its_own(served: tuple[str, Path], tmp_path: Path):
    url, data_dir = served
    assert HEX == "757af14b4377895f4336d2f6"
    alice = Client(f"{url}/en/", auth=("alice", PASSWORD), verbose=False)
    status, picker, *_ = alice.predict(CARDS, True, api_name="/create_kb")  # private to alice
    assert status == "" and picker["value"] == CARDS
    card = tmp_path / "card.txt"
    card.write_text("Process card PC-12: anneal the shaft at 640 °C for 2 hours.", encoding="utf-8")
    status, *_ = alice.predict([handle_file(str(card))], api_name="/upload")
    assert "card.txt — ingested" in status

    # Read through the API (key holders see shared knowledge bases only): no knowledge base by that name.
    probe = httpx.get(f"{url}/api/kbs/{HEX}/documents", headers=AUTH, timeout=60)
    assert probe.status_code == 404, probe.text
    asked = httpx.post(f"{url}/api/ask", json={"question": "anneal temperature PC-12?", "kb": HEX}, headers=AUTH)
    assert asked.status_code == 404
    # ... and alice's knowledge base keeps its name, in the data dir and in her page.
    assert [info.name for info in knowledge_bases(DataDir(data_dir))] == ["default", CARDS]
    again = Client(f"{url}/en/", auth=("alice", PASSWORD), verbose=False)  # another browser of hers
    status, picker, *_ = again.predict(CARDS, True, api_name="/create_kb")  # opens hers: it exists
    again.close()
    assert status == "" and picker["choices"] == [["default", "default"], [CARDS, CARDS]]

    # The hex name makes a knowledge base of its own, which holds nothing of alice's.
    note = [("files", ("hex.txt", b"Knowledge base named by sixteen hex pairs: pump P-3 seals.", "text/plain"))]
    made = httpx.post(f"{url}/api/ingest", files=note, data={"kb": HEX}, headers=AUTH, timeout=300)
    assert made.status_code == 200 and made.json()["ingested"] == 1, made.text
    listed = httpx.get(f"{url}/api/kbs/{HEX}/documents", headers=AUTH).json()["documents"]
    assert [d["path"] for d in listed] == ["hex.txt"]
    found = httpx.post(f"{url}/api/search", json={"question": "anneal shaft 640", "kb": HEX}, headers=AUTH).json()
    assert all(s["source"] == "hex.txt" for s in found["sources"])
    assert sorted(info.name for info in knowledge_bases(DataDir(data_dir))) == sorted(["default", CARDS, HEX])
    *_, documents, _, _ = alice.predict(CARDS, True, api_name="/create_kb")
    alice.close()
    assert [row[0] for row in documents["data"]] == ["card.txt"]
