"""Shared fixtures. Everything is real: packaged models, a real on-disk Chroma, real PDFs, real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_CONFIG = Path(__file__).resolve().parent / "config.test.yaml"

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def run_cli(module: str, *args: str, data_dir: Path, stdin: str | None = None, env: dict[str, str] | None = None):
    """Run `python -m <module>` the way a user (or another tool) would, with the test profile."""
    full_env = {**os.environ, "ZHIKU_DATA_DIR": str(data_dir), **(env or {})}
    # `--config` goes after the first argument so it follows `app`'s subcommand (ingest takes it anywhere).
    return subprocess.run(
        [sys.executable, "-m", module, *args[:1], "--config", str(TEST_CONFIG), *args[1:]],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )


def pdf_with_pages(path: Path, pages: list[str]) -> Path:
    """A real PDF (fpdf2) with one page per text, for tests that need their own small document."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the two fixture PDFs (English and Chinese) and a text file in GBK."""
    folder = tmp_path_factory.mktemp("docs")
    for pdf in FIXTURES.glob("*.pdf"):
        shutil.copy(pdf, folder / pdf.name)
    (folder / "冷却塔.txt").write_bytes("冷却塔风机皮带每三个月检查一次张紧度。".encode("gbk"))
    return folder


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Path:
    """A data dir whose default KB holds `docs_dir`, ingested through the real CLI."""
    data_dir = tmp_path_factory.mktemp("data")
    result = run_cli("ingest", str(docs_dir), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir
