"""PDF pages whose text layer runs words together are read again with their spaces (issue 20, item 2).

The PDF is written here: its word gaps are TJ offsets, not space characters, and its font declares a space
wider than any gap, so pypdf reads "ThedriverhasaVmaxrating…" (as it reads the LinuxCNC manuals) while pdfium,
placing words by their glyphs' positions, reads the spaces."""

from __future__ import annotations

from pathlib import Path

from core.settings import IngestSettings
from ingest.loaders.pdf import glued_share, load_pdf

SENTENCE = "The driver has a Vmax rating of 80 VDC and is limited to 72 VDC by the supply."


def glued_pdf(lines: list[str]) -> bytes:
    ops = ["BT /F1 11 Tf 72 760 Td 14 TL"]
    ops += ["[" + "-300".join(f"({w})" for w in line.split()) + "] TJ T*" for line in lines]
    stream = "\n".join([*ops, "ET"]).encode()
    widths = b" ".join([b"2000"] + [b"556"] * 94)  # a space wider than any gap: pypdf puts none in
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 /Widths [%s] >>" % widths,
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_a_page_whose_words_run_together_is_read_again_with_its_spaces(tmp_path: Path):
    path = tmp_path / "driver.pdf"
    path.write_bytes(glued_pdf([SENTENCE] * 12))
    off = load_pdf(path, IngestSettings(ocr="never", respace_min_share=1.0))[0].text
    assert "limitedto72VDC" in off and glued_share(off) > 0.01  # pypdf's text, as before
    (page,) = load_pdf(path, IngestSettings(ocr="never"))
    assert "is limited to 72 VDC by the supply." in page.text and glued_share(page.text) == 0.0
    assert page.page == 1


def test_the_share_judges_only_pages_with_enough_latin_words():
    assert glued_share("ThedriverhasaVmaxratingof80VDC " + "word " * 30) > 0
    assert glued_share("主轴 internationalization 配置") == 0.0  # too few Latin words to judge
    assert glued_share(SENTENCE * 3) == 0.0
