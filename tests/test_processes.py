"""Several processes on one data dir (issue 19, item 2): `python -m app serve`, the `python -m ingest` CLI and
`python -m app search` run at once, as a team does, and none breaks another. All real processes on a real
on-disk Chroma; the USE embedder (in every process alike) keeps the ingestion short. Nothing waits a fixed
time: each step waits for a state (the service answering, the ingestion's exit, the manifest's documents).

Before `core/kb/shared_chroma.py`, a process that had opened Chroma before another one wrote asked its own
stale vector index for the new chunks: `chromadb InternalError: Error finding id`, a 500 on every question
touching them until a restart.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.datadir import DataDir
from core.kb import collection_name
from core.kb.vectors import VectorStore
from core.settings import VectorStoreSettings
from tests.conftest import ROOT, TEST_CONFIG, run_cli
from tests.web import free_port, wait_healthy

ENV = {"ZHIKU_EMBEDDING__PROVIDER": "use", "ZHIKU_INGEST__WORKERS": "2"}
TOPICS = ["主轴", "导轨", "刀塔", "冷却液", "液压卡盘", "润滑泵"]


def environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data_dir), **ENV}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("shared")
    first = tmp_path_factory.mktemp("first") / "pump.txt"
    first.write_text("The impeller clearance of pump P-7 is 0.3 mm.", encoding="utf-8")
    assert run_cli("ingest", str(first), data_dir=data, env=ENV).returncode == 0
    return data


@pytest.fixture(scope="module")
def url(data_dir: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=environment(data_dir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    address = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(address, alive=lambda: server.poll() is None)
        yield address
    finally:
        server.terminate()
        log = server.communicate(timeout=60)[0]
        assert "Error finding id" not in log, log[-3000:]


def search(url: str, question: str, kb: str = "default") -> list[str]:
    """The service's sources for the question (file names, best first); any status but 200 fails."""
    reply = httpx.post(f"{url}/api/search", json={"question": question, "kb": kb}, timeout=300)
    assert reply.status_code == 200, reply.text[:2000]
    return [Path(s["source"]).name for s in reply.json()["sources"]]


