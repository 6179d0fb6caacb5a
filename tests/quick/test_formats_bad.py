"""Bad input: every kind fails with one specific line, before any expensive parsing where that matters."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders import LOADERS, load_pages
from ingest.loaders.safezip import RATIO_MIN_BYTES
from tests.quick.test_formats import make_docx, make_pptx

CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def fail(path: Path, settings: IngestSettings | None = None) -> str:
    with pytest.raises(FileIngestError) as info:
        load_pages(path, settings)
    message = str(info.value)
    assert message and "\n" not in message, "the reason is one line"
    return message


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.csv", "a.png", "a.jpg", "a.md"])
def test_zero_byte_files(tmp_path: Path, name: str):
    assert fail(write(tmp_path / name, b"")) == "empty file (0 bytes)"


def test_too_large_is_refused_from_its_size_alone(tmp_path: Path):
    path = write(tmp_path / "big.txt", "主轴".encode() * 1000)
    assert fail(path, IngestSettings(max_file_mb=0.001)) == "too large (0.00572 MB > max_file_mb 0.001)"
    assert load_pages(path, IngestSettings(max_file_mb=1))


def test_size_is_checked_before_anything_is_read(tmp_path: Path):
    path = tmp_path / "huge scan.pdf"
    with path.open("wb") as fh:
        fh.truncate(3 << 20)  # sparse: 3 MB of nothing, which as a PDF would be "corrupt"
    assert fail(path, IngestSettings(max_file_mb=1)) == "too large (3 MB > max_file_mb 1)"


def test_unsupported_and_turned_off_types(tmp_path: Path):
    assert fail(write(tmp_path / "a.xyz", b"x")) == "unsupported file type '.xyz'"
    assert fail(write(tmp_path / "README", b"x")) == "unsupported file type '(none)'"
    settings = IngestSettings(extensions=[".pdf"])
    assert "turned off" in fail(write(tmp_path / "a.txt", b"text"), settings)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", b"<!DOCTYPE html><html><body>404 Not Found</body></html>", "not a PDF (looks like HTML)"),
        ("report.pdf", b"\n  <html><p>login</p></html>", "not a PDF (looks like HTML)"),
        ("report.pdf", b"PK\x03\x04rest-of-zip", "not a PDF (looks like a ZIP archive)"),
        ("report.pdf", b"just some words", "corrupt PDF: no %PDF header"),
        ("manual.docx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not a DOCX (looks like PDF)"),
        ("manual.docx", b"<html><body>hi</body></html>", "not a DOCX (looks like HTML)"),
        ("manual.docx", b"plain words, not a zip", "corrupt DOCX: not a ZIP archive"),
        ("sheet.xlsx", b"\x00\x01\x02garbage", "corrupt XLSX: not a ZIP archive"),
        ("photo.png", b"hello, I am text", "not a PNG image (looks like plain text)"),
        ("photo.jpg", b"%PDF-1.4\n%\xe2\xe3", "not a JPEG image (looks like PDF)"),
        ("notes.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a text file (looks like PDF)"),
        ("data.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "not a CSV file (looks like a ZIP archive)"),
    ],
)
def test_content_that_contradicts_its_extension(tmp_path: Path, name: str, content: bytes, reason: str):
    assert fail(write(tmp_path / name, content)) == reason


def test_text_that_merely_starts_like_a_signature_is_still_text(tmp_path: Path):
    path = write(tmp_path / "note.txt", "RIFF 文件格式说明：%PDF- 开头的是 PDF。".encode())
    assert "RIFF" in load_pages(path)[0].text


def test_office_file_of_another_kind(tmp_path: Path):
    from openpyxl import Workbook

    path = tmp_path / "really-a-sheet.docx"
    Workbook().save(path)
    assert fail(path) == "not a DOCX (looks like XLSX)"
    assert fail(make_docx(tmp_path / "x.docx").rename(tmp_path / "x.pptx")) == "not a PPTX (looks like DOCX)"


def test_legacy_and_encrypted_office_files(tmp_path: Path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert "legacy .doc/.xls/.ppt" in fail(write(tmp_path / "old.docx", ole))
    encrypted = ole + "EncryptionInfo".encode("utf-16-le") + bytes(100)
    assert fail(write(tmp_path / "locked.xlsx", encrypted)).startswith("encrypted XLSX: password-protected")


def test_truncated_docx_is_corrupt(tmp_path: Path):
    data = make_docx(tmp_path / "ok.docx").read_bytes()
    assert fail(write(tmp_path / "cut.docx", data[: len(data) // 2])).startswith("corrupt DOCX: not a readable ZIP")


def test_docx_missing_its_main_part_is_corrupt(tmp_path: Path):
    path = tmp_path / "parts.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/styles.xml", b"<styles/>")
    assert fail(path).startswith("corrupt DOCX: ")


def test_pptx_and_xlsx_with_broken_xml_are_corrupt(tmp_path: Path):
    for name, part, kind in [("s.pptx", "ppt/presentation.xml", "PPTX"), ("s.xlsx", "xl/workbook.xml", "XLSX")]:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
            archive.writestr(part, b"<not-closed")
        assert fail(path).startswith(f"corrupt {kind}: "), name


def test_plain_zip_renamed_docx(tmp_path: Path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", b"hello")
    assert fail(path) == "not a DOCX (a ZIP archive without Office parts)"


def zeros_docx(path: Path, size: int) -> Path:
    """A DOCX-shaped zip whose document part is `size` zero bytes: kilobytes on disk."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return path


