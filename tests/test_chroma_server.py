"""`vectorstore.mode: http`: a real Chroma server (`chroma run`, started here on 127.0.0.1) holds the vectors;
ingest, search and ask run through it as users run them (the CLI, configured from the environment)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import json_lines, run_cli
from tests.web import free_port, wait_until_up

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port, folder = free_port(), tmp_path_factory.mktemp("chroma-server")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    server = subprocess.Popen(
        [CHROMA, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60, alive=lambda: server.poll() is None)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def http_env(port: int) -> dict[str, str]:
    return {"ZHIKU_VECTORSTORE__MODE": "http", "ZHIKU_VECTORSTORE__PORT": str(port)}


def test_ingest_search_and_ask_through_a_chroma_server(chroma_port: int, docs_dir: Path, tmp_path: Path):
    env = http_env(chroma_port)
    ingested = run_cli("ingest", str(docs_dir), data_dir=tmp_path, env=env)
    assert ingested.returncode == 0, ingested.stderr
    assert not (tmp_path / "chroma").exists()  # the vectors went to the server, not the data dir

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_port)
    stored = client.get_collection("kb-default")
    assert stored.count() > 0 and stored.metadata["embedding_model"]

    found = run_cli("app", "search", "--json", "What must the impeller clearance be?", data_dir=tmp_path, env=env)
    assert found.returncode == 0, found.stderr
    top = json_lines(found.stdout)[0]["sources"][0]
    assert (Path(top["source"]).name, top["page"]) == ("pump_manual.pdf", 2)
    asked = run_cli("app", "ask", "--json", "冷却塔风机皮带多久检查一次？", data_dir=tmp_path, env=env)
    assert asked.returncode == 0, asked.stderr
    assert Path(json_lines(asked.stdout)[0]["sources"][0]["source"]).name == "冷却塔.txt"

    before = stored.count()
    deleted = run_cli("ingest", "delete", top["source"], data_dir=tmp_path, env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert not stored.get(where={"doc_id": top["doc_id"]})["ids"] and stored.count() < before  # gone from the server


def test_an_unreachable_chroma_server_is_named_in_the_error(tmp_path: Path, docs_dir: Path):
    closed = free_port()  # nothing listens there
    result = run_cli("ingest", str(docs_dir / "冷却塔.txt"), data_dir=tmp_path, env=http_env(closed))
    assert result.returncode != 0
    assert f"cannot reach the Chroma server at http://127.0.0.1:{closed}" in result.stderr
    assert "Traceback" not in result.stderr