def cli_search(data_dir: Path, question: str) -> list[str]:
    done = run_cli("app", "search", "--json", question, data_dir=data_dir, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return [Path(s["source"]).name for s in json.loads(done.stdout)["sources"]]


def test_a_cli_ingest_while_serve_runs_is_answered_at_once(url: str, data_dir: Path, tmp_path: Path):
    assert search(url, "impeller clearance of pump P-7")[0] == "pump.txt"  # the service has opened Chroma
    gears = tmp_path / "gears"
    gears.mkdir()
    for i in range(1, 7):
        text = f"Gearbox G-{i} oil must be changed every {i * 500} hours; oil temperature limit {60 + i} C."
        (gears / f"gear{i}.txt").write_text(text, encoding="utf-8")
    done = run_cli("ingest", str(gears), data_dir=data_dir, env=ENV)
    assert done.returncode == 0, done.stderr

    assert search(url, "How often must the gearbox G-3 oil be changed?")[0] == "gear3.txt"  # was a 500
    question = {"question": "How often must the gearbox G-5 oil be changed?", "evidence_only": True}
    asked = httpx.post(f"{url}/api/ask", json=question, timeout=300)
    assert asked.status_code == 200, asked.text[:2000]
    assert Path(asked.json()["sources"][0]["source"]).name == "gear5.txt"

    # The service writes after the CLI did: its write must not lose the CLI's vectors, for it or anyone else.
    note = ("files", ("valve.txt", b"Valve V-12 opens at 4.5 bar.", "text/plain"))
    assert httpx.post(f"{url}/api/ingest", files=[note], timeout=300).json()["ingested"] == 1
    assert search(url, "At what pressure does valve V-12 open?")[0] == "valve.txt"
    assert cli_search(data_dir, "gearbox G-3 oil change interval")[0] == "gear3.txt"
    assert cli_search(data_dir, "valve V-12 opening pressure")[0] == "valve.txt"
    check = run_cli("ingest", "check", data_dir=data_dir, env=ENV)
    assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr


def test_a_reindex_by_the_cli_is_followed_by_the_service(url: str, data_dir: Path, tmp_path: Path):
    kb = "rebuilt"
    note = tmp_path / "belt.txt"
    note.write_text("Conveyor belt B-4 tension is checked every 200 hours.", encoding="utf-8")
    assert run_cli("ingest", str(note), "--kb", kb, data_dir=data_dir, env=ENV).returncode == 0
    assert search(url, "How often is the conveyor belt B-4 tension checked?", kb)[0] == "belt.txt"
    done = run_cli("ingest", "reindex", "--kb", kb, data_dir=data_dir, env=ENV)  # a new collection, the old dropped
    assert done.returncode == 0, done.stderr

    assert search(url, "How often is the conveyor belt B-4 tension checked?", kb)[0] == "belt.txt"
    store = VectorStore(kb, "", "", DataDir(data_dir), VectorStoreSettings())
    assert collection_name(kb) not in store.collection_names()  # the service did not bring the old one back
    check = run_cli("ingest", "check", "--kb", kb, data_dir=data_dir, env=ENV)
    assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr


def make_cards(folder: Path) -> None:
    """Six documents of a few hundred chunks each, every line distinct (no near-duplicates)."""
    folder.mkdir()
    for d, topic in enumerate(TOPICS):
        line = "{t}第{i}项检查：编号 {d}-{i} 的读数为 {v} 单位，偏差不超过 {p}%。"
        lines = [line.format(t=topic, i=i, d=d, v=i * 7 + d, p=i % 9 + 1) for i in range(500)]
        (folder / f"card{d}.txt").write_text("\n".join(lines), encoding="utf-8")


def ready_documents(data_dir: Path, kb: str) -> int:
    path = data_dir / "manifests" / f"{collection_name(kb)}.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return int(db.execute("SELECT COUNT(*) FROM documents WHERE status = 'ready'").fetchone()[0])


class Reader:
    """`python -m app search --json -`: one process that keeps Chroma open and asks a question per line."""

    def __init__(self, data_dir: Path, kb: str, log: Path) -> None:
        self.log = log
        with log.open("w") as err:  # a file, not a pipe: nobody reads it until the end
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "search", "--config", str(TEST_CONFIG), "--kb", kb, "--json", "-"],
                cwd=ROOT, env=environment(data_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                text=True,
            )  # fmt: skip

    def ask(self, question: str) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()  # one line per question; none when the process died
        assert line, f"the reader died: {self.log.read_text()[-3000:]}"
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            self.proc.stdin.close()  # end of the questions: it exits
        assert self.proc.wait(timeout=120) == 0, self.log.read_text()[-3000:]

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:  # a test that failed half-way leaves nothing running
            self.proc.kill()
            self.proc.wait()