def test_zip_bomb_total_size_is_refused(tmp_path: Path):
    path = zeros_docx(tmp_path / "bomb.docx", 3 << 20)
    assert path.stat().st_size < 20_000
    assert fail(path, IngestSettings(max_unpacked_mb=2)).startswith("zip bomb: unpacks to more than 2 MB")


def test_zip_bomb_compression_ratio_is_refused(tmp_path: Path):
    path = zeros_docx(tmp_path / "bomb.docx", RATIO_MIN_BYTES + (1 << 20))
    assert path.stat().st_size < 20_000
    assert fail(path).startswith("zip bomb: member 'word/document.xml' expands")


def test_zip_bomb_is_refused_from_declared_sizes_before_decompressing(tmp_path: Path):
    """The directory claims 1 TB while the stored data is tiny and not even valid deflate: had the loader
    decompressed anything, it would have failed on the data, not named the bomb."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", b"tiny")
        archive.filelist[-1].file_size = 1 << 40
    path = write(tmp_path / "liar.docx", buffer.getvalue())
    assert fail(path).startswith("zip bomb: unpacks to more than 500 MB")


def test_names_with_spaces_and_chinese_characters(tmp_path: Path):
    folder = tmp_path / "设备 文档 (2024)"
    folder.mkdir()
    assert load_pages(make_docx(folder / "主轴 手册 v2.docx"))
    assert [p.page for p in load_pages(make_pptx(folder / "培训 课件 最终版.pptx"))] == [1, 2]
    (folder / "说明 文字.txt").write_text("主轴保养说明", encoding="gbk")
    assert load_pages(folder / "说明 文字.txt")[0].text == "主轴保养说明"


def test_html_without_text(tmp_path: Path):
    assert fail(write(tmp_path / "empty.html", b"<html><script>x()</script></html>")) == "no text found"


def test_corrupt_png(tmp_path: Path):
    assert fail(write(tmp_path / "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)).startswith("corrupt image")


def test_loaders_are_picklable_and_run_in_a_worker_process(tmp_path: Path):
    """The pipeline runs loaders in worker processes: they must pickle by reference and need no parent state."""
    assert all(pickle.loads(pickle.dumps(loader)) is loader for loader in LOADERS.values())
    path = make_docx(tmp_path / "worker.docx")
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        pages = pool.submit(load_pages, path, IngestSettings()).result(timeout=120)
    assert pages == load_pages(path)


def test_a_named_pipe_fails_at_once_instead_of_blocking(tmp_path: Path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    assert fail(pipe) == "not a regular file (a pipe, socket or device)"
