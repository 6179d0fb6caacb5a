"""Bounds on what one request may carry (`limits` in config.yaml), shared by every door: the page, the HTTP API,
the OpenAI-compatible endpoint and the CLI.

Each check runs before any work (a question's embedding costs time in proportion to its length) and its error
says how large the input was and what the limit is, never the input itself: an error that echoes a megabyte of
question back costs as much as the question.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import ZhikuError
from core.settings import LimitSettings


class TooLargeError(ZhikuError):
    """An input over a configured limit (HTTP 413)."""


def check_question(question: str, limits: LimitSettings) -> str:
    if len(question) > limits.question_chars:
        raise TooLargeError(
            f"question too long: {len(question):,} characters, at most {limits.question_chars:,} "
            "(limits.question_chars)"
        )
    return question


def check_items(field: str, values: Sequence[str], limits: LimitSettings) -> Sequence[str]:
    """A list a request restricts or tags by (`documents`, `types`, `tags`): its length and each entry's."""
    if len(values) > limits.list_items:
        raise TooLargeError(f"{field}: {len(values):,} entries, at most {limits.list_items:,} (limits.list_items)")
    longest = max(map(len, values), default=0)
    if longest > limits.item_chars:
        raise TooLargeError(
            f"{field}: an entry of {longest:,} characters, at most {limits.item_chars:,} (limits.item_chars)"
        )
    return values


def check_conversation(texts: Sequence[str], limits: LimitSettings) -> None:
    """An OpenAI-style request's messages: how many, and their characters together."""
    if len(texts) > limits.messages:
        raise TooLargeError(f"{len(texts):,} messages, at most {limits.messages:,} (limits.messages)")
    total = sum(map(len, texts))
    if total > limits.conversation_chars:
        raise TooLargeError(
            f"messages of {total:,} characters together, at most {limits.conversation_chars:,} "
            "(limits.conversation_chars)"
        )
