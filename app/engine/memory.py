"""Conversation memory: the previous turns of one conversation, bounded, and follow-up handling.

The turns come from the conversation store (`conversations.py`), so memory belongs to one conversation
and two users never see each other's history. Before retrieval a follow-up ("它的转速呢?", "and the nut
torque?") becomes a standalone query, by a rule or by the LLM (`memory.rewrite`); docs/benchmarks.md compares them.

The rule carries the previous topic's subject (the "X" of "X的Y" or "the Y of X", else the question without its
asking words) into a question that refers back (它, 这个, 那…呢, 还…, 也, it, that, what about…), or into a
short one that the knowledge base shows cannot stand alone (`AnswerService.retrieve`), and leaves a question
that names its own subject (a code of its own, "冷却液的…", "…of the pump") as it is: a change of topic is not
glued to the last one. "那 AL-105 呢？" after a question about AL-210 is that
question again, about AL-105.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.query import CODE, codes_in
from core.lang import approx_tokens
from core.tokens import query_words

_REFERS_BACK = re.compile(
    r"它|其[中他它余]|这个|那个|这些|那些|这种|那种|上述|前者|后者|也|还(?:要|需要?|有|能|可以|得)|"
    r"^\s*(?:那么?|还|另外|如果)|呢\s*[？?]?\s*$"
    r"|\b(?:it|its|they|them|their|this|that|these|those|same)\b|^\s*(?:and|also|what about|how about)\b",
    re.IGNORECASE,
)
_ASKING = re.compile(r"^\s*(?:请问|请|想问|我想知道)\s*")
_OF_THE = re.compile(r"\bof (?:the |a |an )?([^?？.,;]+?)\s*[?？.]*\s*$", re.IGNORECASE)
_ASKING_WORDS = re.compile(
    r"是什么|什么|怎么样?|如何|哪些|哪里|哪个|多少|几[个次种天年]?|是否|有没有|吗|呢|谁|[？?。.!！]"
    r"|\b(?:what|how|which|where|when|who|whom|why|is|are|was|were|does|do|did|must|should|can|could|would|will|"
    r"be|the|a|an)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def recent(history: list[Turn], max_turns: int, max_tokens: int | None = None) -> list[Turn]:
    """The latest turns that fit both limits; older turns drop first."""
    kept: list[Turn] = []
    budget = max_tokens if max_tokens is not None else float("inf")
    for turn in reversed(history[-max_turns:] if max_turns else []):
        budget -= approx_tokens(turn.question) + approx_tokens(turn.answer)
        if budget < 0:
            break
        kept.append(turn)
    return kept[::-1]


def retrieval_query(question: str, history: list[Turn], followup_max_chars: int) -> str:
    """The rule (tiny LLMs cannot rewrite queries reliably; this always does something sane): a follow-up is
    searched with the subject of the topic it follows; any other question alone."""
    if not history:
        return question
    topic = topic_question(history)
    own_codes = codes_in(question)
    if own_codes and not own_codes <= codes_in(topic):  # it names its own subject
        if not refers_back(question):
            return question
        if codes_in(topic):  # "那 AL-105 呢？": the topic's question, about the new code
            return CODE.sub(lambda m: " ".join(CODE.findall(question)), topic, count=1)
    if refers_back(question) or may_need_context(question, history, followup_max_chars):
        return f"{subject_of(topic, drop_codes=bool(own_codes))} {question}".strip()
    return question


def may_need_context(question: str, history: list[Turn], followup_max_chars: int) -> bool:
    """A short question that neither refers back nor names a subject or code of its own: "电话是多少？" needs the
    topic, "设备报警时应该按什么按钮？" does not, and no word tells them apart. The rule carries the topic; the
    answering service first checks whether the question finds its answer alone (`AnswerService.retrieve`)."""
    short = len(question.strip()) <= followup_max_chars
    return (
        bool(history)
        and short
        and not refers_back(question)
        and not names_a_subject(question)
        and not codes_in(question)
    )


def names_a_subject(question: str) -> bool:
    """ "冷却液的 pH…", "…of the ZK-200 spindle": the question says what it is about, so it starts a topic."""
    asked = _ASKING.sub("", question)
    owner = asked[: asked.find("的")] if "的" in asked else ""
    return bool(query_words(owner) if owner else _OF_THE.search(asked))


def refers_back(question: str) -> bool:
    return bool(_REFERS_BACK.search(question))


def topic_question(history: list[Turn]) -> str:
    """The question that set the current topic: the latest one that was not itself a follow-up."""
    for turn in reversed(history):
        if not refers_back(turn.question):
            return turn.question
    return history[0].question


def subject_of(question: str, drop_codes: bool = False) -> str:
    """What a question is about: "ZK-200 主轴" in "ZK-200 主轴的最大扭矩是多少？", "ZK-200 spindle" in "What is the
    maximum torque of the ZK-200 spindle?", else the question without its asking words ("减速机齿轮箱换油周期");
    without its codes when the follow-up names its own."""
    asked = _ASKING.sub("", question)
    if (zh := asked.find("的")) > 0:
        subject = asked[:zh]
    elif of_the := _OF_THE.search(asked):
        subject = of_the.group(1)
    else:
        subject = _ASKING_WORDS.sub(" ", asked)
    return " ".join((CODE.sub(" ", subject) if drop_codes else subject).split())


def rewrite_query(
    question: str, history: list[Turn], followup_max_chars: int, llm_rewrite: Callable[[str, list[Turn]], str] | None
) -> str:
    """The LLM's standalone question when one is configured and its output is sane, else the rule's."""
    rule = retrieval_query(question, history, followup_max_chars)
    if llm_rewrite is None or rule == question:
        return rule
    rewritten = " ".join(llm_rewrite(question, history).split())
    if not rewritten or len(rewritten) > 2 * len(rule) + 20:  # empty or rambling: small models do both
        return rule
    return rewritten
