"""kill -9 during ingestion, then run again: no duplicated chunks, no orphans, manifest and Chroma agree.

A real `python -m ingest` subprocess and a real SIGKILL, at moments read from the manifest while it works
(a document half-written, several documents done). The USE embedder keeps the run short enough to kill it
several times; the code path is the same for every embedder.
"""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, TEST_CONFIG, run_cli

ENV = {"ZHIKU_EMBEDDING__PROVIDER": "use", "ZHIKU_INGEST__WORKERS": "2"}
TOPICS = ["主轴", "导轨", "刀塔", "冷却液", "液压卡盘", "润滑泵", "伺服电机", "防护门"]


def make_corpus(folder: Path) -> None:
    """Eight documents of about sixty chunks each, every sentence distinct (no near-duplicates)."""
    folder.mkdir()
    for d, topic in enumerate(TOPICS):
        line = "{t}第{i}项检查：编号 {d}-{i} 的读数为 {v} 单位，偏差不超过 {p}%。"
        lines = [line.format(t=topic, i=i, d=d, v=i * 7 + d, p=i % 9 + 1) for i in range(600)]
        (folder / f"doc{d}.txt").write_text("\n".join(lines), encoding="utf-8")


def manifest_states(data_dir: Path) -> list[str]:
    path = next((data_dir / "manifests").glob("*.sqlite3"), None) if (data_dir / "manifests").exists() else None
    if path is None:
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return [row[0] for row in db.execute("SELECT status FROM documents")]
    except sqlite3.Error:
        return []


def start_ingest(folder: Path, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data_dir), **ENV}
    cmd = [sys.executable, "-m", "ingest", "--config", str(TEST_CONFIG), str(folder)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when(proc: subprocess.Popen, data_dir: Path, ready: int, writing: bool, delay: float) -> bool:
    """SIGKILL once `ready` documents are done (and one is being written, if asked); False if it finished first."""
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        states = manifest_states(data_dir)
        if states.count("ready") >= ready and (not writing or "writing" in states):
            time.sleep(delay)
            workers = children(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert_gone(workers)
            return True
        time.sleep(0.05)
    proc.wait()
    return False


def assert_gone(pids: list[int]) -> None:
    """Parse workers of a killed ingestion exit by themselves: nothing is left running or waiting forever."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.2)
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)]
    assert not alive, f"workers left behind by the killed ingestion: {alive}"


def _state(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    return "zombie"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


# (documents ready, a document being written, extra delay): before anything is stored, in the middle of writing
# the third document, and between documents, one after the other on the same data dir.
KILL_MOMENTS = [(0, True, 0.0), (2, True, 0.4), (4, False, 0.0)]


def test_kill_9_at_any_moment_then_rerun_leaves_a_consistent_kb(tmp_path: Path):
    folder, data = tmp_path / "docs", tmp_path / "data"
    make_corpus(folder)
    kills = 0
    for ready, writing, delay in KILL_MOMENTS:
        kills += kill_when(start_ingest(folder, data), data, ready, writing, delay)
        check = run_cli("ingest", "check", data_dir=data, env=ENV)
        assert "chunks in Chroma belong to no document" not in check.stdout
    assert kills >= 2, "ingestion finished before it could be killed: make the corpus larger"

    final = run_cli("ingest", str(folder), data_dir=data, env=ENV)
    assert final.returncode == 0, final.stderr
    check = run_cli("ingest", "check", data_dir=data, env=ENV)
    assert check.returncode == 0, check.stdout
    assert check.stdout.startswith(f"ok: {len(TOPICS)} files, {len(TOPICS)} documents")
    states = manifest_states(data)
    assert states == ["ready"] * len(TOPICS)
