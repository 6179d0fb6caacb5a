"""The generated half of the table-question fixture: two PDFs with ruled tables, drawn with fpdf2.

- torque_en.pdf: a bolt-torque table whose header has merged cells ("Tightening torque (N·m)" over "Class 8.8"
  and "Class 10.9") and which goes on over the next page without repeating its header, then a parameter table;
- spindle_zh.pdf: 主轴技术参数 and an alarm list (报警代码 / 含义 / 处理方法), Chinese text in WenQuanYi Micro Hei
  (Debian's fonts-wqy-microhei).
The values are made up for this project. Questions on them are in bench/data/tables.jsonl.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

# as scripts/make_pdfs.py (fpdf2 with Noto CJK, a CFF font, writes a text layer pdfminer cannot read)
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

TORQUES = [  # size, pitch, class 8.8, class 10.9 (N·m)
    ("M6", "1.0", "10", "14"),
    ("M8", "1.25", "25", "35"),
    ("M10", "1.5", "49", "69"),
    ("M12", "1.75", "86", "120"),
    ("M14", "2.0", "135", "190"),
    ("M16", "2.0", "210", "295"),
    ("M18", "2.5", "290", "405"),
    ("M20", "2.5", "410", "580"),
    ("M22", "2.5", "550", "780"),
    ("M24", "3.0", "710", "1000"),
    ("M27", "3.0", "1050", "1480"),
    ("M30", "3.5", "1420", "2000"),
]
PARAMETERS = [
    ("P101", "Spindle acceleration time", "2.5 s", "0.5-10 s"),
    ("P102", "Spindle deceleration time", "3.0 s", "0.5-10 s"),
    ("P205", "Axis following error limit", "0.08 mm", "0.01-1 mm"),
    ("P310", "Coolant pump delay", "4 s", "0-60 s"),
    ("P412", "Tool change timeout", "12 s", "5-30 s"),
]
SPINDLES = [
    ("ZK-160", "5.5 kW", "8000 r/min", "35 N·m", "BT30"),
    ("ZK-200", "7.5 kW", "12000 r/min", "45 N·m", "BT40"),
    ("ZK-250", "11 kW", "10000 r/min", "70 N·m", "BT40"),
    ("ZK-300", "15 kW", "6000 r/min", "140 N·m", "BT50"),
]
ALARMS = [
    ("AL-105", "主轴过载", "降低切削用量，检查主轴皮带张紧力"),
    ("AL-210", "润滑油压力不足", "检查润滑泵和油路是否堵塞"),
    ("AL-310", "冷却液液位低", "补充冷却液至液位计上限"),
    ("AL-402", "刀库定位错误", "执行刀库回零并检查定位开关"),
    ("AL-517", "X 轴超程", "手动反向移动 X 轴并检查限位开关"),
    ("AL-630", "液压卡盘压力低", "将卡盘压力调整到 2.5 MPa"),
]


def _table(pdf: FPDF, rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
    with pdf.table(col_widths=widths, text_align="LEFT", first_row_as_headings=False) as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)


def torque_en(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "ZK Series Machining Centre - Assembly Manual\n\n4 Fasteners\n")
    pdf.multi_cell(
        0, 7, "Tighten every bolt of the column and the table with a calibrated torque wrench, in two passes."
    )
    pdf.ln(4)
    pdf.multi_cell(0, 7, "Table 4.1 Bolt tightening torques")
    with pdf.table(col_widths=(30, 30, 40, 40), text_align="LEFT", first_row_as_headings=False) as table:
        head = table.row()
        head.cell("Bolt size", rowspan=2)
        head.cell("Pitch (mm)", rowspan=2)
        head.cell("Tightening torque (N·m)", colspan=2)
        sub = table.row()
        sub.cell("Class 8.8")
        sub.cell("Class 10.9")
        for values in TORQUES[:9]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.add_page()  # the table goes on, without its header
    _table(pdf, TORQUES[9:], (30, 30, 40, 40))
    pdf.ln(6)
    pdf.multi_cell(0, 7, "5 Parameters\nThe machine parameters below are set at the factory.")
    pdf.ln(2)
    pdf.multi_cell(0, 7, "Table 5.1 Machine parameters")
    _table(pdf, [("No.", "Name", "Default", "Range"), *PARAMETERS], (20, 80, 30, 40))
    pdf.output(str(path))
    return path


def spindle_zh(path: Path, font: Path = CJK_FONT) -> Path:
    pdf = FPDF()
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "ZK 系列电主轴使用说明书\n\n一、技术参数\n各型号主轴的额定参数如下表所示。")
    pdf.ln(2)
    pdf.multi_cell(0, 7, "表 1 主轴技术参数")
    _table(pdf, [("型号", "额定功率", "最高转速", "额定扭矩", "刀柄"), *SPINDLES], (30, 30, 40, 35, 25))
    pdf.ln(6)
    pdf.multi_cell(0, 7, "二、故障处理\n出现报警时，先按下急停按钮，再按下表处理。")
    pdf.ln(2)
    pdf.multi_cell(0, 7, "表 2 报警代码一览")
    _table(pdf, [("报警代码", "含义", "处理方法"), *ALARMS], (30, 50, 100))
    pdf.output(str(path))
    return path


def make_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [torque_en(folder / "torque_en.pdf"), spindle_zh(folder / "spindle_zh.pdf")]
