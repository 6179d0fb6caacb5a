"""Verified answers through the real service (`python -m app serve`, the packaged e5, real Chroma): served first
by /api/ask and /v1 with `verified` and `grounded: "verified"`, managed through /api/kbs/{kb}/verified behind the
API keys, flagged when its source document is uploaded again with other content, and 👍/👎 stored (issue 22)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_CONFIG
from tests.web import free_port, serve_process

KEY = "verified-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
NOTE = "CoolCut 8 datasheet. The pH of the working solution must stay between 8.5 and 9.5.\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir, port = tmp_path_factory.mktemp("verified"), free_port()
    env = {
        **os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir),
        "ZHIKU_API__KEYS": f'["{KEY}"]',
    }  # fmt: skip
    with serve_process(env, port) as url:
        yield url


def upload(url: str, text: str) -> None:
    files = [("files", ("coolant.txt", text.encode(), "text/plain"))]
    reply = httpx.post(f"{url}/api/ingest", files=files, data={"kb": "plant"}, headers=AUTH, timeout=300)
    assert reply.status_code == 200 and reply.json()["ingested"] == 1, reply.text


def ask(url: str, question: str) -> dict:
    body = {"question": question, "kb": "plant", "evidence_only": True, "use_cache": False}
    reply = httpx.post(f"{url}/api/ask", json=body, headers=AUTH, timeout=300)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_served_first_managed_behind_keys_and_flagged_on_change(served: str, tmp_path: Path):
    url = served
    upload(url, NOTE)
    item = {"question": "冷却液 pH 值的范围是多少？", "answer": "8.5 到 9.5。", "by": "alice",
            "sources": [{"document": "coolant.txt", "text": NOTE}]}  # fmt: skip
    assert httpx.post(f"{url}/api/kbs/plant/verified", json=item, timeout=60).status_code == 401  # no key
    added = httpx.post(f"{url}/api/kbs/plant/verified", json=item, headers=AUTH, timeout=300)
    assert added.status_code == 200, added.text
    verified_id = added.json()["verified"]["id"]

    answer = ask(url, "切削液的 pH 应该控制在多少？")
    assert answer["grounded"] == "verified" and answer["verified"]["id"] == verified_id
    assert answer["verified"]["by"] == "alice" and answer["answer"].startswith("已核实 · alice")
    other = ask(url, "冷却液的温度应该控制在多少？")
    assert other["verified"] is None and other["grounded"] != "verified"  # another attribute: retrieval answers
    assert other["verified_similar"]["id"] == verified_id  # offered as a question to ask, its words to compare
    assert other["verified_similar"]["question"] == item["question"]
    assert ask(url, "报警 E12 的冷却液 pH 值的范围是多少？")["verified_similar"] is None  # a code: never offered
    chat = {"model": "plant", "messages": [{"role": "user", "content": "切削液的 pH 应该控制在多少？"}]}
    reply = httpx.post(f"{url}/v1/chat/completions", json=chat, headers=AUTH, timeout=300).json()
    assert reply["zhiku"]["verified"]["id"] == verified_id and "8.5 到 9.5" in reply["choices"][0]["message"]["content"]

    upload(url, NOTE.replace("8.5 and 9.5", "8.0 and 9.0"))  # the source changes
    listed = httpx.get(f"{url}/api/kbs/plant/verified", params={"status": "to_review"}, headers=AUTH, timeout=60)
    assert [v["id"] for v in listed.json()["verified"]] == [verified_id]
    assert ask(url, "切削液的 pH 应该控制在多少？")["verified"] is None  # not served until confirmed
    confirm = httpx.post(f"{url}/api/kbs/plant/verified/{verified_id}/confirm", json={}, headers=AUTH, timeout=60)
    assert confirm.status_code == 200 and confirm.json()["verified"]["status"] == "active"
    assert ask(url, "切削液的 pH 应该控制在多少？")["verified"]["id"] == verified_id

    gone = httpx.delete(f"{url}/api/kbs/plant/verified/{verified_id}", headers=AUTH, timeout=60)
    assert gone.status_code == 200
    again = httpx.delete(f"{url}/api/kbs/plant/verified/{verified_id}", headers=AUTH, timeout=60)
    assert again.status_code == 404 and again.json()["error"]["message"]


def test_feedback_is_stored_and_bounded(served: str):
    url = served
    upload(url, NOTE)
    vote = {"kb": "plant", "rating": "down", "question": "pH?", "answer": "…", "reason": "wrong"}
    assert httpx.post(f"{url}/api/feedback", json=vote, timeout=60).status_code == 401
    assert httpx.post(f"{url}/api/feedback", json=vote, headers=AUTH, timeout=60).status_code == 200
    too_long = {**vote, "reason": "x" * 100_000}
    refused = httpx.post(f"{url}/api/feedback", json=too_long, headers=AUTH, timeout=60)
    assert refused.status_code == 413 and "reason" in refused.json()["error"]["message"]
    unknown_source = {"question": "Q?", "answer": "A.", "sources": [{"document": "nowhere.pdf"}]}
    bad = httpx.post(f"{url}/api/kbs/plant/verified", json=unknown_source, headers=AUTH, timeout=60)
    assert bad.status_code == 400 and "nowhere.pdf" in bad.json()["error"]["message"]
