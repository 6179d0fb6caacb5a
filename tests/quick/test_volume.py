"""Per-file volume limits (issue 19, item 7): characters, chunks and parse time, each checked early and named in
the file's error; one file over a limit never stops the rest. Through `python -m ingest` in-process with the
fake embedder and a real Chroma (the memory limit and worker deaths, in worker processes:
tests/test_ingest_volume.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core.settings import IngestSettings
from ingest import loaders
from ingest.errors import FileIngestError
from ingest.loaders.progress import page_done
from ingest.parse import ParseJob, parse_file
from tests.conftest import pdf_with_pages
from tests.quick.test_cli import ingest, listed


def failures(err: str) -> dict[str, str]:
    """`FAILED path: reason` lines as {file name: reason}."""
    lines = [line.removeprefix("FAILED ") for line in err.splitlines() if line.startswith("FAILED ")]
    return {Path(path).name: reason for path, reason in (line.split(": ", 1) for line in lines)}


def test_each_volume_limit_fails_its_file_alone_and_names_the_limit(
    data: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ZHIKU_INGEST__MAX_CHARS", "1000")
    monkeypatch.setenv("ZHIKU_INGEST__MAX_CHUNKS", "2")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "huge.txt").write_text("a" * 4001, encoding="utf-8")  # more bytes than 1000 characters can take
    (docs / "long.txt").write_text("阀门压力。" * 240, encoding="utf-8")  # 1,200 characters in 3,600 bytes
    (docs / "long.html").write_text("<p>" + "Check the seal. " * 70 + "</p>", encoding="utf-8")
    pdf_with_pages(docs / "pages.pdf", ["Spindle torque is 60 N m. " * 20] * 5)  # 520 characters a page
    sentences = "".join(
        f"第 {i} 条：报警 AL-{100 + i} 须在 {i} 分钟内复位，并记录当班主轴转速。\n\n" for i in range(22)
    )
    (docs / "many.md").write_text(sentences, encoding="utf-8")  # 882 characters: 3 chunks of at most 400
    (docs / "fine.md").write_text("# 阀门\n阀门的工作压力为 1.6 MPa。", encoding="utf-8")

    assert ingest(data, str(docs)) == 1
    failed = failures(capsys.readouterr().err)
    over = "ingest.max_chars (1,000 characters)"
    assert failed["huge.txt"] == f"too much text: 4,001 bytes of plain text hold more than {over}"
    assert failed["long.txt"] == "too much text: 1,200 characters > ingest.max_chars (1,000)"
    assert failed["long.html"].startswith("too much text: 1,1") and "ingest.max_chars (1,000)" in failed["long.html"]
    assert failed["pages.pdf"] == "too much text: over ingest.max_chars (1,000 characters) by page 2"
    assert failed["many.md"] == "too many chunks: 3 > ingest.max_chunks (2)"
    assert len(failed) == 5
    assert listed(data, capsys)[str(docs / "fine.md")]["status"] == "ingested"


def endless(path: Path, settings: IngestSettings) -> list:
    """A parser that never finishes on its own (a pathological file): only the time limit ends it."""
    while True:
        time.sleep(0.01)


def test_a_parser_past_its_time_is_interrupted_and_the_rest_goes_on(
    data: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(loaders.LOADERS, ".txt", endless)
    monkeypatch.setenv("ZHIKU_INGEST__MAX_PARSE_S", "0.5")
    (tmp_path / "stuck.txt").write_text("whatever", encoding="utf-8")
    (tmp_path / "fine.md").write_text("# 阀门\n阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    assert ingest(data, str(tmp_path / "stuck.txt"), str(tmp_path / "fine.md")) == 1
    assert failures(capsys.readouterr().err) == {"stuck.txt": "parsing took longer than ingest.max_parse_s (0.5 s)"}
    assert listed(data, capsys)[str(tmp_path / "fine.md")]["status"] == "ingested"


def endless_pages(path: Path, settings: IngestSettings) -> list:
    """A PDF whose pages never end, read where no signal can interrupt it: the clock is read at each page."""
    while True:
        page_done("text", 10)
        time.sleep(0.01)


def test_off_the_main_thread_the_time_limit_is_checked_at_each_page(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(loaders.LOADERS, ".txt", endless_pages)
    path = tmp_path / "endless.txt"
    path.write_text("whatever", encoding="utf-8")
    settings = IngestSettings(max_parse_s=0.3)
    out: list = []
    job = ParseJob(str(path), path, "0" * 64, 8, 0)
    reader = threading.Thread(target=lambda: out.append(parse_file(job, settings)))
    reader.start()
    reader.join(60)
    assert not reader.is_alive() and out[0].error == "parsing took longer than ingest.max_parse_s (0.3 s)"


def short_of_memory(path: Path, settings: IngestSettings) -> list:
    """What python-docx's failure looks like through its loader when the worker's memory runs out."""
    try:
        raise MemoryError
    except MemoryError as exc:
        raise FileIngestError("corrupt DOCX: ") from exc


def test_running_out_of_memory_inside_a_loader_is_not_reported_as_a_corrupt_file(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(loaders.LOADERS, ".txt", short_of_memory)
    path = tmp_path / "big.txt"
    path.write_text("whatever", encoding="utf-8")
    parsed = parse_file(ParseJob(str(path), path, "0" * 64, 8, 0), IngestSettings())
    assert parsed.error == "out of memory while parsing"
