"""Conversation memory: the previous turns of one conversation, bounded, and follow-up handling.

The turns come from the conversation store (`conversations.py`), so memory belongs to one conversation
and two users never see each other's history. Before retrieval a follow-up ("它的扭矩呢?", "and the second
one?") becomes a standalone query, by a rule or by the LLM (`memory.rewrite`); docs/benchmarks.md compares them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.lang import approx_tokens


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
    """The rule: a short question after another is retrieved together with the previous question, so its
    missing subject is found. Tiny LLMs cannot rewrite queries reliably; this rule always does something sane.
    """
    if history and len(question.strip()) <= followup_max_chars:
        return f"{history[-1].question} {question}"
    return question


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
