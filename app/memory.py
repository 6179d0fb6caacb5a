"""Conversation memory: the previous turns of one conversation, bounded, and follow-up handling.

A conversation's turns belong to it alone (the chat page keeps them in per-browser-session state;
the CLI starts empty), so two users never see each other's history.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def recent(history: list[Turn], max_turns: int) -> list[Turn]:
    return history[-max_turns:] if max_turns else []


def retrieval_query(question: str, history: list[Turn], followup_max_chars: int) -> str:
    """A short question after another ("它的扭矩呢?", "and the second one?") is retrieved together with the
    previous question, so its missing subject is found. Tiny LLMs cannot rewrite queries reliably; this rule can.
    """
    if history and len(question.strip()) <= followup_max_chars:
        return f"{history[-1].question} {question}"
    return question
