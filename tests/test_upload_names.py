"""Uploaded file names (issue 19, item 8), against the real service: `python -m app serve` in a process of its own
on 127.0.0.1, with the real models, called over real HTTP (httpx) and through the page (gradio_client).

Before: a name over 255 bytes answered 500, left the request's other files copied but not ingested and an empty
knowledge base made; `a/x.txt` and `b/x.txt` in one request were both stored as `x.txt`, the second over the
first, and reported "skipped: unchanged content"."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.conftest import TEST_CONFIG
from tests.web import free_port, serve_process

LONG_NAME = "泵" * 100 + ".txt"  # 304 bytes in UTF-8: more than a file name may hold (255)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir, port = tmp_path_factory.mktemp("upload-names"), free_port()
    env = {**os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir)}
    with serve_process(env, port) as url:
        yield url, data_dir


def text_file(name: str, text: str) -> tuple[str, tuple[str, bytes, str]]:
    return "files", (name, text.encode(), "text/plain")


def test_a_name_over_255_bytes_fails_that_file_alone(served: tuple[str, Path]):
    url, data_dir = served
    files = [
        text_file(LONG_NAME, "Pump P-5 note, under a name no file system holds."),
        text_file("short.txt", "The seal of pump P-5 is changed every year."),
    ]
    done = httpx.post(f"{url}/api/ingest", files=files, timeout=300)
    assert done.status_code == 200, done.text[:300]
    results = {r["status"]: r for r in done.json()["results"]}
    assert results["ingested"]["source"] == "short.txt"
    assert results["failed"]["error"] == "file name too long (304 bytes; at most 255)"
    assert len(results["failed"]["source"]) < 100  # named, not repeated whole
    listed = httpx.get(f"{url}/api/kbs/default/documents").json()["documents"]
    assert [d["path"] for d in listed] == ["short.txt"]

    # Alone, into a knowledge base that does not exist yet: a 400 that says why, and no knowledge base made.
    alone = httpx.post(f"{url}/api/ingest", files=files[:1], data={"kb": "fresh"}, timeout=300)
    assert alone.status_code == 400, alone.text[:300]
    assert "file name too long (304 bytes; at most 255)" in alone.json()["error"]["message"]
    assert "fresh" not in [kb["name"] for kb in httpx.get(f"{url}/api/kbs").json()["kbs"]]
    assert httpx.get(f"{url}/api/kbs/fresh/documents").status_code == 404
    assert not (data_dir / "uploads" / "fresh").exists()


def test_the_same_name_from_two_folders_keeps_both_files(served: tuple[str, Path], tmp_path: Path):
    url, data_dir = served
    files = [
        text_file("a/x.txt", "Line A: the A-7 press runs at 90 bar."),
        text_file("b/x.txt", "Line B: the B-7 press runs at 120 bar."),
    ]
    done = httpx.post(f"{url}/api/ingest", files=files, timeout=300).json()
    assert sorted((r["source"], r["status"]) for r in done["results"]) == [
        ("x (2).txt", "ingested"), ("x.txt", "ingested"),
    ]  # fmt: skip
    stored = data_dir / "uploads" / "default"
    assert (stored / "x.txt").read_text().startswith("Line A")
    assert (stored / "x (2).txt").read_text().startswith("Line B")
    found = httpx.post(f"{url}/api/search", json={"question": "B-7 press pressure"}).json()
    assert found["sources"][0]["source"] == "x (2).txt"

    # The page: two files of one upload with the same name, from two folders of the user's disk.
    for folder, text in (("c", "Line C: the C-7 press runs at 60 bar."), ("d", "Line D: the D-7 press at 75 bar.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "y.txt").write_text(text)
    page = Client(f"{url}/en/", verbose=False)
    status, *_ = page.predict([handle_file(str(tmp_path / f / "y.txt")) for f in "cd"], api_name="/upload")
    page.close()  # its heartbeat stream would hold the server's shutdown
    assert "y.txt — ingested" in status and "y (2).txt — ingested" in status
    assert {(stored / "y.txt").read_text()[:6], (stored / "y (2).txt").read_text()[:6]} == {"Line C", "Line D"}
