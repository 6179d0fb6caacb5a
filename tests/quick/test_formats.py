"""Each supported format, built at test time with the library that writes it, read back through load_pages."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders import load_pages
from ingest.loaders.office import heading_level
from ingest.loaders.tables import rows_as_text
from tests.conftest import FIXTURES

# Two lines, "主轴最大扭矩" / "每运行2000小时", drawn with PIL in WenQuanYi Micro Hei 36 px, saved 1-bit (1.3 KB).
# Committed rather than drawn at test time because CI machines need not have a CJK font.
OCR_PNG = FIXTURES / "formats" / "ocr_zh.png"


def fill(table: Any, rows: list[list[str]]) -> None:
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("ZK-200 主轴手册", level=0)
    document.add_heading("一、技术参数", level=1)
    document.add_paragraph("下表列出主轴的额定参数。")
    table = document.add_table(rows=3, cols=3)
    fill(table, [["型号", "功率", "转速"], ["ZK-200", "7.5 kW", "12000 rpm"], ["ZK-300", "11 kW", ""]])
    document.add_heading("1.1 润滑", level=2)
    document.add_paragraph("每运行 2000 小时更换润滑脂。")
    document.save(path)
    return path


def test_docx_headings_paragraphs_and_tables_in_document_order(tmp_path: Path):
    pages = load_pages(make_docx(tmp_path / "manual.docx"))
    assert [p.page for p in pages] == [None]
    lines = pages[0].text.splitlines()
    assert lines == [
        "# ZK-200 主轴手册",
        "# 一、技术参数",
        "下表列出主轴的额定参数。",
        "型号: ZK-200; 功率: 7.5 kW; 转速: 12000 rpm",
        "型号: ZK-300; 功率: 11 kW",
        "## 1.1 润滑",
        "每运行 2000 小时更换润滑脂。",
    ]


def test_docx_merged_cells_count_once_across_and_repeat_down(tmp_path: Path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    fill(table, [["部件", "周期", "油品"], ["主轴", "2000 h", "L-HM46"], ["", "", ""]])
    table.cell(1, 0).merge(table.cell(2, 0))  # "主轴" spans two rows
    table.cell(2, 1).merge(table.cell(2, 2)).text = "每日检查"  # one cell across two columns
    path = tmp_path / "merged.docx"
    document.save(path)
    lines = load_pages(path)[0].text.splitlines()
    assert lines[0] == "部件: 主轴; 周期: 2000 h; 油品: L-HM46"
    assert lines[1] == "部件: 主轴; 周期: 每日检查"


@pytest.mark.parametrize(
    ("style", "outline", "level"),
    [
        ("Heading 3", [], 3),
        ("heading 9", [], 6),
        ("标题 2", [], 2),
        ("Title", [], 1),
        ("Normal", ["1"], 2),
        ("Normal", ["9"], None),
    ],
)
def test_heading_levels_from_style_names_and_outline_levels(style: str, outline: list[str], level: int | None):
    assert heading_level(style, outline) == level


def test_xlsx_one_page_per_sheet_with_headers_on_every_row(tmp_path: Path):
    from openpyxl import Workbook

    workbook = Workbook()
    params = workbook.active
    params.title = "参数"
    params.append(["型号", "功率(kW)", "重量"])
    params.append(["ZK-200", 7.5, 38.0])
    params.append([None, None, None])  # a blank row is skipped
    params.append(["ZK-300", 11, None])
    workbook.create_sheet("空表")
    alarms = workbook.create_sheet("报警")
    alarms.append(["代码", "含义"])
    alarms.append(["E21", "主轴过热"])
    path = tmp_path / "参数 表.xlsx"
    workbook.save(path)

    pages = load_pages(path)
    assert [p.page for p in pages] == [1, 3]  # the empty sheet is dropped, numbering stays the sheet's position
    assert pages[0].text.splitlines() == [
        "# 参数",
        "型号: ZK-200; 功率(kW): 7.5; 重量: 38",
        "型号: ZK-300; 功率(kW): 11",
    ]
    assert pages[1].text.splitlines() == ["# 报警", "代码: E21; 含义: 主轴过热"]


def test_xlsx_formulas_read_as_their_cached_values(tmp_path: Path):
    """data_only=True: a workbook saved by Excel carries the computed value; openpyxl-written ones have none."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["项目", "数量"])
    sheet.append(["螺栓", "=2*3"])
    path = tmp_path / "formula.xlsx"
    workbook.save(path)
    text = load_pages(path)[0].text
    assert "=2*3" not in text and "项目: 螺栓" in text


@pytest.mark.parametrize(("encoding", "delimiter"), [("gbk", ","), ("utf-8-sig", ";"), ("utf-8", "\t")])
def test_csv_rows_carry_their_headers_in_any_encoding(tmp_path: Path, encoding: str, delimiter: str):
    path = tmp_path / "报警代码.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerows(
            [["代码", "含义", "处理"], ["AL-105", "主轴过载", "降低切削用量"], [], ["AL-210", "润滑压力不足", ""]]
        )
    pages = load_pages(path)
    assert pages[0].page is None
    assert pages[0].text.splitlines() == [
        "代码: AL-105; 含义: 主轴过载; 处理: 降低切削用量",
        "代码: AL-210; 含义: 润滑压力不足",
    ]


def test_rows_with_a_header_only_keep_their_words():
    assert list(rows_as_text([["", ""], ["型号", "功率"]])) == ["型号; 功率"]


def make_pptx(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    first = presentation.slides.add_slide(presentation.slide_layouts[1])
    first.shapes.title.text = "主轴保养"
    first.placeholders[1].text_frame.text = "每周清理刀塔切屑"
    first.notes_slide.notes_text_frame.text = "讲解时强调安全"
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    second.shapes.title.text = "报警代码"
    table = second.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, values in enumerate([["代码", "含义"], ["E21", "主轴过热"], ["E34", "拉刀力不足"]]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    presentation.slides.add_slide(presentation.slide_layouts[6])  # blank slide: no page
    presentation.save(path)
    return path


def test_pptx_one_page_per_slide_title_as_heading_tables_and_notes(tmp_path: Path):
    pages = load_pages(make_pptx(tmp_path / "培训 课件.pptx"))
    assert [p.page for p in pages] == [1, 2]
    assert pages[0].text.splitlines() == ["# 主轴保养", "每周清理刀塔切屑", "讲解时强调安全"]
    assert pages[1].text.splitlines() == ["# 报警代码", "代码: E21; 含义: 主轴过热", "代码: E34; 含义: 拉刀力不足"]


def test_html_headings_become_markdown_and_tables_rows(tmp_path: Path):
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><head><style>p{color:red}</style><title>t</title></head><body><h1>阀门</h1>"
        "<p>压力 <b>1.6</b> MPa</p><h3>参数</h3><table><tr><th>型号</th><th>口径</th></tr>"
        "<tr><td>V-1</td><td>DN50</td></tr></table><script>var x = 1;</script></body></html>",
        encoding="utf-8",
    )
    lines = load_pages(path)[0].text.splitlines()
    assert lines == ["# 阀门", "压力 1.6 MPa", "### 参数", "型号: V-1; 口径: DN50"]  # <title> is not page text


def test_markdown_headings_pass_through(tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text("# 保养\n\n## 每日\n检查油位。\n", encoding="utf-8")
    assert load_pages(path)[0].text == "# 保养\n\n## 每日\n检查油位。"


def test_image_ocr_reads_chinese():
    pages = load_pages(OCR_PNG)
    assert [p.page for p in pages] == [None]
    assert "扭矩" in pages[0].text and "2000" in pages[0].text


def test_jpeg_with_exif_rotation_is_read_upright(tmp_path: Path):
    from PIL import Image

    path = tmp_path / "铭牌 照片.jpg"
    rotated = Image.open(OCR_PNG).convert("RGB").rotate(90, expand=True)  # stored sideways, EXIF says turn back
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    rotated.save(path, quality=95, exif=exif)
    assert "扭矩" in load_pages(path)[0].text


def test_image_with_ocr_off_says_so():
    with pytest.raises(FileIngestError, match=r"^image needs OCR, which is off \(ingest.ocr: never\)$"):
        load_pages(OCR_PNG, IngestSettings(ocr="never"))


def test_a_title_row_above_the_header_stays_a_plain_line():
    rows = [["2024 设备清单", "", ""], ["型号", "功率", "重量"], ["ZK-200", "7.5 kW", "38 kg"]]
    assert list(rows_as_text(rows)) == ["2024 设备清单", "型号: ZK-200; 功率: 7.5 kW; 重量: 38 kg"]


def test_a_single_column_table_is_one_value_per_line():
    assert list(rows_as_text([["检查项"], ["油位"], [""], ["气压"]])) == ["检查项", "油位", "气压"]
