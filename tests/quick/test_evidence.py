"""Evidence sentences and the lead answer (lexical, so these run without a model)."""

from collections.abc import Callable

import numpy as np

from app.engine.evidence import Across, focus, lead_of, pick_evidence, sentences
from app.engine.query import asks_quantity, codes_in
from core.documents import Source
from core.tokens import query_words

PASSAGES = [
    Source("ck6140.pdf", 3, "报警 AL-105 表示主轴过载。每运行 2000 小时更换一次主轴箱润滑油。", 0.8),
    Source("zk200.pdf", 2, "The spindle is rated at 45 N·m. Grease the bearings every 500 h.\nWeight: 38 kg.", 0.7),
]


def test_sentences_split_on_chinese_and_western_punctuation_and_lines():
    assert sentences(PASSAGES[1].text) == [
        "The spindle is rated at 45 N·m.",
        "Grease the bearings every 500 h.",
        "Weight: 38 kg.",
    ]
    assert sentences("第一句话。第二句话！") == ["第一句话。", "第二句话！"]
    assert sentences("The value is 3.5 mm. Next one.") == ["The value is 3.5 mm.", "Next one."]


def test_evidence_is_the_sentence_holding_the_question_words_with_its_citation():
    (best, *_) = pick_evidence(query_words("主轴箱润滑油多久更换？"), PASSAGES, 2)
    assert best.text == "每运行 2000 小时更换一次主轴箱润滑油。" and best.citation == 1
    (best, *_) = pick_evidence(query_words("How often are the bearings greased?"), PASSAGES, 2)
    assert best.text == "Grease the bearings every 500 h." and best.citation == 2
    assert best.to_json() == {
        "text": best.text,
        "citation": 2,
        "source": "zk200.pdf",
        "page": 2,
        "score": best.to_json()["score"],
    }


