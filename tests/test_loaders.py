from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ingest.errors import FileIngestError
from ingest.loaders import load_pages
from tests.conftest import FIXTURES


def test_pdf_keeps_one_page_per_page():
    pages = load_pages(FIXTURES / "pump_manual.pdf")
    assert [p.page for p in pages] == [1, 2, 3]
    assert "0.3 mm" in pages[1].text and "0.3 mm" not in pages[0].text + pages[2].text


def test_chinese_pdf_text_is_chinese():
    pages = load_pages(FIXTURES / "减速机说明.pdf")
    assert "2000 小时" in pages[1].text or "2000小时" in pages[1].text


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "big5", "utf-8"])
def test_text_files_in_common_encodings(tmp_path: Path, encoding: str):
    text = "主軸每運行兩千小時更換潤滑油。" if encoding == "big5" else "主轴每运行两千小时更换润滑油，油温不超过85度。"
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode(encoding))
    assert load_pages(path)[0].text == text


def test_html_drops_scripts_and_keeps_text(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text("<html><script>alert(1)</script><body><h1>阀门</h1><p>压力 1.6 MPa</p></body></html>")
    text = load_pages(path)[0].text
    assert "alert" not in text and "阀门" in text and "1.6 MPa" in text


def test_encrypted_pdf_fails_with_password_reason(tmp_path: Path):
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "pump_manual.pdf"))
    writer.encrypt(user_password="secret", algorithm="AES-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    with pytest.raises(FileIngestError, match="encrypted: needs a password"):
        load_pages(path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "corrupt PDF"),
        ("empty.pdf", b"", "empty file"),
        ("data.bin", b"\x00\x01", "unsupported file type"),
        ("blank.txt", b"   \n  ", "no text found"),
    ],
)
def test_bad_files_fail_with_a_specific_reason(tmp_path: Path, name: str, content: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileIngestError, match=reason):
        load_pages(path)
