"""Near-duplicate dropping with the real e5 model and a real Chroma (issue 19, item 1): texts that differ in a
number, code, unit or name are different facts and always stored; only the same text (up to spacing,
punctuation and page numbers) is stored once."""

from pathlib import Path

from core.kb import open_kb
from core.settings import load_settings
from ingest.pipeline import discover, ingest_files
from tests.conftest import TEST_CONFIG, json_lines, run_cli

FAULTS = ["主轴过热", "润滑压力低", "冷却液不足", "伺服过载", "刀库定位失败"]
WARNING = (
    "安全警告：维护前必须切断主电源并挂牌上锁，确认主轴和刀塔完全停止、液压系统已经泄压、冷却液泵已经关闭后，"
    "方可打开防护门进行检查。维护人员必须佩戴防护眼镜和防割手套，不得单人作业，作业区域内不得存放易燃物品。"
    "维护完成后，应清点工具、关闭防护门、恢复电源，并由班组长在维护记录上签字确认后方可重新开机运行。"
    "如发现设备存在异常声响、漏油或报警无法复位等情况，应立即停止作业并报告设备管理部门，不得擅自拆卸电气柜。"
    "电气柜内的维修只能由持证电工进行，进入电气柜前必须用万用表确认主回路和控制回路均已断电，并在柜门悬挂警示牌。"
    "设备重新运行前，应先手动低速试运行至少五分钟，确认各轴运动平稳、润滑正常、冷却液流量正常后方可自动加工。"
)


def card(n: int) -> str:
    """One machine's maintenance card: the same template, the machine's own codes and figures."""
    fault = FAULTS[n % len(FAULTS)]
    machine = f"CK6140-{n:02d}"
    return (
        f"设备维护卡 {machine}，安装在 {n % 4 + 1} 号线第 {n} 工位，设备责任人工号 E{1000 + 7 * n}。"
        f"本卡适用于 {machine} 数控车床的日常保养、报警处理与定期更换，其他设备不得套用本卡的参数。"
        f"{machine} 的出厂编号为 SN2024{n:04d}，最近一次大修日期为 2025-{n % 12 + 1:02d}-{n + 5:02d}，"
        f"下次大修应在运行满 {8000 + 250 * n} 小时或到期之前完成，以先到者为准。"
        f"点检记录保存在设备档案柜 {n % 6 + 1} 号格，保存期限为三年，到期后由设备管理部门统一归档处理。\n\n"
        f"日常保养：{machine} 每班开机前检查导轨润滑油位，油位低于刻度线时补充 {32 + 2 * n} 号导轨油；"
        f"检查卡盘夹紧压力，应为 {1.0 + n / 10:.1f} MPa；清理刀塔与导轨上的切屑，检查防护门联锁开关是否有效。"
        f"每周检查一次冷却液浓度，乳化液浓度应保持在 {4 + n % 4}% 至 {8 + n % 4}% 之间；"
        f"每月检查一次主轴皮带张紧度，用 {20 + n} N 的力按压皮带中部，下沉量应为 {5 + n % 3} mm 左右。"
        f"尾座套筒每周加注一次 {n % 2 + 2} 号锂基润滑脂，每次 {n % 3 + 1} 克。\n\n"
        f"{WARNING}\n\n"
        f"报警处理：报警 AL-{600 + n} 表示{fault}。出现 AL-{600 + n} 时，先按复位键，"
        f"若报警仍在，检查 {n % 3 + 1} 号{fault[:2]}回路，"
        f"并记录报警时间和当班主轴转速（不得超过 {2000 + 100 * n} rpm）。"
        f"同一班次内 AL-{600 + n} 出现三次以上时，应停机并通知维修工程师，维修电话分机 {3300 + n}。"
        f"处理完成后在报警记录表上填写报警代码、原因、处理措施和复位时间，交班时向下一班说明。"
        f"报警 AL-{700 + n} 表示{FAULTS[(n + 2) % len(FAULTS)]}，处理方法与 AL-{600 + n} 相同，"
        f"但须额外检查 {n % 4 + 1} 号传感器。\n\n"
        f"定期更换：{machine} 的主轴润滑脂每 {1500 + 50 * n} 小时更换一次，冷却液每 {n % 5 + 2} 周更换一次，"
        f"液压油滤芯每 {n % 4 + 3} 个月更换一次，液压油每 {n % 3 + 1} 年更换一次，"
        f"每次加注 {40 + n} 升 46 号抗磨液压油。"
        f"X 轴和 Z 轴滚珠丝杠每 {n % 2 + 1} 年检查一次反向间隙，超过 0.0{n % 5 + 2} mm 时应调整或更换。"
        f"更换完成后在点检表第 {n} 栏签字，并将旧滤芯交回仓库 {n % 3 + 1} 号库位统一处理。"
    )


