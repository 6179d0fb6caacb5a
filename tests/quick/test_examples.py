"""Example questions for the chat page's first screen come from the documents' own section lines (issue 21)."""

from __future__ import annotations

from pathlib import Path

from app.engine.examples import ask_about, chunk_topics

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_a_numbered_short_line_is_a_topic_and_a_sentence_or_a_title_is_not():
    assert chunk_topics("HX-50 Centrifugal Pump - Service Notes\nSection 1. Installation\nMount the pump.", "") == [
        "Installation"
    ]
    assert chunk_topics("第二章 润滑\n减速机首次运行 300 小时后必须更换润滑油。", "") == ["润滑"]
    assert chunk_topics("CK6140 数控车床日常保养规程\n一、每日检查\n开机前检查导轨润滑油箱油位。", "") == ["每日检查"]
    assert chunk_topics("1. 进入车间必须穿戴劳保鞋和防护眼镜。", "") == []  # a numbered sentence
    assert chunk_topics("2. 300", "") == []  # a number is no topic


def test_a_heading_is_the_topic_its_innermost_part():
    assert chunk_topics("Use CoolCut 8 at 6 %.", "CoolCut 8 datasheet > Mixing") == ["Mixing"]


def test_the_question_is_in_the_topics_language():
    assert ask_about("pump manual", "Torque and lubrication", PROMPTS) == (
        "What does the pump manual say about torque and lubrication?"
    )
    assert ask_about("减速机说明", "润滑", PROMPTS) == "减速机说明中关于“润滑”有哪些规定？"
    assert ask_about("冷却塔", None, PROMPTS) == "冷却塔主要讲了什么？"
