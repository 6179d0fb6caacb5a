"""Regenerate the bundled PDFs (sample knowledge base in examples/, fixtures in tests/fixtures/).

Their text is written for this project (fictional equipment), so it carries no third-party licence.
Chinese pages need a CJK TrueType font: `apt-get install fonts-wqy-microhei`, or pass --cjk-font.
Run: .venv/bin/python scripts/make_pdfs.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

SPINDLE_EN = [
    "ZK-200 Spindle Unit - Operator Manual\n\n1. Overview\nThe ZK-200 is a belt-driven milling spindle for "
    "vertical machining centres. Maximum speed: 12,000 rpm. Rated power: 7.5 kW (S1 duty). Taper: BT40.\n"
    "Weight of the spindle cartridge: 38 kg. Always lift it with the two M12 eye bolts supplied.",
    "2. Torque and lubrication\nThe maximum torque of the ZK-200 spindle is 45 N·m, reached at 1,500 rpm. "
    "Above 1,500 rpm the spindle runs at constant power.\nThe spindle bearings are grease-lubricated for life "
    "under normal duty. After a bearing replacement, pack each bearing with 2 g of lithium grease and run the "
    "break-in cycle: 15 minutes each at 2,000, 6,000 and 10,000 rpm.",
    "3. Alarms and troubleshooting\nAlarm E21 (spindle overheating) is raised when the bearing temperature "
    "exceeds 70 °C. Stop the spindle, check the coolant flow to the spindle jacket (at least 4 L/min) and let "
    "it cool before restarting.\nAlarm E34 (drawbar) means the tool clamp force is below 8 kN: check the "
    "air pressure (0.6 MPa) and the disc springs.",
]

LATHE_ZH = [
    "CK6140 数控车床日常保养规程\n\n一、每日检查\n开机前检查导轨润滑油箱油位，油位应在上下刻线之间。"
    "检查气源压力，正常范围为 0.5～0.7 MPa。开机后主轴先以 500 r/min 低速运转 10 分钟进行预热。",
    "二、每周保养\n清理刀塔和导轨上的切屑，禁止用压缩空气直接吹导轨。检查冷却液浓度，乳化液浓度应保持在 "
    "5%～8%，浓度过低会导致工件生锈。检查液压卡盘的夹紧压力，标准值为 2.5 MPa。",
    "三、故障处理\n报警 AL-105 表示主轴过载：应降低切削用量，并检查主轴皮带张紧力。"
    "报警 AL-210 表示润滑油压力不足：检查润滑泵和油路是否堵塞。每运行 2000 小时更换一次主轴箱润滑油。",
]

PUMP_EN = [
    "HX-50 Centrifugal Pump - Service Notes\n\nSection 1. Installation\nMount the pump on a rigid base plate. "
    "The suction pipe must be at least DN65. Align the coupling to within 0.05 mm.",
    "Section 2. Impeller\nThe impeller clearance must be set to 0.3 mm. Tighten the impeller nut to 60 N·m "
    "using a torque wrench. Replace the mechanical seal whenever the impeller is removed.",
    "Section 3. Operation\nNever run the pump dry. The maximum fluid temperature is 90 °C. The rated flow is "
    "50 m³/h at a head of 32 m.",
]

GEARBOX_ZH = [
    "JS-80 减速机使用说明\n\n第一章 安装\n减速机应安装在水平基础上，联轴器的同轴度误差不得超过 0.1 毫米。",
    "第二章 润滑\n减速机首次运行 300 小时后必须更换润滑油。此后齿轮箱换油周期为 2000 小时，"
    "使用 VG220 齿轮油。油温不得超过 85 摄氏度。",
]


def write_pdf(path: Path, pages: list[str], title: str, cjk_font: str | None) -> None:
    pdf = FPDF()
    pdf.set_title(title)
    if cjk_font:
        pdf.add_font("cjk", fname=cjk_font)
        family = "cjk"
    else:
        family = "helvetica"
    for text in pages:
        pdf.add_page()
        pdf.set_font(family, size=12)
        pdf.multi_cell(0, 8, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    print("wrote", path.relative_to(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cjk-font", default=WQY)
    font = parser.parse_args().cjk_font
    write_pdf(ROOT / "examples/ZK-200_spindle_manual.pdf", SPINDLE_EN, "ZK-200 Spindle Unit", font)
    write_pdf(ROOT / "examples/CK6140数控车床保养规程.pdf", LATHE_ZH, "CK6140 数控车床日常保养规程", font)
    write_pdf(ROOT / "tests/fixtures/pump_manual.pdf", PUMP_EN, "HX-50 Centrifugal Pump", font)
    write_pdf(ROOT / "tests/fixtures/减速机说明.pdf", GEARBOX_ZH, "JS-80 减速机使用说明", font)


if __name__ == "__main__":
    main()