def test_distinct_facts_in_templated_files_are_all_stored_and_found(tmp_path: Path):
    """The issue's case: eight one-line facts, one per file, differing in a code, a weight and a cabinet."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(1, 9):
        fact = (
            f"Unique fact {i}: the zeta-{i} calibration block weighs {i * 37} grams and is stored in cabinet Q{i}. "
            f"校准块 zeta-{i} 存放在柜子 Q{i} 中。"
        )
        (docs / f"new{i}.txt").write_text(fact + "\n", encoding="utf-8")
    data = tmp_path / "data"
    assert run_cli("ingest", str(docs), data_dir=data).returncode == 0
    kb = open_kb(load_settings(TEST_CONFIG, data_dir=str(data)))
    assert kb.count() == 8
    question = "How much does the zeta-3 calibration block weigh?"
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", question, data_dir=data).stdout)[0]["sources"][0]
    assert hit["source"] == str(docs / "new3.txt") and "111 grams" in hit["text"] and "cabinet Q3" in hit["text"]
    assert hit["also_in"] == []


def test_twenty_maintenance_cards_keep_every_card_and_share_only_the_identical_warning(tmp_path: Path):
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    docs = tmp_path / "cards"
    docs.mkdir()
    for n in range(1, 21):
        (docs / f"CK6140-{n:02d}.txt").write_text(card(n), encoding="utf-8")
    kb = open_kb(settings)
    report = ingest_files(kb, discover([str(docs)], [".txt"]), settings.ingest, 32)
    assert report.ok
    total = sum(r.chunks for r in report.results) + kb.manifest.count_dropped()
    assert total >= 20 * 4  # several chunks per card: the template is long enough to split
    # Only the safety warning is the same in every card: stored once, the nineteen other copies left out.
    assert kb.manifest.count_dropped() == 19
    assert kb.count() == total - 19
    dropped = [d for f in kb.files() for d in kb.manifest.dropped_twins_of(str(f.doc_id))]
    assert len(dropped) == 19 and all(d.text == WARNING for d in dropped)

    data = tmp_path / "data"
    for n in (8, 13, 20):
        question = f"报警 AL-{600 + n} 是什么意思？"
        top = json_lines(run_cli("app", "search", "--json", "-k", "1", question, data_dir=data).stdout)[0]["sources"][0]
        assert top["source"] == str(docs / f"CK6140-{n:02d}.txt") and f"AL-{600 + n} 表示" in top["text"], top
    assert kb.check() == []


def test_the_same_text_with_other_spacing_punctuation_and_page_number_is_stored_once(tmp_path: Path):
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    kb = open_kb(settings)
    text = "更换刀具前必须切断主电源并挂牌上锁，确认主轴完全停止后方可打开防护门，扭矩 45 N·m，间隙 0.3 mm。"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    spaced = text.replace("，", ",  ").replace("。", " .").replace("45", "４５")
    (tmp_path / "b.txt").write_text(f"第 3 页\n{spaced}\n- 3 -", encoding="utf-8")
    (tmp_path / "c.txt").write_text(text.replace("0.3 mm", "0.5 mm"), encoding="utf-8")  # another figure
    (tmp_path / "d.txt").write_text(text.replace("0.3 mm", "03 mm"), encoding="utf-8")  # "0.3" is not "03"
    settings.ingest.workers = 1  # in order: a.txt is stored before its copy is looked at
    report = ingest_files(kb, discover([str(tmp_path)], [".txt"]), settings.ingest, 32)
    stored = {Path(r.source).name: r for r in report.results}
    assert {name: r.chunks for name, r in stored.items()} == {"a.txt": 1, "b.txt": 0, "c.txt": 1, "d.txt": 1}
    assert "near-duplicate" in stored["b.txt"].note
    assert kb.count() == 3
    with kb.writing():
        kb.forget_file(str(tmp_path / "a.txt"))  # its twin goes: b's copy is stored after all
    assert kb.count() == 3 and kb.check() == []
