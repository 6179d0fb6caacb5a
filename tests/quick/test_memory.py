from app.engine.memory import Turn, recent, retrieval_query


def test_a_follow_up_is_retrieved_with_the_subject_of_its_topic_not_the_asked_attribute():
    history = [Turn("ZK-200 主轴的最大扭矩是多少？", "45 N·m [2]")]
    assert retrieval_query("它的转速呢？", history, 24) == "ZK-200 主轴 它的转速呢？"
    assert retrieval_query("它的转速呢？", [], 24) == "它的转速呢？"
    english = [Turn("What is the maximum torque of the ZK-200 spindle?", "45 N·m")]
    assert retrieval_query("What is its maximum speed?", english, 24) == "ZK-200 spindle What is its maximum speed?"
    chain = [*history, Turn("它的转速呢？", "12,000 rpm")]  # a follow-up of a follow-up keeps the first topic
    assert retrieval_query("那功率呢？", chain, 24) == "ZK-200 主轴 那功率呢？"


def test_what_about_another_code_asks_the_same_question_about_it():
    history = [Turn("报警 AL-210 是什么意思？", "润滑油压力不足")]
    assert retrieval_query("那 AL-105 呢？", history, 24) == "报警 AL-105 是什么意思？"


def test_a_question_that_names_its_own_subject_starts_a_new_topic():
    history = [Turn("What pH must the coolant stay in?", "8.5-9.5")]
    for question in (
        "CK6140 车床的保修期是多久？",
        "冷却液的浓度应该是多少？",
        "What is the taper of the ZK-200 spindle?",
    ):
        assert retrieval_query(question, history, 24) == question


def test_long_question_stands_alone():
    history = [Turn("What is the maximum torque?", "45 N·m")]
    question = "How often must the spindle bearings of the ZK-200 be greased?"
    assert retrieval_query(question, history, 24) == question


def test_history_is_bounded():
    turns = [Turn(f"q{i}", f"a{i}") for i in range(10)]
    assert [t.question for t in recent(turns, 3)] == ["q7", "q8", "q9"]
    assert recent(turns, 0) == []