def test_readers_in_other_processes_never_fail_during_an_ingest(url: str, data_dir: Path, tmp_path: Path):
    kb = "cards"
    first = tmp_path / "first.txt"
    first.write_text("防护门联锁开关每班检查一次。", encoding="utf-8")
    assert run_cli("ingest", str(first), "--kb", kb, data_dir=data_dir, env=ENV).returncode == 0
    question = "润滑泵第5项检查 读数 编号 5-5"  # the last card's words: found by keyword as its chunks arrive
    make_cards(tmp_path / "cards")
    with Reader(data_dir, kb, tmp_path / "reader.log") as reader, (tmp_path / "ingest.log").open("w") as log:
        assert reader.ask(question)["sources"]  # both readers have opened the collection before the ingest
        assert search(url, question, kb)
        ingest = subprocess.Popen(  # its output to a file, not a pipe: nobody reads it until the end
            [sys.executable, "-m", "ingest", "--config", str(TEST_CONFIG), "--kb", kb, str(tmp_path / "cards")],
            cwd=ROOT, env=environment(data_dir), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            during = 0  # questions asked of both while the ingestion had stored some cards and was still running
            uploaded = False  # and the service wrote into another knowledge base meanwhile
            while ingest.poll() is None:
                stored = ready_documents(data_dir, kb)
                reader.ask(question)
                search(url, question, kb)
                if stored > 1 and not uploaded:
                    note = ("files", ("hoist.txt", b"Hoist H-3 is rated for 2.5 t.", "text/plain"))
                    assert httpx.post(f"{url}/api/ingest", files=[note], timeout=300).json()["ingested"] == 1
                    uploaded = True
                if stored > 1 and ingest.poll() is None:
                    during += 1
        finally:
            if ingest.poll() is None:  # a failed question: the ingestion is not left running
                ingest.kill()
        assert ingest.wait() == 0, (tmp_path / "ingest.log").read_text()[-3000:]
        assert during and uploaded, "nothing was asked or uploaded while the ingestion was storing cards"
        assert reader.ask(question)["sources"][0]["source"].endswith("card5.txt")
        reader.close()
    assert search(url, question, kb)[0] == "card5.txt"
    assert search(url, "What load is hoist H-3 rated for?")[0] == "hoist.txt"
    for name in (kb, "default"):
        check = run_cli("ingest", "check", "--kb", name, data_dir=data_dir, env=ENV)
        assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr


def test_writers_into_one_knowledge_base_take_turns_instead_of_failing(url: str, data_dir: Path, tmp_path: Path):
    """A team at once (found by bench/soak.py): while a CLI ingestion holds a knowledge base's writer lock, three
    clients upload, one deletes and a second CLI ingestion starts, all into the same knowledge base. Each waits
    its turn. Before, each failed at once: 400 "another ingestion into knowledge base 'team' is running", and the
    second CLI exited 2 with that line."""
    kb = "team"
    old = tmp_path / "fuse.txt"
    old.write_text("Spare fuse F-2 is kept in drawer 4.", encoding="utf-8")
    assert run_cli("ingest", str(old), "--kb", kb, data_dir=data_dir, env=ENV).returncode == 0
    (old_doc,) = [d["doc_id"] for d in httpx.get(f"{url}/api/kbs/{kb}/documents", timeout=60).json()["documents"]]
    make_cards(tmp_path / "cards")
    later = tmp_path / "later"
    later.mkdir()
    (later / "belt.txt").write_text("Conveyor belt B-9 is replaced every 4000 hours.", encoding="utf-8")

    def upload(i: int) -> httpx.Response:
        note = ("files", (f"note{i}.txt", f"Torque wrench TW-{i} is calibrated to {i * 10 + 5} N·m.".encode()))
        return httpx.post(f"{url}/api/ingest", data={"kb": kb}, files=[note], timeout=600)

    with (tmp_path / "ingest.log").open("w") as log:
        ingest = subprocess.Popen(  # its output to a file, not a pipe: nobody reads it until the end
            [sys.executable, "-m", "ingest", "--config", str(TEST_CONFIG), "--kb", kb, str(tmp_path / "cards")],
            cwd=ROOT, env=environment(data_dir), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while ready_documents(data_dir, kb) < 2:  # the fuse, then the first card: it holds the lock
                assert ingest.poll() is None, (tmp_path / "ingest.log").read_text()[-3000:]
                time.sleep(0.05)
            with ThreadPoolExecutor(5) as pool:
                uploads = [pool.submit(upload, i) for i in range(3)]
                deleted = pool.submit(httpx.delete, f"{url}/api/kbs/{kb}/documents/{old_doc}", timeout=600)
                second = pool.submit(run_cli, "ingest", str(later), "--kb", kb, data_dir=data_dir, env=ENV)
                assert ingest.poll() is None, "the first ingestion ended before the others came"
                for done in uploads:
                    assert done.result().status_code == 200, done.result().text[:2000]
                    assert done.result().json()["ingested"] == 1
                assert deleted.result().status_code == 200, deleted.result().text[:2000]
                assert second.result().returncode == 0, second.result().stderr[-3000:]
        finally:
            if ingest.poll() is None:  # a failed request: the ingestion is not left running
                ingest.kill()
        assert ingest.wait() == 0, (tmp_path / "ingest.log").read_text()[-3000:]

    listed = {Path(d["path"]).name for d in httpx.get(f"{url}/api/kbs/{kb}/documents", timeout=60).json()["documents"]}
    assert listed == {f"card{d}.txt" for d in range(len(TOPICS))} | {"note0.txt", "note1.txt", "note2.txt", "belt.txt"}
    assert search(url, "How often is conveyor belt B-9 replaced?", kb)[0] == "belt.txt"
    check = run_cli("ingest", "check", "--kb", kb, data_dir=data_dir, env=ENV)
    assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr
