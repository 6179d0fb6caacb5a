"""Per-file limits in the parse worker processes (issue 19, item 7), with the real pipeline, real worker processes
(spawn), the real e5 model and Chroma: a file over `ingest.max_parse_mb` fails on its own; a worker that dies
takes only its own file with it; a 50 MB one-line text file is refused before it is read."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from core.kb import open_kb
from core.settings import IngestSettings, load_settings
from ingest import pipeline
from ingest.parse import Parsed, ParseJob, parse_file
from ingest.pipeline import discover, ingest_files
from tests.conftest import TEST_CONFIG, run_cli

NOTES = {f"note{i}.txt": f"第 {i} 号冷却塔风机皮带每 {i + 2} 个月检查一次张紧度。" for i in range(4)}


def folder_with(tmp_path: Path, extra: dict[str, bytes]) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in NOTES.items():
        (docs / name).write_text(text, encoding="utf-8")
    for name, content in extra.items():
        (docs / name).write_bytes(content)
    return docs


def test_a_file_over_the_memory_limit_fails_alone_in_its_worker(tmp_path: Path):
    """A 9000 × 9000 px PNG is 250 KB on disk and 243 MB decoded: over a 200 MB limit for the worker."""
    Image.new("RGB", (9000, 9000), "white").save(tmp_path / "big.png")
    docs = folder_with(tmp_path, {"scan.png": (tmp_path / "big.png").read_bytes()})
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    settings.ingest.workers, settings.ingest.max_parse_mb = 2, 200
    kb = open_kb(settings)
    report = ingest_files(kb, discover([str(docs)], [".txt", ".png"]), settings.ingest, 32)
    failed = {Path(r.source).name: r.error for r in report.results if r.status == "failed"}
    assert failed == {"scan.png": "out of memory while parsing (ingest.max_parse_mb 200)"}
    assert kb.count() == len(NOTES)


def dying_parse(job: ParseJob, settings: IngestSettings) -> Parsed:
    """parse_file, except that the worker process dies on `crash.txt` (a segfault in a parser, the kernel's
    OOM killer): it is sent to the workers by reference, so the spawned processes import it from here."""
    if job.path.name == "crash.txt":
        os._exit(1)
    return parse_file(job, settings)


def test_a_worker_that_dies_fails_only_its_own_file(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(pipeline, "parse_file", dying_parse)
    docs = folder_with(tmp_path, {"crash.txt": "这一份会让解析进程崩溃。".encode()})
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    settings.ingest.workers = 2
    kb = open_kb(settings)
    report = ingest_files(kb, discover([str(docs)], [".txt"]), settings.ingest, 32)
    failed = {Path(r.source).name: r.error for r in report.results if r.status == "failed"}
    assert failed == {"crash.txt": pipeline._DIED}
    assert sorted(Path(r.source).name for r in report.results if r.status == "ingested") == sorted(NOTES)
    assert kb.count() == len(NOTES) and kb.check() == []


def test_a_50_mb_one_line_text_file_is_refused_unread_and_the_folder_goes_on(tmp_path: Path):
    """The issue's case, through the real CLI with the default limits (it was 154,203 chunks and a minute of
    splitting at 1 GB, then hours of embedding)."""
    docs = folder_with(tmp_path, {})
    with (docs / "dump.txt").open("wb") as out:
        out.write(b"x" * (50 * 2**20))
    data = tmp_path / "data"
    result = run_cli("ingest", str(docs), data_dir=data)
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert failed == [
        f"FAILED {docs / 'dump.txt'}: too much text: 52,428,800 bytes of plain text hold more than "
        "ingest.max_chars (10,000,000 characters)"
    ]
    assert open_kb(load_settings(TEST_CONFIG, data_dir=str(data))).count() == len(NOTES)
