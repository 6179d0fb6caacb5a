"""Folders that keep themselves in step (issue 20, item 5): the real `python -m ingest watch` and `python -m app
serve` with `ingest.watch`, on a real folder, real e5, a real Chroma. Nothing waits a fixed time: each step
waits for the watcher's own lines (one per file changed, one per pass), then checks the knowledge base through
`app search` and `ingest list`, as a user would.

A burst is made while the watcher is stopped (SIGSTOP), so its events all wait in the kernel and the test
does not depend on how fast this machine writes 1,000 files; the watcher, continued, must make one pass of it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, TEST_CONFIG, run_cli
from tests.web import free_port, wait_healthy

WAIT_S = 600.0  # generous: the machine may be loaded; a state is waited for, never a time
ENV = {"ZHIKU_INGEST__WATCH_DEBOUNCE_MS": "500"}
VALVE = "Valve V-12 must be opened slowly; its working pressure is 1.6 MPa."
VALVE_NEW = "Valve V-12 is replaced by the ball valve B-40; the ball valve works at 2.5 MPa."


class Watcher:
    """`python -m ingest watch` in a process of its own, its output lines collected as they come."""

    def __init__(self, folder: Path, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "ingest", "watch", str(folder), "--config", str(TEST_CONFIG), *args]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, "ZHIKU_DATA_DIR": str(data), **ENV, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def mark(self) -> int:
        return len(self.lines)

    def wait_for(self, pattern: str, since: int = 0) -> str:
        """The first line from `since` on that matches; fails if the process exits first."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for line in self.lines[since:]:
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines[-40:]))

    def passes(self, since: int) -> list[str]:
        return [line for line in self.lines[since:] if line.startswith("pass ")]

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=WAIT_S)
        self._reader.join(timeout=60)
        return code


def sources(data: Path, question: str) -> list[tuple[str, str]]:
    """(file name, passage) of what `app search` finds, best first."""
    done = run_cli("app", "search", "--json", "-k", "3", question, data_dir=data)
    assert done.returncode == 0, done.stderr[-3000:]
    return [(Path(s["source"]).name, s["text"]) for s in json.loads(done.stdout)["sources"]]


def listed(data: Path) -> dict[str, dict]:
    done = run_cli("ingest", "list", "--json", data_dir=data)
    assert done.returncode == 0, done.stderr
    return {Path(row["path"]).name: row for row in map(json.loads, done.stdout.splitlines())}


