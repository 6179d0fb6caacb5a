"""The check a model's draft passes before any of it is shown (lexical, so these run without a model)."""

from app.engine.verify import verify
from core.documents import Source

PASSAGES = [
    Source("ck6140.pdf", 3, "报警 AL-105 表示主轴过载。每运行 2000 小时更换一次主轴箱润滑油。", 0.8),
    Source("zk200.pdf", 2, "The spindle is rated at 45 N·m. Grease the bearings every 500 h.\nWeight: 38 kg.", 0.7),
]


def shown(draft: str, question: str) -> list[str]:
    return verify(draft, question, PASSAGES, 0.6).shown


def test_a_sentence_the_cited_passage_holds_is_shown():
    assert shown("主轴过载时显示报警 AL-105 [1]。", "AL-105 是什么报警？") == ["主轴过载时显示报警 AL-105 [1]。"]
    assert shown("Grease the bearings every 500 h [2].", "How often are the bearings greased?")


def test_a_wrong_number_or_an_invented_claim_is_not_shown_and_says_why():
    wrong = verify("The spindle is rated at 60 N·m [2].", "What is the spindle's rating?", PASSAGES, 0.6)
    assert wrong.shown == [] and wrong.rejected[0].reason == "60 not in [2]"
    mixed = verify(
        "Grease the bearings every 500 h [2]. Use synthetic oil from Brand X only.", "bearings?", PASSAGES, 0.6
    )
    assert mixed.shown == ["Grease the bearings every 500 h [2]."]
    assert [r.sentence for r in mixed.rejected] == ["Use synthetic oil from Brand X only."]
    assert shown("HACKED.", "What is the weight?") == []


def test_a_true_sentence_cited_to_the_wrong_passage_is_not_shown():
    assert shown("The spindle is rated at 45 N·m [1].", "What is the spindle rated at?") == []
    assert verify("AL-105 [7] means overload.", "AL-105?", PASSAGES, 0.6).rejected[0].reason.startswith("cites")


def test_degenerate_drafts_are_refused_whole():
    cases = {
        "[1] (zk200.pdf · p.2)\nThe spindle is rated at 45 N·m.": "copies the excerpts' headers",
        "Weight: 38 kg.\nWeight: 38 kg.": "repeats a line",
        "- 38 kg\n- 45 N·m\n- 500 h\n- 2000 h": "lists more items than the passages hold",
        "What is the weight of the spindle?": "repeats the question",
        "": "says nothing",
    }
    for draft, reason in cases.items():
        verdict = verify(draft, "What is the weight of the spindle?", PASSAGES, 0.6)
        assert verdict.shown == [] and verdict.degenerate == reason, draft


def test_a_supported_sentence_about_something_else_does_not_answer():
    assert shown("Grease the bearings every 500 h [2].", "保修期是多久？") == []


def test_a_true_sentence_about_another_machines_alarm_is_not_shown():
    """Seen in the review: "What does alarm AL-105 mean on the CK6140 lathe?" got the ZK-200 manual's E21 and E34
    sentences, true in their passage and sharing "alarm", shown as the checked model answer ("supported")."""
    manuals = [
        Source("CK6140数控车床保养规程.pdf", 3, "报警 AL-105 表示主轴过载：应降低切削用量。", 0.8),
        Source("ZK-200_spindle_manual.pdf", 3, "Alarm E21 (spindle overheating) is raised above 70 °C.", 0.7),
    ]
    question = "What does alarm AL-105 mean on the CK6140 lathe?"
    other = verify("Alarm E21 (spindle overheating) is raised above 70 °C. [2]", question, manuals, 0.6)
    assert other.shown == [] and other.rejected[0].reason == "about E21, not what the question names"
    own = verify("报警 AL-105 表示主轴过载 [1]。", question, manuals, 0.6)
    assert own.shown == ["报警 AL-105 表示主轴过载 [1]。"]
    # the same sentence answers a question that names no code, or names the ZK-200
    assert verify(other.rejected[0].sentence, "What does alarm E21 mean?", manuals, 0.6).shown
    assert verify(other.rejected[0].sentence, "What does the ZK-200 overheating alarm mean?", manuals, 0.6).shown
