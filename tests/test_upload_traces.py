"""What a killed upload and a deleted document leave behind (issue 19, item 9), against the real service:
`python -m app serve` in a process of its own on 127.0.0.1 with the real models, its temp dir (TMPDIR, so the
API's staging folders and Gradio's cache) in the test's own folder; files uploaded over real HTTP (httpx) and
through the page (gradio_client); the server killed with SIGKILL half-way through an upload.

Before: after the kill, the half-written document stayed searchable until the next write, and its
`zhiku-upload-*` folder stayed in the temp dir; a deleted document's file stayed in `data/uploads/` and the
page's copy in Gradio's cache."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.conftest import ROOT, TEST_CONFIG
from tests.web import free_port, wait_healthy

# Long enough to embed for a while (thousands of chunks), every line a distinct fact.
BIG = "\n".join(
    f"Record {i}: the kappa-{i} valve of line 9 is checked every {i % 7 + 1} weeks by team {i % 5}."
    for i in range(8000)
)
KAPPA = "Which kappa valve of line 9 is checked by team 3?"


class Service:
    def __init__(self, data_dir: Path, temp: Path) -> None:
        self.data_dir, self.temp, self.port = data_dir, temp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir), "TMPDIR": str(temp),
        }  # fmt: skip
        env.pop("GRADIO_TEMP_DIR", None)  # Gradio's cache: the temp dir's `gradio`
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_healthy(self.url, alive=lambda: self.process.poll() is None)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a page client a failed test left open holds the shutdown
            self.process.kill()
            self.process.communicate(timeout=60)

    def sources(self, question: str) -> list[str]:
        found = httpx.post(f"{self.url}/api/search", json={"question": question}, timeout=120).json()
        return [s["source"] for s in found["sources"]]

    def documents(self) -> list[str]:
        return [d["path"] for d in httpx.get(f"{self.url}/api/kbs/default/documents").json()["documents"]]


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def staging_folders(temp: Path) -> list[Path]:
    return sorted(temp.glob("zhiku-upload-*"))


def test_a_server_killed_during_an_upload_leaves_nothing_half_done(tmp_path: Path, temp: Path):
    data_dir = tmp_path / "data"
    service = Service(data_dir, temp)
    try:
        note = ("files", ("pump.txt", b"The impeller clearance of pump P-7 is 0.3 mm.", "text/plain"))
        assert httpx.post(f"{service.url}/api/ingest", files=[note], timeout=300).json()["ingested"] == 1
        upload = threading.Thread(target=lambda: upload_quietly(service.url), daemon=True)
        upload.start()
        while "big.txt" not in service.sources(KAPPA):  # its first chunks are stored and found: half written
            assert upload.is_alive(), "the upload ended before it could be interrupted"
        assert staging_folders(temp)  # half written (listed as still embedding since issue 20, item 4)
        service.process.send_signal(signal.SIGKILL)
        service.stop()
        upload.join(timeout=60)
    finally:
        service.stop()

    restarted = Service(data_dir, temp)
    try:
        assert "big.txt" not in restarted.sources(KAPPA) and restarted.documents() == ["pump.txt"]
        assert staging_folders(temp) == []
        assert sorted(p.name for p in (data_dir / "uploads" / "default").iterdir()) == ["pump.txt"]
        assert restarted.sources("impeller clearance of pump P-7")[0] == "pump.txt"
    finally:
        restarted.stop()


def upload_quietly(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
        httpx.post(f"{url}/api/ingest", files=[("files", ("big.txt", BIG.encode(), "text/plain"))], timeout=600)


def test_deleting_a_document_removes_every_copy_of_its_file(tmp_path: Path, temp: Path):
    data_dir, gradio_cache = tmp_path / "data", temp / "gradio"
    service = Service(data_dir, temp)
    try:
        secret = tmp_path / "salaries.txt"
        secret.write_text("Salary of the P-7 maintenance lead: 23,400 yuan a month.", encoding="utf-8")
        older = tmp_path / "older" / "salaries.txt"
        older.parent.mkdir()
        older.write_text("Salary of the P-7 maintenance lead: 21,000 yuan a month (2025).", encoding="utf-8")
        page = Client(f"{service.url}/en/", verbose=False)
        for version in (older, secret):  # uploaded twice through the page: two copies in Gradio's cache
            status, *_ = page.predict([handle_file(str(version))], api_name="/upload")
            assert "salaries.txt — ingested" in status
        api_note = ("files", ("api-note.txt", b"Bonus of the P-7 team: 5,000 yuan.", "text/plain"))
        assert httpx.post(f"{service.url}/api/ingest", files=[api_note], timeout=300).json()["ingested"] == 1
        stored = data_dir / "uploads" / "default"
        assert {p.name for p in stored.iterdir()} == {"salaries.txt", "api-note.txt"}
        assert len(copies(gradio_cache, "salaries.txt")) >= 2
        assert {"23,400", "21,000"} <= {figure for text in cached_texts(gradio_cache) for figure in text.split()}

        status, *_ = page.predict("salaries.txt", api_name="/delete_doc")
        page.close()  # its heartbeat stream would hold the server's shutdown
        assert "salaries.txt" not in service.documents()
        assert {p.name for p in stored.iterdir()} == {"api-note.txt"}
        assert copies(gradio_cache, "salaries.txt") == []
        assert not any("23,400" in text or "21,000" in text for text in cached_texts(gradio_cache))

        deleted = httpx.delete(f"{service.url}/api/kbs/default/documents/api-note.txt")
        assert deleted.status_code == 200 and deleted.json()["deleted"] == ["api-note.txt"]
        assert list(stored.iterdir()) == []
    finally:
        service.stop()


def copies(cache: Path, name: str) -> list[Path]:
    return sorted(cache.rglob(name)) if cache.is_dir() else []


def cached_texts(cache: Path) -> Iterator[str]:
    for path in cache.rglob("*") if cache.is_dir() else []:
        if path.is_file():
            yield path.read_bytes().decode("utf-8", "replace")
