from app.engine.memory import Turn, recent, retrieval_query


def test_short_follow_up_is_retrieved_with_the_previous_question():
    history = [Turn("ZK-200 主轴的最大扭矩是多少？", "45 N·m [2]")]
    assert retrieval_query("它的转速呢？", history, 24) == "ZK-200 主轴的最大扭矩是多少？ 它的转速呢？"
    assert retrieval_query("它的转速呢？", [], 24) == "它的转速呢？"


def test_long_question_stands_alone():
    history = [Turn("What is the maximum torque?", "45 N·m")]
    question = "How often must the spindle bearings of the ZK-200 be greased?"
    assert retrieval_query(question, history, 24) == question


def test_history_is_bounded():
    turns = [Turn(f"q{i}", f"a{i}") for i in range(10)]
    assert [t.question for t in recent(turns, 3)] == ["q7", "q8", "q9"]
    assert recent(turns, 0) == []
