"""A full disk during ingestion (issue 19, "disk full"): the real CLI under a file-size limit, which makes every
write past it fail as a full disk does (EFBIG, SQLite's I/O error). It must stop with one clear line, no
traceback, and leave a knowledge base the next run completes and `ingest check` finds consistent."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from app.web.api import API_OWNER
from core.datadir import DataDir
from tests.conftest import ROOT, TEST_CONFIG, json_lines, run_cli
from tests.web import free_port, serving

FILES = 40
LIMIT_BYTES = 2_000_000  # far less than the 40 files' chunks, vectors and indexes take


def cards(folder: Path) -> Path:
    folder.mkdir()
    for i in range(1, FILES + 1):
        lines = [
            f"Card {i}, step {j}: machine M{i}-{j} takes {(i * 37 + j) % 997} N·m; alarm AL-{100 + j}."
            for j in range(150)
        ]
        (folder / f"card{i:02d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return folder


def limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, LIMIT_BYTES))


def test_a_full_disk_stops_ingestion_clearly_and_the_next_run_completes_it(tmp_path: Path):
    docs, data = cards(tmp_path / "docs"), tmp_path / "data"
    full = subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(TEST_CONFIG), str(docs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "ZHIKU_DATA_DIR": str(data)},
        preexec_fn=limited,
        timeout=900,
    )
    assert full.returncode == 2, full.stderr[-2000:]
    assert "Traceback" not in full.stderr
    (line,) = [x for x in full.stderr.splitlines() if x.startswith("error:")]
    assert "could not write to the data dir" in line and "free space and run again" in line

    again = run_cli("ingest", str(docs), data_dir=data)
    assert again.returncode == 0, again.stderr[-2000:]
    assert run_cli("ingest", "check", data_dir=data).returncode == 0
    listed = json_lines(run_cli("ingest", "list", "--json", data_dir=data).stdout)
    assert len(listed) == FILES and {d["status"] for d in listed} == {"ingested"}


# -- a conversation's write (issue 19, "a conversation write hitting ENOSPC") ----------------------------------
# A turn of the questions below is ~40 KB (its sources are kept whole), more than TURN_LIMIT: under the limit the
# conversation store's write fails as on a full disk, and the other writes of an answer (SQLite's 32 KB shared
# memory file, the answer cache's first pages) still fit.
TURN_LIMIT = 36_000
ASKED = ["主轴润滑周期是多少小时?", "报警代码 AL-120 是什么意思?", "报警代码 AL-121 的扭矩是多少?"]


@pytest.fixture(scope="module")
def card_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base of twelve maintenance cards, each step a distinct fact."""
    docs, data = tmp_path_factory.mktemp("cards"), tmp_path_factory.mktemp("card-kb")
    for i in range(1, 13):
        lines = [
            f"主轴保养卡 {i} 第 {j} 步：机床 M{i}-{j} 的主轴润滑周期为 {(i * 37 + j) % 997} 小时，"
            f"报警代码 AL-{100 + j}，扭矩 {(i * 13 + j) % 311} N·m。"
            for j in range(40)
        ]
        (docs / f"card{i:02d}.txt").write_text("\n".join(lines), encoding="utf-8")
    assert run_cli("ingest", str(docs), data_dir=data).returncode == 0
    return data


def limited_to(limit: int) -> Callable[[], None]:
    """A soft file-size limit (the hard one unlimited, so the test can lift it, as freeing space does)."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return limit_files


def asked_in(data: Path, session: str, question: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "ask", "--config", str(TEST_CONFIG), "--json", "--evidence-only",
         "-k", "60", "--session", session, question],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "ZHIKU_DATA_DIR": str(data)},
        preexec_fn=limited_to(limit) if limit else None, timeout=600,
    )  # fmt: skip


def saved(data: Path, session: str, owner: str = "") -> list[str]:
    """The questions of the conversation's stored turns, read by another process as any reader would."""
    with closing(sqlite3.connect(DataDir(data).conversations)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute(
            "SELECT t.question FROM turns t JOIN conversations c ON c.id = t.conversation_id"
            " WHERE c.id = ? AND c.owner = ? ORDER BY t.n",
            (session, owner),
        )
        return [question for (question,) in rows]


def test_a_full_disk_while_saving_a_turn_shows_the_answer_and_one_line_and_the_next_turn_is_saved(
    card_kb: Path, tmp_path: Path
):
    data = tmp_path / "data"
    shutil.copytree(card_kb, data)
    first = asked_in(data, "s1", ASKED[0])
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(first.stdout.encode()) > TURN_LIMIT  # the premise: one turn does not fit under the limit

    full = asked_in(data, "s1", ASKED[1], TURN_LIMIT)
    assert full.returncode == 2, full.stderr[-2000:]
    assert "Traceback" not in full.stderr
    (line,) = [x for x in full.stderr.splitlines() if x.startswith("error:")]
    assert "not saved" in line and "disk full" in line and "'s1'" in line
    answer = json.loads(full.stdout)  # the answer asked for is still given
    assert "AL-120" in answer["answer"] and answer["session"] == "s1" and answer["sources"]
    assert saved(data, "s1") == ASKED[:1]  # no half-written turn

    again = asked_in(data, "s1", ASKED[2])
    assert again.returncode == 0, again.stderr[-2000:]
    assert saved(data, "s1") == [ASKED[0], ASKED[2]]


def test_a_full_disk_while_the_service_saves_a_turn_is_a_507_with_the_answer_and_the_next_write_works(
    card_kb: Path, tmp_path: Path
):
    data = tmp_path / "data"
    shutil.copytree(card_kb, data)
    assert asked_in(data, "s1", ASKED[0]).returncode == 0  # the conversation store exists, as it does in use
    env = {**os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data)}
    with serving(env, free_port(), limited_to(TURN_LIMIT)) as (url, server):

        def ask(question: str) -> httpx.Response:
            body = {"question": question, "session": "s2", "evidence_only": True, "k": 60}
            return httpx.post(f"{url}/api/ask", json=body, timeout=300)

        full = ask(ASKED[1])
        assert full.status_code == 507, full.text[:500]
        body = full.json()
        assert set(body) == {"error", "answer"} and body["error"]["type"] == "server_error"
        assert "not saved" in body["error"]["message"] and "disk full" in body["error"]["message"]
        assert "AL-120" in body["answer"]["answer"] and body["answer"]["session"] == "s2"
        assert saved(data, "s2", API_OWNER) == []

        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        again = ask(ASKED[2])  # space freed: the same process, the same connection, writes again
        assert again.status_code == 200, again.text[:500]
        assert saved(data, "s2", API_OWNER) == [ASKED[2]]
