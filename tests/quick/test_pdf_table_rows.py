"""PDF tables as rows: the row rules on plain grids, the page-text merge, and fpdf2-drawn PDFs through load_pdf."""

from __future__ import annotations

from pathlib import Path

from core.documents import CAPTION_END
from core.settings import IngestSettings
from ingest.loaders.pdf import load_pdf
from ingest.loaders.pdf_tables import _Found, merge_page_text
from ingest.loaders.table_rows import Built, Slot, Table, build_rows, cell, unstack


def grid(rows: list[list[str | tuple[int, int]]]) -> list[list[Slot]]:
    """A grid from texts, where (r, c) marks a position covered by the merged cell that starts at r, c."""
    out: list[list[Slot]] = []
    for r, row in enumerate(rows):
        slots = []
        for c, value in enumerate(row):
            if isinstance(value, tuple):
                origin = out[value[0]][value[1]] if value[0] < r else slots[value[1]]
                slots.append(origin)
            else:
                slots.append(Slot(value, r, c))
        out.append(slots)
    return out


TORQUE_HEAD: list[list[str | tuple[int, int]]] = [
    ["Bolt", "Pitch", "Torque (N·m)", (0, 2)],
    [(0, 0), (0, 1), "Class 8.8", "Class 10.9"],
]


def test_merged_header_cells_name_every_column_they_span():
    built = build_rows(Table(grid([*TORQUE_HEAD, ["M16", "2.0", "210", "295"]])))
    assert built.header == ["Bolt", "Pitch", "Torque (N·m) Class 8.8", "Torque (N·m) Class 10.9"]
    assert built.lines == ["Bolt: M16; Pitch: 2.0; Torque (N·m) Class 8.8: 210; Torque (N·m) Class 10.9: 295"]


def test_a_body_cell_spanning_rows_repeats_and_one_spanning_columns_counts_once():
    rows = [["Model", "Part", "Interval"], ["ZK-200", "Belt", "500 h"], [(1, 0), "Grease", "2000 h"]]
    assert build_rows(Table(grid(rows))).lines == [
        "Model: ZK-200; Part: Belt; Interval: 500 h",
        "Model: ZK-200; Part: Grease; Interval: 2000 h",
    ]
    wide = [["Code", "Meaning", "Action"], ["E1", "Overheat", (1, 1)]]
    assert build_rows(Table(grid(wide))).lines == ["Code: E1; Meaning: Overheat"]


def test_a_title_row_across_the_table_is_its_caption():
    rows = [["Spindle data", (0, 0), (0, 0)], ["Model", "Power", "Speed"], ["ZK-200", "7.5 kW", "12000 rpm"]]
    built = build_rows(Table(grid(rows)))
    assert built.caption == "Spindle data"
    assert built.lines == ["Model: ZK-200; Power: 7.5 kW; Speed: 12000 rpm"]


def test_a_table_continued_on_the_next_page_keeps_its_header_and_caption():
    first = build_rows(Table(grid([*TORQUE_HEAD, ["M8", "1.25", "25", "35"]]), caption="Table 4.1 Torques"))
    continued = build_rows(Table(grid([["M27", "3.0", "1050", "1480"]])), previous=first)
    assert continued.caption == "Table 4.1 Torques"
    assert continued.lines == ["Bolt: M27; Pitch: 3.0; Torque (N·m) Class 8.8: 1050; Torque (N·m) Class 10.9: 1480"]
    # a table with its own caption, or its own header row, is a new table
    captioned = build_rows(Table(grid([["M27", "3.0", "1050", "1480"]]), caption="Table 5"), previous=first)
    assert captioned.header == [] and captioned.lines == ["M27; 3.0; 1050; 1480"]
    other = build_rows(Table(grid([["Code", "Name", "Min", "Max"], ["P1", "Speed", "0", "10"]])), previous=first)
    assert other.header == ["Code", "Name", "Min", "Max"]


def test_a_table_of_words_continues_on_a_row_of_words():
    first = build_rows(Table(grid([["报警代码", "含义"], ["AL-105", "主轴过载"]])))
    assert not first.numbers
    continued = build_rows(Table(grid([["AL-210", "润滑油压力不足"]])), previous=first)
    assert continued.lines == ["报警代码: AL-210; 含义: 润滑油压力不足"]


