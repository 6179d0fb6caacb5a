from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from core.settings import IngestSettings
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


OCR_PNG = FIXTURES / "formats" / "ocr_zh.png"  # two lines: 主轴最大扭矩 / 每运行2000小时


def scanned_pdf(path: Path) -> Path:
    """An image-only page (no text layer), as a scanner writes it."""
    from PIL import Image

    Image.open(OCR_PNG).convert("RGB").save(path, "PDF", resolution=150)
    return path


def hidden_layer_pdf(path: Path, hidden: str) -> Path:
    """The picture shows the Chinese text; an invisible text layer says something else (a bad earlier OCR)."""
    from fpdf import FPDF
    from fpdf.enums import TextMode

    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(OCR_PNG), x=10, y=10, w=120)
    pdf.set_font("helvetica", size=12)
    pdf.text_mode = TextMode.INVISIBLE
    pdf.text(x=10, y=80, text=hidden)
    pdf.output(str(path))
    return path


def encrypt(source: Path, target: Path, user: str, owner: str | None = None) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-128")
    writer.write(target)
    return target


def test_scanned_pdf_is_read_by_ocr_in_auto_mode(tmp_path: Path):
    pages = load_pages(scanned_pdf(tmp_path / "扫描 件.pdf"))
    assert [p.page for p in pages] == [1]
    assert "扭矩" in pages[0].text and "2000" in pages[0].text


def test_scanned_pdf_with_ocr_off_names_the_setting(tmp_path: Path):
    with pytest.raises(FileIngestError, match=r"^no text layer and OCR is off \(ingest.ocr: never\)$"):
        load_pages(scanned_pdf(tmp_path / "scan.pdf"), IngestSettings(ocr="never"))


def test_auto_keeps_a_real_text_layer_and_always_ocrs_every_page(tmp_path: Path):
    path = hidden_layer_pdf(tmp_path / "layered.pdf", "HIDDEN LAYER SAYS SOMETHING ELSE ENTIRELY")
    auto = load_pages(path)[0].text
    assert "HIDDEN LAYER" in auto and "扭矩" not in auto
    always = load_pages(path, IngestSettings(ocr="always", ocr_dpi=100))[0].text  # A4 at 100 dpi: OCR stays fast
    assert "扭矩" in always and "HIDDEN" not in always


def test_auto_ocrs_a_page_whose_text_layer_is_below_ocr_min_chars(tmp_path: Path):
    path = hidden_layer_pdf(tmp_path / "page-number-only.pdf", "p. 7")
    assert "扭矩" in load_pages(path, IngestSettings(ocr_min_chars=20, ocr_dpi=100))[0].text
    assert load_pages(path, IngestSettings(ocr_min_chars=3))[0].text == "p. 7"


def test_mixed_pdf_ocrs_only_the_scanned_page(tmp_path: Path):
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "pump_manual.pdf"))
    writer.append(PdfReader(scanned_pdf(tmp_path / "scan.pdf")))
    path = tmp_path / "mixed.pdf"
    writer.write(path)
    pages = load_pages(path)
    assert [p.page for p in pages] == [1, 2, 3, 4]
    assert "0.3 mm" in pages[1].text and "扭矩" in pages[3].text


def test_password_from_settings_opens_an_encrypted_pdf(tmp_path: Path):
    path = encrypt(FIXTURES / "pump_manual.pdf", tmp_path / "locked manual.pdf", user="secret")
    pages = load_pages(path, IngestSettings(passwords={"locked manual.pdf": "secret"}))
    assert "0.3 mm" in pages[1].text
    assert load_pages(path, IngestSettings(passwords={"*.pdf": "secret"}))[1].text == pages[1].text


def test_wrong_password_is_named(tmp_path: Path):
    path = encrypt(FIXTURES / "pump_manual.pdf", tmp_path / "locked.pdf", user="secret")
    with pytest.raises(FileIngestError, match=r"^wrong password"):
        load_pages(path, IngestSettings(passwords={"locked.pdf": "guess"}))
    with pytest.raises(FileIngestError, match=r"^encrypted: needs a password"):
        load_pages(path, IngestSettings(passwords={"other.pdf": "secret"}))


def test_pdf_with_only_an_owner_password_opens_without_one(tmp_path: Path):
    path = encrypt(FIXTURES / "pump_manual.pdf", tmp_path / "restricted.pdf", user="", owner="owner-only")
    assert "0.3 mm" in load_pages(path)[1].text


def test_encrypted_scanned_pdf_is_rendered_with_its_password(tmp_path: Path):
    path = encrypt(scanned_pdf(tmp_path / "scan.pdf"), tmp_path / "locked scan.pdf", user="secret")
    assert "扭矩" in load_pages(path, IngestSettings(passwords={"locked*": "secret"}))[0].text


def test_only_pages_that_draw_an_image_are_worth_ocr(tmp_path: Path):
    from ingest.loaders.pdf import has_images

    assert not any(has_images(page) for page in PdfReader(FIXTURES / "pump_manual.pdf").pages)
    assert has_images(PdfReader(scanned_pdf(tmp_path / "scan.pdf")).pages[0])
    assert has_images(PdfReader(hidden_layer_pdf(tmp_path / "layered.pdf", "x")).pages[0])


def test_pdf_that_pypdf_cannot_parse_is_read_through_pdfium(tmp_path: Path):
    data = (FIXTURES / "pump_manual.pdf").read_bytes()
    path = tmp_path / "no-trailer.pdf"
    path.write_bytes(data[: data.rfind(b"startxref")])  # cross-reference offset and trailer cut off
    pages = load_pages(path)
    assert [p.page for p in pages] == [1, 2, 3] and "0.3 mm" in pages[1].text
