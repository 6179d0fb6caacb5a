"""Upload names, the API's staging folders and a deleted upload's copies (issue 19, items 8 and 9), on real
files and, for the staging folders, real processes killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest.uploads import distinct_name, remove_copies, stage_uploads, sweep_staging

ROOT = Path(__file__).resolve().parents[2]


def test_names_the_file_system_cannot_hold_fail_alone_and_same_names_stay_apart(tmp_path: Path):
    sources = []
    for i, text in enumerate(["a", "b", "c"]):
        sources.append(tmp_path / f"in{i}")
        sources[-1].write_text(text)
    folder = tmp_path / "uploads"
    tasks = stage_uploads(
        folder, [("a/x.txt", sources[0]), ("泵" * 100 + ".txt", sources[1]), ("b/x.txt", sources[2])], 1
    )
    assert [(t.source, t.error) for t in tasks] == [
        ("x.txt", ""), ("泵" * 60 + "…", "file name too long (304 bytes; at most 255)"), ("x (2).txt", ""),
    ]  # fmt: skip
    assert {p.name: p.read_text() for p in folder.iterdir()} == {"x.txt": "a", "x (2).txt": "c"}
    long_name = "a" * 250 + ".txt"  # fits; its second copy's name is cut to fit too
    assert distinct_name(long_name, {long_name}) == "a" * 247 + " (2).txt"
    assert len(distinct_name(long_name, {long_name}).encode()) == 255


HOLD = """
import sys, time
from ingest.uploads import staging
with staging() as folder:
    (folder / "0").write_bytes(b"half an upload")
    print(folder, flush=True)
    time.sleep(600)
"""


def test_staging_folders_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    holders = [
        subprocess.Popen([sys.executable, "-c", HOLD], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    try:
        live, dead = (Path(h.stdout.readline().strip()) for h in holders)  # type: ignore[union-attr]
        holders[1].send_signal(signal.SIGKILL)
        holders[1].wait(timeout=30)
        legacy = tmp_path / "zhiku-upload-legacy"  # from before the lock: swept once it is old
        legacy.mkdir()
        os.utime(legacy, (time.time() - 7200, time.time() - 7200))
        assert sorted(sweep_staging(tmp_path)) == sorted([dead, legacy])
        assert live.is_dir() and (live / "0").is_file() and not dead.exists()
    finally:
        for holder in holders:
            holder.kill()
            holder.wait(timeout=30)


def test_a_deleted_upload_takes_its_cached_copies_with_it(tmp_path: Path):
    folder, cache = tmp_path / "uploads", tmp_path / "gradio"
    folder.mkdir()
    (folder / "salaries.txt").write_text("v2: 23,400")
    (folder / "other.txt").write_text("kept")
    for digest, text in (("h1", "v2: 23,400"), ("h2", "v1: 21,000"), ("h3", "kept")):
        (cache / digest).mkdir(parents=True)
        (
            cache / digest / ("renamed.txt" if digest == "h1" else "salaries.txt" if digest == "h2" else "other.txt")
        ).write_text(text)
    removed = remove_copies(folder, ["salaries.txt"], [cache])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == [
        "gradio/h1/renamed.txt", "gradio/h2/salaries.txt", "uploads/salaries.txt",
    ]  # fmt: skip
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt")) == [
        "gradio/h3/other.txt", "uploads/other.txt",
    ]  # fmt: skip
    assert not (cache / "h1").exists()  # the emptied cache folders go too
