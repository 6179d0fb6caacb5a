"""Asking while it ingests (issue 20, item 4), with real processes: a `python -m ingest` of a multi-page PDF and a
running reader (`python -m app search --json -`, as the service would be) on one data dir; real e5, Chroma, FTS5.

The reader asks once the document's keyword half is stored (read from the data dir, not after a time) and gets the
passage flagged as still being embedded; after the ingestion the flag is gone. An ingestion killed with SIGKILL
while it embeds leaves a knowledge base `ingest check` finds consistent but for the unfinished document, and the
next run completes it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, TEST_CONFIG, pdf_with_pages, run_cli

ENV = {"ZHIKU_EMBEDDING__THREADS": "1", "ZHIKU_INGEST__WORKERS": "1"}  # embedding slow enough to ask during it
FACT = "The coolant pump of the QX-7 lathe delivers 42 litres per minute at 3 bar."
QUESTION = "How many litres per minute does the QX-7 coolant pump deliver?"
PARTS = ["spindle", "gearbox", "tailstock", "carriage", "turret", "chuck", "guideway", "ballscrew"]


def manual(path: Path, pages: int, fact_page: int, seed: int) -> Path:
    """A manual of `pages` pages of distinct maintenance sentences, `FACT` on one of them."""
    texts = []
    for p in range(pages):
        lines = [
            f"Check {PARTS[(p + i + seed) % len(PARTS)]} item {seed}-{p}-{i}: reading {p * 13 + i * 7 + seed} units,"
            f" tolerance {i % 5 + 1} percent, interval {(p + i) % 30 + 1} days, torque {p + i + 20} N m."
            for i in range(8)
        ]
        if p == fact_page:
            lines.insert(3, FACT)
        texts.append(" ".join(lines))
    return pdf_with_pages(path, texts)


def read_db(path: Path, sql: str) -> list[tuple[Any, ...]]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return list(db.execute(sql))
    except sqlite3.Error:
        return []


def state(data: Path) -> tuple[list[str], int, int]:
    """(document statuses, chunks of writing documents, chunks indexed but not embedded yet)."""
    manifest = next(iter((data / "manifests").glob("*.sqlite3")), None) if (data / "manifests").exists() else None
    keywords = next(iter((data / "keywords").glob("*.sqlite3")), None) if (data / "keywords").exists() else None
    docs = read_db(manifest, "SELECT status, n_chunks FROM documents") if manifest else []
    pending = read_db(keywords, "SELECT COUNT(*) FROM pending") if keywords else []
    writing = sum(n for s, n in docs if s == "writing")
    return [s for s, _ in docs], writing, int(pending[0][0]) if pending else 0


def wait_for(proc: subprocess.Popen[bytes], data: Path, ok: Any, what: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if ok(*state(data)):
            return
        assert proc.poll() is None, f"the ingestion ended before {what}"
        time.sleep(0.05)
    raise AssertionError(f"not reached in 300 s: {what}")


def start(cmd: list[str], data: Path, **kw: Any) -> subprocess.Popen[Any]:
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data), **ENV}
    return subprocess.Popen(
        [sys.executable, "-m", *cmd[:2], "--config", str(TEST_CONFIG), *cmd[2:]], cwd=ROOT, env=env, **kw
    )


def ask(reader: subprocess.Popen[str]) -> dict[str, Any]:
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.write(QUESTION + "\n")
    reader.stdin.flush()
    return dict(json.loads(reader.stdout.readline()))


def the_fact(result: dict[str, Any]) -> dict[str, Any]:
    hits = [s for s in result["sources"] if "QX-7" in s["text"]]
    assert hits, [s["text"][:80] for s in result["sources"]]
    return hits[0]


def test_a_document_is_searchable_by_keywords_while_it_is_embedded(tmp_path: Path):
    data = tmp_path / "data"
    pdf = manual(tmp_path / "lathe.pdf", pages=120, fact_page=90, seed=1)
    reader = start(["app", "search", "--json", "-"], data, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ask(reader)  # the model loads, as a running service's has; the knowledge base is empty
        ingest = start(["ingest", str(pdf)], data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(ingest, data, lambda docs, writing, pending: "writing" in docs and pending > 0, "the keyword half")
        during = the_fact(ask(reader))
        still = state(data)[0] == ["writing"]
        assert still, "the ingestion finished before the question was answered: make the manual longer"
        assert during["embedding"] is True and during["page"] == 91
        assert ingest.wait(timeout=600) == 0
        after = the_fact(ask(reader))
        assert after["embedding"] is False and after["page"] == 91
    finally:
        if reader.stdin:
            reader.stdin.close()
        reader.wait(timeout=60)
    listed = [json.loads(line) for line in run_cli("ingest", "list", "--json", data_dir=data).stdout.splitlines()]
    assert [(r["path"], r["state"]) for r in listed] == [(str(pdf), "ready")]

    # Killed while it embeds (some chunks embedded, some not): consistent but for the unfinished document.
    second = manual(tmp_path / "mill.pdf", pages=120, fact_page=5, seed=2)
    ingest = start(["ingest", str(second)], data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(ingest, data, lambda docs, writing, pending: 0 < pending < writing, "embedding half-way")
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    check = run_cli("ingest", "check", data_dir=data, env=ENV)
    problems = check.stdout.strip().splitlines()
    assert len(problems) == 1 and "is writing (run ingest again" in problems[0], check.stdout
    rerun = run_cli("ingest", str(second), data_dir=data, env=ENV)
    assert rerun.returncode == 0, rerun.stderr
    check = run_cli("ingest", "check", data_dir=data, env=ENV)
    assert check.returncode == 0 and check.stdout.startswith("ok: 2 files, 2 documents"), check.stdout
    assert state(data) == (["ready", "ready"], 0, 0)