class Meaning:
    """A FAKE embedder whose cosine between the question and a text is `score(text)`: the quick tier has no model.
    It records the texts it was given."""

    name = "fake:meaning"
    dim = 1

    def __init__(self, score: Callable[[str], float]) -> None:
        self.score = score
        self.asked: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.asked.append(texts)
        return np.array([[self.score(t)] for t in texts], dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.asked.append([text])
        return np.ones(1, dtype=np.float32)


def test_sentences_in_another_language_are_chosen_by_their_meaning():
    """A Chinese question on an English passage shares none of its words: the similarity decides, and only for
    those sentences (the Chinese sentence holding the question's words keeps its place)."""
    meaning = Meaning(lambda t: 0.9 if "Grease" in t else 0.5)
    asked = meaning.asked
    question = query_words("轴承多久加一次润滑脂？")
    across = Across("zh", "轴承多久加一次润滑脂？", meaning)
    (best, *_) = pick_evidence(question, PASSAGES[1:], 1, across=across)
    assert best.text == "Grease the bearings every 500 h." and asked[0] == sentences(PASSAGES[1].text)
    assert pick_evidence(question, PASSAGES[1:], 1)[0].text == "The spindle is rated at 45 N·m."  # without: first
    (best, *_) = pick_evidence(query_words("主轴箱润滑油多久更换？"), PASSAGES, 1, across=across)
    assert best.text == "每运行 2000 小时更换一次主轴箱润滑油。"
    chinese_first = Across("en", "", Meaning(lambda t: 0.9 if "润滑油" in t else 0.1))
    (best, *_) = pick_evidence(query_words("When do I grease the bearings?"), PASSAGES, 1, across=chinese_first)
    assert best.text == "Grease the bearings every 500 h."  # its own words outweigh a foreign sentence's cosine
    scores = [Source("table.pdf", 1, "试验班 632 632。574.18。", 0.8)]
    calls = len(asked)
    (best, *_) = pick_evidence(
        query_words("理科试验班的录取最低分数线是多少？"), scores, 1, across=Across("zh", "", meaning)
    )
    assert best.text == "试验班 632 632。" and len(asked) == calls  # figures alone are in no language


def test_the_code_the_question_names_decides_between_look_alike_sentences():
    alarms = [Source("ck6140.pdf", 3, "报警 AL-210 表示润滑油压力不足。报警 AL-105 表示主轴过载。", 0.8)]
    question = "报警 AL-105 是什么意思？"
    (best, *_) = pick_evidence(query_words(question), alarms, 2, frozenset(codes_in(question)))
    assert best.text == "报警 AL-105 表示主轴过载。"


def test_the_asked_attribute_outweighs_the_machine_every_sentence_names():
    manual = [
        Source("zk.pdf", 1, "The ZK-200 spindle weighs 38 kg. The ZK-200 spindle has a BT40 taper.", 0.8),
        Source("zk.pdf", 2, "The maximum torque of the ZK-200 spindle is 45 N·m, reached at 1,500 rpm.", 0.7),
    ]
    question = "What is the maximum torque of the ZK-200 spindle?"
    (best, *_) = pick_evidence(query_words(question), manual, 3, frozenset(codes_in(question)), asks_quantity(question))
    assert best.citation == 2 and "45 N·m" in best.text


def test_a_table_row_is_one_sentence_and_the_asked_row_leads():
    table = "型号: ZK-200; 功率: 7.5 kW; 转速: 12000 rpm\n型号: ZK-300; 功率: 11 kW; 转速: 10000 rpm"
    assert sentences(table) == [
        "型号: ZK-200; 功率: 7.5 kW; 转速: 12000 rpm",
        "型号: ZK-300; 功率: 11 kW; 转速: 10000 rpm",
    ]
    rows = [Source("models.xlsx", 1, table, 0.8)]
    evidence = pick_evidence(query_words("ZK-300 的功率是多少？"), rows, 3, frozenset({"ZK300"}), True)
    assert evidence[0].text.startswith("型号: ZK-300") and lead_of(evidence)[0] == evidence[0]


def test_focus_keeps_the_sentences_around_the_question_words_and_marks_gaps():
    text = "第一句无关。主轴扭矩为 60 N·m。第三句相邻。第四句无关。第五句无关。第六句无关。润滑每 2000 小时。"
    assert focus(text, query_words("主轴扭矩？")) == "第一句无关。 主轴扭矩为 60 N·m。 第三句相邻。"
    assert focus(text, query_words("主轴扭矩和润滑？")).count("…") == 1
    assert focus(text, query_words("润滑？")) == "第六句无关。 润滑每 2000 小时。"
    assert (
        focus("Nothing relevant here. Or here.", query_words("torque")) == "Nothing relevant here. Or here."
    )  # kept whole


def test_a_pdf_line_wrap_does_not_cut_a_sentence_but_list_items_stay_apart():
    """PDF text breaks lines where the page did; quoting half a sentence ("报警 AL-210") says nothing."""
    wrapped = "报警 AL-105 表示主轴过载。报警 AL-210\n表示润滑油压力不足：检查润滑泵。\nMaximum speed: 12,000\nrpm."
    assert sentences(wrapped) == [
        "报警 AL-105 表示主轴过载。",
        "报警 AL-210 表示润滑油压力不足：检查润滑泵。",
        "Maximum speed: 12,000 rpm.",
    ]
    listed = "每日检查\n1、检查油位\n2、检查气压\n- 清理切屑\n| 部位 | 周期 |\n| 导轨 | 每日 |\n\n下一段开始了"
    assert sentences(listed) == [
        "每日检查",
        "1、检查油位",
        "2、检查气压",
        "- 清理切屑",
        "| 部位 | 周期 |",
        "| 导轨 | 每日 |",
        "下一段开始了",
    ]


def test_codes_are_matched_exactly_but_periods_and_glued_words_are_no_codes():
    assert codes_in("报警 al-105、AL 210、GB/T 3098.1 与 M8") == {"AL105", "AL210", "GB/T3098.1", "M8"}
    assert codes_in("12,000 rpm at 0.3 mm") == {"12000", "0.3"}
    assert codes_in("In Amazon's Q2 2023 10-Q, FY2023") == {"2023", "10"}
    assert codes_in("the regiment was formed in2014") == set()


def test_every_quote_is_verbatim_in_the_passage_its_citation_names():
    """A property over random passages (seeded): line wraps, list items, table rows, headings, both languages."""
    import random

    rng = random.Random(7)
    words_ = ["主轴", "扭矩", "润滑油", "AL-105", "报警", "45 N·m", "每 2000 小时", "spindle", "torque", "0.3 mm"]
    marks = ["。", "，", ". ", "\n", "\n\n", "\n- ", "\n1、", "型号: ZK-200; 功率: 7.5 kW\n", "# 维护\n", "；", " "]
    pieces = words_ + marks
    for _ in range(200):
        sources = [
            Source(f"doc{i}.pdf", i + 1, "".join(rng.choice(pieces) for _ in range(rng.randint(5, 60))), 0.8)
            for i in range(rng.randint(1, 5))
        ]
        question = "".join(rng.choice(words_) for _ in range(3))
        for e in pick_evidence(query_words(question), sources, 3, frozenset(codes_in(question)), True):
            assert "".join(e.text.split()) in "".join(sources[e.citation - 1].text.split())
            assert e.source is sources[e.citation - 1]


def test_a_look_alike_code_and_a_heading_are_not_quoted_but_a_bulleted_step_is():
    text = "故障处理\n报警 AL-210 表示润滑油压力不足。\n报警 AL-105 表示主轴过载。\n- 清理切屑"
    passage = [Source("ck6140.pdf", 3, text, 0.8)]
    quoted = [e.text for e in pick_evidence(query_words("报警 AL-105 是什么意思？"), passage, 3, frozenset({"AL105"}))]
    assert quoted == ["报警 AL-105 表示主轴过载。"]  # not AL-210's line, not the heading "故障处理"
    steps = [e.text for e in pick_evidence(query_words("切屑怎么处理？"), passage, 3)]
    assert "- 清理切屑" in steps and "故障处理" not in steps


ZK200 = [
    Source(
        "docs/ZK-200_spindle_manual.pdf",
        1,
        "ZK-200 Spindle Unit - Operator Manual\n1. Overview\nThe ZK-200 is a belt-driven milling spindle for vertical"
        " machining centres. Maximum speed: 12,000\nrpm. Rated power: 7.5 kW (S1 duty).",
        0.8,
        heading="1. Overview",
    ),
    Source("docs/ZK-200_spindle_manual.pdf", 2, "The maximum torque of the ZK-200 spindle is 45 N·m.", 0.7),
    Source("docs/CK6140数控车床保养规程.pdf", 2, "主轴箱润滑油每 2000 小时更换一次，主轴转速不得超过额定值。", 0.6),
]


def _lead(question: str, sources: list[Source], across: Across | None = None) -> list[str]:
    found = pick_evidence(
        query_words(question), sources, 3, frozenset(codes_in(question)), asks_quantity(question), across
    )
    return [e.text for e in found]


def test_a_sentence_holds_the_machine_its_document_is_named_for():
    """ "Maximum speed: 12,000 rpm." does not repeat "ZK-200"; its document's name does. Before, the torque
    sentence led (it names the ZK-200 and "maximum"), and the manual's title line was quoted second."""
    lead = _lead("What is the maximum speed of the ZK-200 spindle?", ZK200)
    assert lead[0] == "Maximum speed: 12,000 rpm."
    assert "ZK-200 Spindle Unit - Operator Manual" not in lead  # a title states nothing
    sheet = [
        Source(
            "coolant_datasheet.md",
            None,
            "CoolCut 8 water-miscible coolant — datasheet\n\nMixing\n"
            "Use CoolCut 8 at 6 % for machining, 8 % for grinding.",
            0.8,
            heading="CoolCut 8 water-miscible coolant — datasheet",
        )
    ]
    assert _lead("CoolCut 8 用于磨削时的浓度是多少？", sheet) == [
        "Use CoolCut 8 at 6 % for machining, 8 % for grinding."
    ]  # not the datasheet's heading, which shares "CoolCut 8"


def test_a_sentence_about_another_machine_or_alarm_family_is_not_quoted():
    alarms = [
        Source("CK6140数控车床保养规程.pdf", 3, "报警 AL-105 表示主轴过载：应降低切削用量。", 0.8),
        Source("ZK-200_spindle_manual.pdf", 3, "Alarm E21 (spindle overheating) is raised above 70 °C.", 0.7),
    ]
    assert _lead("What does alarm AL-105 mean on the CK6140 lathe?", alarms) == [alarms[0].text]
    # without a code in the question, the other alarm may be quoted: it shares "alarm"
    assert alarms[1].text in _lead("What does the overheating alarm mean?", alarms)


def test_a_sentence_from_a_document_that_never_names_the_asked_code_is_not_quoted():
    """Close in meaning (another alarm's remedy), but the ZK-200 manual names other codes and never AL-105: quoted
    beside AL-105's own sentence, a reader would take it for AL-105's remedy. A rule that names no code (for every
    alarm) stays quotable; without a code in the question, the remedy may be quoted too."""
    alarms = [
        Source("CK6140数控车床保养规程.pdf", 3, "报警 AL-105 表示主轴过载：应降低切削用量。", 0.8),
        Source("ZK-200_spindle_manual.pdf", 3, "Stop the spindle, check the coolant flow and let it cool.", 0.7),
        Source("车间安全操作规程.txt", None, "设备报警时，应立即按下急停按钮，并报告班组长。", 0.6),
    ]  # fmt: skip
    meaning = Meaning(lambda t: 0.9 if "Stop" in t else 0.3)
    question = "报警 AL-105 出现后应该怎么处理？"
    assert _lead(question, alarms, Across("zh", question, meaning)) == [alarms[0].text, alarms[2].text]
    general = "主轴报警出现后应该怎么处理？"
    assert alarms[1].text in _lead(general, alarms, Across("zh", general, meaning))


def test_across_languages_the_sentence_on_the_named_machine_is_scored_by_meaning_without_codes():
    """The CK6140's Chinese sentence holds 主轴 and 转速 but speaks of another machine: it does not stop the
    ZK-200 manual's English sentences from being scored by meaning, and the codes are left out of what is
    compared (the code is scored on its own)."""
    meaning = Meaning(lambda t: 0.9 if "speed" in t else 0.3)
    question = "ZK-200 主轴的最高转速是多少？"
    lead = _lead(question, ZK200, Across("zh", question, meaning))
    assert lead[0] == "Maximum speed: 12,000 rpm."
    compared = [t for texts in meaning.asked for t in texts]
    assert compared and not any(codes_in(t) & {"ZK200"} for t in compared)