def burst(watcher: Watcher, make: Callable[[], None]) -> int:
    """`make` runs while the watcher is stopped; returns the mark before."""
    since = watcher.mark()
    os.kill(watcher.proc.pid, signal.SIGSTOP)
    try:
        make()
    finally:
        os.kill(watcher.proc.pid, signal.SIGCONT)
    return since


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A watched folder (first holding one manual) and a data dir outside it."""
    folder = tmp_path_factory.mktemp("shared")
    (folder / "pump.txt").write_text("The impeller clearance of pump P-7 is 0.3 mm.", encoding="utf-8")
    return folder, tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def watcher(place: tuple[Path, Path]) -> Iterator[Watcher]:
    folder, data = place
    watcher = Watcher(folder, data)
    watcher.wait_for(r"^pass 1 \(every watched folder\): 1 ingested")
    yield watcher
    if watcher.proc.poll() is None:
        watcher.stop()


def test_an_added_file_is_searchable_and_a_bad_one_fails_on_its_own_line(watcher: Watcher, place):
    folder, data = place
    since = watcher.mark()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a pdf")
    (folder / "valve.txt").write_text(VALVE, encoding="utf-8")
    watcher.wait_for(rf"^FAILED {re.escape(str(folder / 'broken.pdf'))}: corrupt PDF", since)
    watcher.wait_for(rf"^ingested {re.escape(str(folder / 'valve.txt'))} \(1 chunks\)", since)
    watcher.wait_for(r"^pass \d+ .*1 ingested.*1 failed", since)
    assert sources(data, "What is the working pressure of valve V-12?")[0] == ("valve.txt", VALVE)
    (folder / "broken.pdf").unlink()
    watcher.wait_for(rf"^removed {re.escape(str(folder / 'broken.pdf'))}$", since)


def test_a_changed_file_replaces_its_old_text(watcher: Watcher, place):
    folder, data = place
    since = watcher.mark()
    (folder / "valve.txt").write_text(VALVE_NEW, encoding="utf-8")
    watcher.wait_for(r"^pass \d+ \(\d+ changes\): 1 ingested", since)
    found = sources(data, "What is the working pressure of valve V-12?")
    assert found[0] == ("valve.txt", VALVE_NEW)
    assert not any("1.6 MPa" in text for _, text in found)


def test_a_moved_file_is_not_embedded_again_and_is_cited_by_its_new_name(watcher: Watcher, place):
    folder, data = place
    before = listed(data)["valve.txt"]
    (folder / "archive").mkdir()
    since = watcher.mark()
    os.rename(folder / "valve.txt", folder / "archive" / "valve-B40.txt")
    line = watcher.wait_for(r"^pass \d+ ", since)
    assert "0 ingested, 1 new names of stored content" in line and "1 removed; 0 chunks embedded" in line
    named = f"named {folder / 'archive' / 'valve-B40.txt'}: same content as {folder / 'valve.txt'}, not embedded again"
    assert named in watcher.lines
    after = listed(data)
    assert "valve.txt" not in after
    moved = after["valve-B40.txt"]
    assert (moved["doc_id"], moved["ingested_at"]) == (before["doc_id"], before["ingested_at"])  # not stored again
    assert sources(data, "What is the working pressure of valve V-12?")[0] == ("valve-B40.txt", VALVE_NEW)


def test_a_deleted_folder_takes_its_documents_with_it(watcher: Watcher, place):
    folder, data = place
    since = watcher.mark()
    (folder / "archive" / "valve-B40.txt").unlink()
    (folder / "archive").rmdir()
    watcher.wait_for(r"^pass \d+ .*1 removed", since)
    assert set(listed(data)) == {"pump.txt"}
    assert all(name != "valve-B40.txt" for name, _ in sources(data, "ball valve B-40 working pressure"))


def test_1000_files_in_a_burst_are_one_pass(watcher: Watcher, place):
    folder, _ = place
    batch = folder / "batch"

    def copy() -> None:
        batch.mkdir()
        for i in range(1000):
            text = f"Work card {i % 20}: torque the flange bolts of line L-{i % 20} to {40 + i % 20} N·m."
            (batch / f"card{i:04d}.txt").write_text(text, encoding="utf-8")

    since = burst(watcher, copy)
    first = watcher.wait_for(r"^pass \d+ ", since)
    assert "20 ingested, 980 new names of stored content" in first  # same content stored once
    since_touch = burst(watcher, lambda: [os.utime(p) for p in batch.iterdir()])
    touched = watcher.wait_for(r"^pass \d+ ", since_touch)
    assert "0 ingested, 0 new names of stored content, 1000 unchanged" in touched and "0 chunks embedded" in touched
    last = watcher.mark()
    (folder / "sentinel.txt").write_text("Sentinel S-1 marks the end of the burst.", encoding="utf-8")
    watcher.wait_for(r"^pass \d+ .*1 ingested", last)
    assert len(watcher.passes(since)) == 3, watcher.passes(since)  # the copy, the touch, the sentinel


def test_sigterm_stops_cleanly_and_a_restart_redoes_nothing(watcher: Watcher, place):
    folder, data = place
    assert watcher.stop(signal.SIGTERM) == 0
    assert watcher.lines[-1].startswith("stopped after ")
    files = len(listed(data))
    check = run_cli("ingest", "check", data_dir=data)
    assert check.returncode == 0 and check.stdout.startswith(f"ok: {files} files"), check.stdout + check.stderr
    again = Watcher(folder, data)
    try:
        line = again.wait_for(r"^pass 1 ")
        assert f"0 ingested, 0 new names of stored content, {files} unchanged, 0 failed, 0 removed" in line
        assert "0 chunks embedded" in line
    finally:
        assert again.stop(signal.SIGINT) == 0


def test_polling_mode_sees_adds_moves_and_deletes(place, tmp_path: Path):
    _, data = place
    share = tmp_path / "share"
    share.mkdir()
    poller = Watcher(share, data, "--poll", "0.5")
    try:
        poller.wait_for(r"^watching .*\(polling every 0.5 s\)")
        poller.wait_for(r"^pass 1 ")
        since = poller.mark()
        (share / "gear.txt").write_text("Gearbox G-3 oil is changed every 1500 hours.", encoding="utf-8")
        poller.wait_for(r"^pass \d+ .*1 ingested", since)
        since = poller.mark()
        os.rename(share / "gear.txt", share / "gearbox-G3.txt")
        assert "1 new names of stored content" in poller.wait_for(r"^pass \d+ .*0 chunks embedded", since)
        assert sources(data, "How often is the gearbox G-3 oil changed?")[0][0] == "gearbox-G3.txt"
        since = poller.mark()
        (share / "gearbox-G3.txt").unlink()
        poller.wait_for(r"^pass \d+ .*1 removed", since)
    finally:
        assert poller.stop() == 0
    assert run_cli("ingest", "check", data_dir=data).returncode == 0


def test_serve_watches_its_configured_folders(tmp_path: Path):
    folder, data = tmp_path / "manuals", tmp_path / "data"
    folder.mkdir()
    (folder / "pump.txt").write_text("The impeller clearance of pump P-7 is 0.3 mm.", encoding="utf-8")
    port = free_port()
    watched = json.dumps([{"dir": str(folder), "kb": "plant"}])
    env = {**os.environ, "ZHIKU_CONFIG": str(TEST_CONFIG), "ZHIKU_DATA_DIR": str(data), **ENV}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT,
        env={**env, "ZHIKU_INGEST__WATCH": watched}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout_s=WAIT_S, alive=lambda: server.poll() is None)
        (folder / "valve.txt").write_text(VALVE, encoding="utf-8")
        deadline, found = time.monotonic() + WAIT_S, []
        while time.monotonic() < deadline and server.poll() is None:
            reply = httpx.post(f"{url}/api/search", json={"question": "valve V-12 working pressure", "kb": "plant"})
            found = [Path(s["source"]).name for s in reply.json()["sources"]] if reply.status_code == 200 else []
            if found and found[0] == "valve.txt":
                break
            time.sleep(0.5)
        assert found and found[0] == "valve.txt"
    finally:
        server.terminate()
        log = server.communicate(timeout=WAIT_S)[0]
    assert f"watch: ingested {folder / 'valve.txt'} (1 chunks)" in log, log[-3000:]
    assert "watch: stopped after " in log and "Traceback" not in log, log[-3000:]  # the shutdown stopped it