def test_stacked_values_are_rows_and_a_wrapped_cell_is_one():
    assert unstack(["Alabama\nAlaska", "18,870\n209", ""]) == [["Alabama", "18,870", ""], ["Alaska", "209", ""]]
    assert unstack(["Layoff Unknown\nat this time", "150"]) == [["Layoff Unknown at this time", "150"]]
    assert cell("0 3 / 2 5 / 2 0 16") == "03/25/2016" and cell("(cid:3)0.93") == "0.93"
    assert cell("M 8 bolt") == "M 8 bolt"


def test_the_page_keeps_its_other_lines_and_loses_the_tables_own():
    table = Table(grid([["Size", "Torque"], ["M8", "25"], ["M10", "49"]]))
    compact = "SizeTorqueM825M1049"
    text = "4 Fasteners\nTighten in two passes.\nTable 4.1 Torques\nSize Torque\nM8 25\nM10 49\nPage 3"
    out, last = merge_page_text(text, [_Found(table, compact, opens_page=False, ends_page=True)], None)
    assert out.split("\n") == [
        "4 Fasteners",
        "Tighten in two passes.",
        "###### Table 4.1 Torques",
        "Size: M8; Torque: 25",
        "Size: M10; Torque: 49",
        CAPTION_END,  # the caption labels the rows only
        "Page 3",
    ]
    assert isinstance(last, Built) and last.header == ["Size", "Torque"]


def torque_pdf(path: Path) -> Path:
    """Two pages: a table with a merged header cell, going on over the page without repeating its header."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "4 Fasteners\nTighten each bolt in two passes.\nTable 4.1 Bolt tightening torques")
    with pdf.table(col_widths=(30, 40, 40), first_row_as_headings=False) as table:
        head = table.row()
        head.cell("Bolt size", rowspan=2)
        head.cell("Torque (N·m)", colspan=2)
        sub = table.row()
        sub.cell("Class 8.8")
        sub.cell("Class 10.9")
        for size, a, b in [("M8", "25", "35"), ("M10", "49", "69")]:
            row = table.row()
            for value in (size, a, b):
                row.cell(value)
    pdf.add_page()
    with pdf.table(col_widths=(30, 40, 40), first_row_as_headings=False) as table:
        row = table.row()
        for value in ("M27", "1050", "1480"):
            row.cell(value)
    pdf.multi_cell(0, 7, "\n5 Lubrication\nGrease the slides weekly.")
    pdf.output(str(path))
    return path


def test_a_drawn_pdf_reads_as_rows_under_the_caption_with_the_header_carried_over(tmp_path: Path):
    pages = load_pdf(torque_pdf(tmp_path / "t.pdf"), IngestSettings(ocr="never"))
    first, second = pages[0].text.split("\n"), pages[1].text.split("\n")
    assert first[:3] == ["4 Fasteners", "Tighten each bolt in two passes.", "###### Table 4.1 Bolt tightening torques"]
    assert "Bolt size: M8; Torque (N·m) Class 8.8: 25; Torque (N·m) Class 10.9: 35" in first
    assert "M8 25 35" not in pages[0].text  # the table's text is not stored twice
    assert second[:2] == [
        "###### Table 4.1 Bolt tightening torques",
        "Bolt size: M27; Torque (N·m) Class 8.8: 1050; Torque (N·m) Class 10.9: 1480",
    ]
    assert "5 Lubrication" in second and "Grease the slides weekly." in second
    assert second[2] == CAPTION_END


def test_off_or_out_of_time_the_page_keeps_its_plain_text(tmp_path: Path):
    path = torque_pdf(tmp_path / "t.pdf")
    for settings in (IngestSettings(ocr="never", pdf_tables=False), IngestSettings(ocr="never", pdf_tables_max_s=0)):
        text = load_pdf(path, settings)[0].text
        assert "Bolt size:" not in text and "M8 25 35" in text


def test_columns_under_one_merged_name_with_nothing_under_it_are_written_once():
    rows = [["State", "Permit", (0, 1), "Total"], ["Alabama", "18,870", "23,022", "71,137"]]
    assert build_rows(Table(grid(rows))).lines == ["State: Alabama; Permit: 18,870 23,022; Total: 71,137"]
