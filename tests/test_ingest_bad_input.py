"""File-system trouble in a folder: each bad entry fails on one line, the rest ingests, nothing hangs.

Run through the real CLI. As root, a mode-000 file is still readable, so the CLI is started without the
capabilities that let root ignore file permissions (`setpriv`), as it would run for an ordinary user.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, TEST_CONFIG, json_lines, run_cli

DROP_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def ingest_as_user(folder: Path, data: Path) -> subprocess.CompletedProcess:
    prefix = DROP_DAC if os.geteuid() == 0 and shutil.which("setpriv") else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ingest", "--config", str(TEST_CONFIG), str(folder)],
        cwd=ROOT,
        env={**os.environ, "ZHIKU_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=300,  # a FIFO read would block forever: the timeout turns a hang into a failure
    )


def test_links_loops_pipes_and_unreadable_files_fail_alone(tmp_path: Path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "pump_manual.pdf", docs / "sub" / "pump manual.pdf")
    (docs / "loop-a.pdf").symlink_to(docs / "loop-b.pdf")
    (docs / "loop-b.pdf").symlink_to(docs / "loop-a.pdf")
    (docs / "sub" / "up").symlink_to(docs, target_is_directory=True)  # a folder loop: never followed
    os.mkfifo(docs / "pipe.txt")
    locked = docs / "locked.txt"
    locked.write_text("机密：不可读。", encoding="utf-8")
    locked.chmod(0)
    data = tmp_path / "data"

    result = ingest_as_user(docs, data)
    failed = sorted(line for line in result.stderr.splitlines() if line.startswith("FAILED"))
    assert result.returncode == 1, result.stderr
    assert len(failed) == 4, failed
    assert any("loop-a.pdf: unreadable: Too many levels of symbolic links" in line for line in failed)
    assert any("pipe.txt: not a regular file" in line for line in failed)
    assert any("locked.txt: unreadable: Permission denied" in line for line in failed)
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "impeller clearance", data_dir=data).stdout)[0]
    assert hit["sources"][0]["source"] == str(docs / "sub" / "pump manual.pdf")
    rows = json_lines(run_cli("ingest", "list", "--json", data_dir=data).stdout)
    assert {r["status"] for r in rows if "pump manual" not in r["path"]} == {"failed"}


def test_encrypted_pdf_needs_its_password_and_the_rest_still_ingests(tmp_path: Path):
    from pypdf import PdfReader, PdfWriter

    docs = tmp_path / "docs"
    docs.mkdir()
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "pump_manual.pdf"))
    writer.encrypt(user_password="s3cret", algorithm="AES-128")
    writer.write(docs / "locked manual.pdf")
    (docs / "note.txt").write_text("阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    data = tmp_path / "data"

    first = run_cli("ingest", str(docs), data_dir=data)
    assert first.returncode == 1
    assert "FAILED " + str(docs / "locked manual.pdf") + ": encrypted: needs a password" in first.stderr
    assert run_cli("ingest", str(docs / "locked manual.pdf"), "--password", "wrong", data_dir=data).returncode == 1
    opened = run_cli("ingest", str(docs), "--password", "s3cret", data_dir=data)
    assert opened.returncode == 0, opened.stderr
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "impeller clearance", data_dir=data).stdout)[0]
    assert hit["sources"][0]["source"] == str(docs / "locked manual.pdf") and hit["sources"][0]["page"] == 2
