"""A full disk during ingestion (issue 19, "disk full"): the real CLI under a file-size limit, which makes every
write past it fail as a full disk does (EFBIG, SQLite's I/O error). It must stop with one clear line, no
traceback, and leave a knowledge base the next run completes and `ingest check` finds consistent."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, TEST_CONFIG, json_lines, run_cli

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
