"""Verified answers (issue 22) in the quick tier: the matcher's rules on the issue's own pairs, the store, the
flag when a source document changes or goes, serving first, and the CLI (fake embedder: similarity is set low,
the rules decide; tests/test_verified.py runs the real model and server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from app.cli import main as app_main
from app.engine.answer import Grounded
from app.engine.service import AnswerService
from app.engine.verified.match import Lexicon, differs
from core.kb import open_kb
from core.kb.feedback import FeedbackStore, Rating
from core.kb.verified import VerifiedSource, VerifiedStatus, VerifiedStore
from core.settings import Settings, VerifiedSettings
from ingest.cli import main as ingest_main
from tests.conftest import TEST_CONFIG

SAME = [
    ("切削液的 pH 应该控制在多少？", "冷却液 pH 值的范围是多少？"),
    ("How do I reset the pump alarm?", "What resets the pump alarm?"),
    ("主轴箱润滑油多久换一次？", "主轴箱润滑油的更换周期是多少？"),
    ("报警 AL-105 是什么意思？", "AL-105 报警表示什么？"),
]
NEAR_MISSES = [
    ("报警 E12 是什么意思？", "报警 E21 是什么意思？"),
    ("液压油多久换一次？", "润滑油多久换一次？"),
    ("M10 螺栓的拧紧力矩是多少？", "M12 螺栓的拧紧力矩是多少？"),
    ("电机的额定电流是多少？", "电机的额定电压是多少？"),
    ("主轴箱润滑油多久换一次？", "主轴箱润滑油换多少？"),  # how often is not how much
    ("缺考的课程可以补考吗？", "缺考的课程不可以补考吗？"),
    ("Is 0.6 MPa enough air pressure?", "Is 0.6 bar enough air pressure?"),
    ("What does the -F option do?", "What does the -f option do?"),
    ("Should I add water to the concentrate?", "Should I add the concentrate to the water?"),
]


@pytest.mark.parametrize(("stored", "asked"), SAME)
def test_paraphrases_ask_the_same(stored: str, asked: str):
    lexicon = Lexicon()
    assert differs(lexicon.read(asked), lexicon.read(stored)) == ""


@pytest.mark.parametrize(("stored", "asked"), NEAR_MISSES)
def test_near_misses_do_not(stored: str, asked: str):
    lexicon = Lexicon()
    assert differs(lexicon.read(asked), lexicon.read(stored)) != ""


GENERAL = VerifiedSettings().general_frequency
ONE_SIDED_SAME = [
    ("缺考的课程可以补考吗？", "缺考的课程能不能参加补考？"),  # 参加: common in jieba's dictionary
    ("本科生休学一次最长多久？", "本科生每次休学最长多长时间？"),  # 每次
    ("Debian 怎么更新软件包列表？", "在 Debian 上如何更新软件包列表？"),  # 上
]
ONE_SIDED_NEAR_MISSES = [
    ("主轴箱润滑油多久换一次？", "主轴箱润滑油滤芯多久换一次？"),  # 滤芯: a term of the trade, rare in general
    ("AL-105 报警怎么处理？", "AL-105 报警怎么复位？"),
    ("操作机床时可以戴手套吗？", "操作机床时必须戴手套吗？"),  # common, but a modal
    ("缺考的课程可以补考吗？", "缺考的课程不可以补考吗？"),  # common, but a negation
    ("换冷却液要清洁什么？", "换冷却液后要清洁什么？"),  # before/after
    ("主轴润滑油多久换一次？", "主轴箱润滑油多久换一次？"),  # 箱 is part of a word both have
    ("Can the TV be mounted on a wall?", "Can the TV not be mounted on a wall?"),
    ("How do I reset the pump alarm?", "How do I reset the pump alarm remotely?"),
    ("水泵启动后运转多少转？", "水泵启动后运转多少分钟？"),  # units are common words, and the asked attribute
    ("冷却液温度不超过多少度？", "冷却液温度不超过多少分钟？"),
]


@pytest.mark.parametrize(("stored", "asked"), ONE_SIDED_SAME)
def test_a_general_word_on_one_side_is_allowed(stored: str, asked: str):
    assert differs(Lexicon().read(asked), Lexicon().read(stored)), "refused without the allowance"
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) == ""


@pytest.mark.parametrize(("stored", "asked"), ONE_SIDED_NEAR_MISSES + NEAR_MISSES)
def test_a_specific_or_meaning_changing_word_on_one_side_still_refuses(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) != ""
    assert differs(lexicon.read(stored), lexicon.read(asked)) != ""


# The recall rules of 20230b6 (docs/decisions/verified.md): each pair is asked the same, and each has near misses that
# the new rule must still refuse, both ways round.
REWORDED_SAME = [
    ("AL-105 报警怎么排除？", "出现 AL-105 报警该如何处理？"),  # 怎么排除/如何处理: both ask a method
    ("Where is the INI file of a LinuxCNC setup?", "Where can I find the INI file of a LinuxCNC setup?"),
    ("How do I turn on Game Mode?", "How can I switch on Game Mode?"),
    ("乳化液浓度低了会有什么问题？", "乳化液浓度过低会有什么问题？"),
    ("How do I connect a Bluetooth speaker to the TV?", "How can I connect the TV to a Bluetooth speaker?"),
    ("How do I connect a Bluetooth speaker to the TV?", "How can I pair a Bluetooth speaker with the TV?"),
    ("听到设备有异常声音怎么办？", "设备发出异常声音时应该怎么办？"),
    ("Why does alarm E34 appear on the ZK-200?", "What causes alarm E34 on the ZK-200?"),
    ("进入车间要穿戴什么？", "进入车间必须穿戴什么？"),  # must and should ask the same
    ("冷却液多久更换一次？", "冷却液的更换周期是多长？"),  # 周期是多长: an interval, not a length
    ("休学创业累计不能超过几年？", "休学创业的累计年限最多几年？"),
]
REWORDED_NEAR_MISSES = [
    ("AL-105 报警怎么排除？", "AL-105 报警怎么复位？"),
    ("E34 报警如何解决？", "E34 报警如何预防？"),
    ("AL-105 报警怎么排除？", "AL-105 报警为什么会出现？"),
    ("Where is the INI file of a LinuxCNC setup?", "Where can I find the HAL file of a LinuxCNC setup?"),
    ("How do I turn on Game Mode?", "How can I switch off Game Mode?"),
    ("乳化液浓度过低会有什么问题？", "乳化液浓度高了会有什么问题？"),
    ("How do I connect a Bluetooth speaker to the TV?", "How can I pair a Bluetooth keyboard with the TV?"),
    ("Should I add water to the concentrate?", "Should I add the concentrate to the water?"),  # not symmetric
    ("设备发出异常声音时应该怎么办？", "设备发出报警声音时应该怎么办？"),
    ("Why does alarm E34 appear on the ZK-200?", "Why does alarm E34 appear on the ZK-200 after a tool change?"),
    ("How do I turn on the TV?", "How do I turn off the TV?"),
    # dropping "on" before a determiner (a place: "on the TV") served this: "off" is in the name too. Not kept.
    ("How do I turn off the TV's Auto Power Off?", "How do I turn on the TV's Auto Power Off?"),
    ("How do I enable Game Mode on the TV?", "How do I disable the TV's Game Mode?"),
    ("操作机床时可以戴手套吗？", "操作机床时必须戴手套吗？"),  # may is not must
    ("进入车间穿戴什么？", "进入车间必须穿戴什么？"),  # saying nothing is not must
    ("Can the coolant stay above pH 9.5?", "Must the coolant stay above pH 9.5?"),
    ("冷却液的更换周期是多长？", "冷却液管的长度是多少？"),
    ("休学创业累计不能超过几年？", "休学创业累计最少几年？"),
    ("休学创业累计不能超过几年？", "休学累计不能超过几年？"),
]


@pytest.mark.parametrize(("stored", "asked"), REWORDED_SAME)
def test_rewordings_ask_the_same(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) == ""
    assert differs(lexicon.read(stored), lexicon.read(asked)) == ""


@pytest.mark.parametrize(("stored", "asked"), REWORDED_NEAR_MISSES)
def test_rewording_rules_still_refuse_near_misses(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) != ""
    assert differs(lexicon.read(stored), lexicon.read(asked)) != ""


# One-sided words judged by their role in the question (jieba's part-of-speech tags), not by frequency alone.
ROLE_SAME = [
    # the filler 会: jieba glues it to 度 once 多少 is cut out ("度会"), so it is read from the question as written
    ("轴承温度多少度时报警？", "轴承温度达到多少度会报警？"),
    ("How often should the filter be cleaned?", "How often do I need to clean the filter?"),  # need: a modal
]
ROLE_NEAR_MISSES = [
    ("冷却液多久更换一次？", "冷却液系统多久更换一次？"),  # 系统 is common, but a noun: it names another thing
    ("进入车间要穿戴什么？", "进入车间夏天要穿戴什么？"),  # 夏天: common, but a time noun
]


@pytest.mark.parametrize(("stored", "asked"), ROLE_SAME)
def test_a_word_that_names_nothing_may_stand_on_one_side(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) == ""
    assert differs(lexicon.read(stored), lexicon.read(asked)) == ""


@pytest.mark.parametrize(("stored", "asked"), ROLE_NEAR_MISSES)
def test_a_common_word_that_names_something_still_refuses(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) != ""
    assert differs(lexicon.read(stored), lexicon.read(asked)) != ""


# The same words, another thing negated: a bag of words cannot tell them apart (heldout4 n426, found after its run).
NEGATED_NEAR_MISSES = [
    ("Why is the picture fine but there is no sound?", "Why is the sound fine but there is no picture?"),
    ("画面正常但是没有声音怎么办？", "声音正常但是没有画面怎么办？"),
]


@pytest.mark.parametrize(("stored", "asked"), NEGATED_NEAR_MISSES)
def test_the_word_after_a_negation_must_agree(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)).startswith("another thing negated")
    assert differs(lexicon.read(stored), lexicon.read(asked)).startswith("another thing negated")
    assert (
        differs(lexicon.read("Why is there no sound from the TV?"), lexicon.read("Why does the TV have no sound?"))
        == ""
    )


# Found on heldout4 after its run, so written with other pairs: how much of a thing against which thing (n419), and
# a thing one question asks for that the other only names (n420); each refused both ways, with its rule's reason.
THING_NEAR_MISSES = [
    ("How much oil goes into the gearbox?", "What oil goes into the gearbox?", "one asks how much"),
    ("齿轮箱要加多少油？", "齿轮箱要加什么油？", "one asks how much"),
    ("Which oil is used for the gearbox bearings?", "Which bearings does the gearbox use?", "asks for another thing"),
    ("主轴轴承用什么润滑脂？", "主轴用什么轴承？", "asks for another thing"),
]
# ... while a quantity asked either way is the same, and the thing asked for is read past a modifier ("motor
# temperature"), a kind ("type of") or a Chinese verb after 什么 (which asks for no thing).
THING_SAME = [
    ("How much hydraulic pressure does the chuck need?", "What hydraulic pressure does the chuck need?"),
    ("卡盘需要多少液压压力？", "卡盘需要什么液压压力？"),
    ("铁屑要用什么清理？", "要用什么工具清理铁屑？"),
    ("What temperature trips alarm E34?", "At what motor temperature does alarm E34 trip?"),
    ("Which coolant does the grinder use?", "What type of coolant does the grinder use?"),
]


@pytest.mark.parametrize(("stored", "asked", "why"), THING_NEAR_MISSES)
def test_an_amount_or_a_named_thing_is_not_the_thing_asked_for(stored: str, asked: str, why: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)).startswith(why)
    assert differs(lexicon.read(stored), lexicon.read(asked)).startswith(why)


@pytest.mark.parametrize(("stored", "asked"), THING_SAME)
def test_a_quantity_or_the_same_thing_asked_for_matches(stored: str, asked: str):
    lexicon = Lexicon(general_frequency=GENERAL)
    assert differs(lexicon.read(asked), lexicon.read(stored)) == ""


def test_must_is_no_content_word_but_must_agree():
    reading = Lexicon().read("进入车间必须穿戴什么？")
    assert reading.must and reading.obliges and "必" not in reading.words
    assert not Lexicon().read("操作机床时可以戴手套吗？").obliges


def test_a_teams_synonyms_join_two_words():
    assert differs(Lexicon().read("床头箱油位在哪里？"), Lexicon().read("主轴箱油位在哪里？"))
    team = Lexicon([["主轴箱", "床头箱"]])
    assert differs(team.read("床头箱油位在哪里？"), team.read("主轴箱油位在哪里？")) == ""


def test_the_store_flags_confirms_and_deletes(tmp_path: Path):
    store = VerifiedStore(tmp_path / "kb.sqlite3")
    first = store.add("Q1?", "A1.", "alice", [VerifiedSource("doc-a", "a.pdf", 3)])
    second = store.add("Q2?", "A2.", "bob", [VerifiedSource("doc-b", "b.pdf")])
    generation = store.generation()
    assert store.flag_documents(["doc-a"], "changed") == 1 and store.generation() > generation
    flagged = store.get(first.id)
    assert flagged is not None and flagged.status == VerifiedStatus.TO_REVIEW and "a.pdf" in flagged.review_reason
    assert [a.id for a in store.answers(VerifiedStatus.ACTIVE)] == [second.id]
    assert [row[0] for row in store.active_questions()] == [second.id]
    assert store.confirm(first.id, "carol")
    confirmed = store.get(first.id)
    assert confirmed is not None and confirmed.status == VerifiedStatus.ACTIVE and confirmed.by == "carol"
    assert store.delete(second.id) and not store.delete(second.id) and store.count() == 1


def test_an_import_is_stored_whole_and_replaces_the_same_question(tmp_path: Path):
    store = VerifiedStore(tmp_path / "kb.sqlite3")
    old = store.add("AL-105 是什么？", "A.", "alice")
    vector = np.ones(4, dtype=np.float32)
    store.add_all([("al-105是什么", "B.", (), vector), ("Q2?", "C.", (), vector)], "bob", "model-x")
    assert store.get(old.id) is None and sorted(a.answer for a in store.answers()) == ["B.", "C."]
    assert {model for *_, model in store.active_questions()} == {"model-x"}
    bad_source = cast(VerifiedSource, object())
    with pytest.raises(AttributeError):  # the second row fails: the first is not kept either
        store.add_all([("Q3?", "D.", (), vector), ("Q4?", "E.", (bad_source,), vector)], "carol", "model-x")
    assert store.count() == 2


def test_feedback_counts_downs_and_gaps(tmp_path: Path):
    store = FeedbackStore(tmp_path / "kb.sqlite3", max_not_found=2)
    store.add(Rating.DOWN, "AL-105 是什么？", "…", [], "wrong")
    store.add(Rating.DOWN, "al-105是什么", "…", [])
    store.add(Rating.UP, "主轴转速？", "…", [])
    assert [c.times for c in store.most_down(5)] == [2]
    for question in ("保修期多久？", "保修期多久", "电话？", "地址？"):
        store.record_not_found(question)
    gaps = store.most_not_found(5)
    assert len(gaps) == 2 and gaps[0].times == 2  # bounded: the least asked went


def app(*args: str) -> int:
    return app_main([*args])


def common(data: Path) -> list[str]:
    return ["--config", str(TEST_CONFIG), "--data-dir", str(data)]


def test_serve_first_and_flag_when_the_source_changes(settings: Settings, docs: Path):
    settings.verified.min_similarity = 0.3  # the fake embedder's scale; the rules decide
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(settings.data_dir), str(docs)]) in (0,)
    kb = open_kb(settings)
    doc_id = kb.doc_ids_matching(["spindle.md"], [], [])[0]
    kb.verified.add("主轴润滑油多久换一次？", "每 2000 小时。", "alice", [VerifiedSource(doc_id, "spindle.md")])
    service = AnswerService(settings, kb)
    answer = service.ask("主轴润滑油的更换周期是多少？")
    assert answer.grounded == Grounded.VERIFIED and answer.verified is not None
    shown = answer.to_json()
    assert shown["verified"]["by"] == "alice" and shown["grounded"] == "verified"
    assert "已核实 · alice" in shown["answer"]
    assert "“主轴润滑油多久换一次？”" in shown["answer"]  # the question it answers, to compare with the one asked
    assert service.ask("主轴液压油多久换一次？").verified is None  # a near miss goes to retrieval
    (docs / "spindle.md").write_text((docs / "spindle.md").read_text() + "\n主轴润滑油改为每 1000 小时更换。\n")
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(settings.data_dir), str(docs)]) == 0
    (item,) = kb.verified.answers()
    assert item.status == VerifiedStatus.TO_REVIEW
    assert service.ask("主轴润滑油的更换周期是多少？").verified is None  # not served until confirmed
    kb.verified.confirm(item.id, "bob")
    assert service.ask("主轴润滑油的更换周期是多少？").verified is not None


def test_a_question_kept_apart_is_offered_to_ask_never_one_naming_another_code(settings: Settings, docs: Path):
    """Not served, but offered under retrieval's answer with its own words (asked as written, it is served); a
    verified question about another code or number is never offered, not even as a question to ask."""
    settings.verified.min_similarity = 0.3  # the fake embedder's scale; the rules decide
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(settings.data_dir), str(docs)]) == 0
    kb = open_kb(settings)
    kb.verified.add("主轴润滑油多久换一次？", "每 2000 小时。", "alice")
    kb.verified.add("报警 E12 是什么意思？", "主轴过载。", "alice")
    service = AnswerService(settings, kb)
    near = service.ask("主轴液压油多久换一次？")
    assert near.verified is None and near.grounded != Grounded.VERIFIED
    assert near.verified_similar is not None and near.verified_similar["question"] == "主轴润滑油多久换一次？"
    assert near.to_json()["verified_similar"]["question"] == "主轴润滑油多久换一次？"
    assert service.ask(near.verified_similar["question"]).grounded == Grounded.VERIFIED  # the click asks it as is
    other_code = service.ask("报警 E21 是什么意思？")
    offered = (other_code.verified_similar or {}).get("question")
    assert other_code.verified is None and offered != "报警 E12 是什么意思？"
    settings.verified.suggest_similar = False
    assert AnswerService(settings, kb).ask("主轴液压油多久换一次？").verified_similar is None


def test_deleting_the_source_flags_it(settings: Settings, docs: Path):
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(settings.data_dir), str(docs)]) == 0
    kb = open_kb(settings)
    doc_id = kb.doc_ids_matching(["pump.md"], [], [])[0]
    kb.verified.add("What is the impeller clearance?", "0.3 mm.", "alice", [VerifiedSource(doc_id, "pump.md")])
    kb.delete([str(docs / "pump.md")])
    assert kb.verified.answers()[0].status == VerifiedStatus.TO_REVIEW


def test_cli_import_refuses_a_bad_file_whole_then_imports_and_exports(
    data: Path, docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(data), str(docs)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer,source\nQ1?,A1.,spindle.md#p1\nQ2?,,\nQ3?,A3.,nowhere.pdf\n", encoding="utf-8")
    assert app("verified", "import", str(bad), *common(data)) == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "row 4" in err and "nowhere.pdf" in err
    assert app("verified", "list", "--json", *common(data)) == 0 and capsys.readouterr().out == ""
    good = tmp_path / "good.csv"
    good.write_text("question,answer,source\n主轴最高转速是多少？,12000 rpm。,spindle.md#p1\n", encoding="utf-8")
    assert app("verified", "import", str(good), *common(data)) == 0
    assert app("verified", "import", str(good), *common(data)) == 0  # twice: replaced, not doubled
    capsys.readouterr()
    assert app("verified", "list", "--json", *common(data)) == 0
    (item,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert item["sources"][0]["page"] == 1 and item["sources"][0]["name"].endswith("spindle.md")
    assert app("verified", "export", *common(data)) == 0
    assert "主轴最高转速是多少？,12000 rpm。" in capsys.readouterr().out


def test_cli_feedback_report_lists_not_found_questions(data: Path, docs: Path, capsys: pytest.CaptureFixture[str]):
    assert ingest_main(["--config", str(TEST_CONFIG), "--data-dir", str(data), str(docs)]) == 0
    for _ in range(2):
        assert app("ask", "--json", "--evidence-only", "--no-cache", "火星车的保修期是多久？", *common(data)) == 0
    capsys.readouterr()
    assert app("feedback", "report", "--json", *common(data)) == 0
    report = json.loads(capsys.readouterr().out)
    top = report["most_not_found"][0]
    assert (top["question"], top["times"]) == ("火星车的保修期是多久？", 2)
