"""A client that goes away mid-answer stops its answer and frees the model (issue 19, item 4), against the real
service: `python -m app serve` in a process of its own on 127.0.0.1 with the packaged Gemma 3 270M, called over
real sockets that are closed half-way, as an impatient client (or a closed browser tab) does.

The model is made to talk long: greedy, without a repeat penalty and with 2,000 tokens to fill, it counts on past
the list it is asked about (Q-060, Q-061, ...) for a minute or more. Whether an answer still runs is read from the
server process's CPU time: before the fix, the dropped answer kept both cores busy until its last token, and
the next question waited behind it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, ROOT, TEST_CONFIG
from tests.web import free_port, wait_healthy

CODES = "Inspection codes of line 3: " + ", ".join(f"Q-{i:03d}" for i in range(1, 60)) + "."
LONG = "Which inspection codes does line 3 have?"  # the model counts on for max_tokens
SHORT = "What must the impeller clearance be?"  # answered in a few dozen tokens
IDLE_WITHIN_S = (
    45.0  # a stopped answer: its first token at most (Gemma reads the prompt in 1-10 s); a running one: 80 s+
)


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port, self.url = process, port, f"http://127.0.0.1:{port}"

    def cpu_s(self) -> float:
        """CPU seconds the server process has used (all its threads: llama.cpp's included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_busy(self, within_s: float = 120.0) -> None:
        """Until the server computes (the model reads the prompt or writes)."""
        self._wait(lambda used, spent: used > 0.5 * spent, within_s, "the server never started generating")

    def wait_idle(self, within_s: float = IDLE_WITHIN_S) -> None:
        """Until a whole second passes with the server using under a fifth of a core: nothing generates."""
        self._wait(lambda used, spent: used < 0.2 * spent, within_s, "the server is still generating")

    def _wait(self, done: object, within_s: float, failure: str) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited"
            before, started = self.cpu_s(), time.monotonic()
            time.sleep(1.0)  # the window the CPU time is measured over
            if done(self.cpu_s() - before, time.monotonic() - started):  # type: ignore[operator]
                return
        raise AssertionError(f"{failure} {within_s:.0f} s after the client went away")

    def ask_short(self) -> dict:
        """The next question needs the model too, and must be answered (a generous timeout, not a measure)."""
        reply = httpx.post(f"{self.url}/api/ask", json={"question": SHORT, "use_cache": False}, timeout=600)
        assert reply.status_code == 200, reply.text[:300]
        answer = reply.json()
        assert answer["grounded"] in ("supported", "quoted") and "0.3 mm" in answer["answer"]
        return answer


def post(port: int, path: str, payload: dict) -> socket.socket:
    """A request on a raw socket, so the test decides when the client goes away."""
    body = json.dumps(payload).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    raw = socket.create_connection(("127.0.0.1", port), timeout=300)
    raw.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return raw


def read_until(raw: socket.socket, marker: bytes, count: int = 1) -> bytes:
    got = b""
    while got.count(marker) < count:
        piece = raw.recv(65536)
        assert piece, f"the server closed the connection first: {got[-300:]!r}"
        got += piece
    return got


def stream_until_lead(server: Server) -> socket.socket:
    """A streamed OpenAI chat, read up to the lead answer (its role, sources and quoted lead): the model's draft
    starts now."""
    raw = post(server.port, "/v1/chat/completions", {"model": "zhiku", "stream": True, "messages": [
        {"role": "user", "content": LONG},
    ]})  # fmt: skip
    read_until(raw, b"data: {", 3)
    return raw


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(tmp_path_factory.mktemp("gone")),
        "ZHIKU_LLM__MAX_TOKENS": "2000", "ZHIKU_LLM__REPEAT_PENALTY": "1.0", "ZHIKU_CACHE__ENABLED": "false",
    }  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        found = Server(process, port)
        wait_healthy(found.url, alive=lambda: process.poll() is None)
        files = [
            ("files", ("codes.txt", CODES.encode(), "text/plain")),
            ("files", ("pump_manual.pdf", (FIXTURES / "pump_manual.pdf").read_bytes(), "application/pdf")),
        ]
        assert httpx.post(f"{found.url}/api/ingest", files=files, timeout=300).json()["ingested"] == 2
        found.ask_short()  # the model loaded
        yield found
    finally:
        process.terminate()
        process.communicate(timeout=60)


@pytest.fixture(autouse=True)
def idle_at_start(server: Server) -> None:
    """Each test starts with nothing generating, whatever the one before left running."""
    server.wait_idle(within_s=600)


def test_a_dropped_stream_stops_its_answer_and_the_next_question_is_answered(server: Server):
    for _ in range(3):
        stream_until_lead(server).close()
        server.wait_idle()
        server.ask_short()


def test_an_answer_waiting_for_the_model_leaves_the_queue_when_its_client_goes(server: Server):
    first = stream_until_lead(server)
    server.wait_busy()
    second = stream_until_lead(server)  # its draft waits for the model, which the first one holds
    second.close()
    first.close()
    server.wait_idle()
    server.ask_short()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/ask", {"question": LONG, "use_cache": False}),
        ("/v1/chat/completions", {"model": "zhiku", "messages": [{"role": "user", "content": LONG}]}),
    ],
)
def test_a_client_that_gives_up_on_a_whole_answer_stops_it_too(server: Server, path: str, payload: dict):
    raw = post(server.port, path, payload)
    server.wait_busy()
    raw.close()  # a client's timeout: nothing was sent back yet
    server.wait_idle()
    server.ask_short()


def test_a_closed_page_stops_its_answer(server: Server):
    """The page's chat as a browser runs it (Gradio's queue: join, then the event stream), the tab closed while
    the model writes."""
    page, session = f"{server.url}/en", uuid.uuid4().hex
    config = httpx.get(f"{page}/config", timeout=60).json()
    chat = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "chat")
    shown = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    data = [LONG, *(shown.get(i) for i in config["dependencies"][chat]["inputs"][1:])]  # as the page stands
    joined = httpx.post(
        f"{page}/gradio_api/queue/join", timeout=60,
        json={"data": data, "fn_index": chat, "session_hash": session, "event_data": None, "trigger_id": None},
    )  # fmt: skip
    assert joined.status_code == 200, joined.text[:300]
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=300)
    raw.sendall(f"GET /en/gradio_api/queue/data?session_hash={session} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    read_until(raw, b"process_generating", 2)  # the question and its passages are shown: the model drafts
    server.wait_busy()
    raw.close()
    server.wait_idle()
    server.ask_short()
