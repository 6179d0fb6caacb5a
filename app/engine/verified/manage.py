"""What people do with feedback and verified answers, by whichever door they come (the CLI, the API, the page):
the same limits, the same report, the same rule for who may verify. Each door only says who is asking."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from app.engine.verified.files import MAX_SOURCES, check_texts, resolve_source
from app.engine.verified.index import embed_questions
from core.errors import AccessDeniedError, UnknownKBError
from core.kb import KnowledgeBase
from core.kb.feedback import FeedbackStore, Rating
from core.kb.verified import VerifiedAnswer, VerifiedSource
from core.limits import TooLargeError, check_question
from core.settings import LimitSettings, Settings

REPORT_COLUMNS = ["kind", "question", "times", "last_at"]


def check_feedback(question: str, answer: str, reason: str, limits: LimitSettings) -> None:
    """TooLargeError for a text over its limit: a vote is stored whole or not at all."""
    check_question(question, limits)
    if len(answer) > limits.answer_chars:
        raise TooLargeError(f"answer: {len(answer):,} characters, at most {limits.answer_chars:,}")
    check_reason(reason, limits)


def check_reason(reason: str, limits: LimitSettings) -> None:
    if len(reason) > limits.reason_chars:
        raise TooLargeError(f"reason: {len(reason):,} characters, at most {limits.reason_chars:,}")


def record_feedback(
    store: FeedbackStore, rating: Rating, question: str, answer: str, sources: list[dict[str, Any]],
    reason: str, by: str, limits: LimitSettings,
) -> int:  # fmt: skip
    """A 👍/👎 on an answer as it was shown (its text and sources); the stored entry's id."""
    check_feedback(question, answer, reason, limits)
    return store.add(rating, question, answer, sources[:50], reason, by)


def feedback_report(store: FeedbackStore, kb_name: str, size: int) -> dict[str, Any]:
    """What the knowledge base lacks: its most 👎 questions and those most often answered "not found"
    (`python -m app feedback report --json`, and the page's section)."""
    return {
        "kb": kb_name,
        "most_down": [c.to_json() for c in store.most_down(size)],
        "most_not_found": [c.to_json() for c in store.most_not_found(size)],
    }


def report_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report as one table (its CSV export), a kind column telling the two lists apart."""
    rows: list[list[Any]] = [list(REPORT_COLUMNS)]
    for kind, key in (("down", "most_down"), ("not_found", "most_not_found")):
        rows += [[kind, c["question"], c["times"], c["last_at"]] for c in report[key]]
    return rows


def edit_verified(
    kb: KnowledgeBase, verified_id: str, question: str, answer: str, by: str, limits: LimitSettings,
    sources: Sequence[str] | None = None,
) -> VerifiedAnswer:  # fmt: skip
    """New words for a verified answer (its status kept), the question embedded again at once; its sources kept,
    or replaced by `sources` ("file · p.N", as `verified import` reads them), checked before anything changes."""
    check_texts(question, answer, limits)
    current = kb.verified.get(verified_id)
    if current is None:
        raise UnknownKBError(f"no verified answer '{verified_id}' in knowledge base '{kb.name}'")
    chosen = None if sources is None else _resolved(kb, current.sources, sources)
    (vector,) = embed_questions(kb, [question])
    edited = kb.verified.edit(verified_id, question, answer, by, vector, kb.embedder.name, chosen)
    if edited is None:
        raise UnknownKBError(f"no verified answer '{verified_id}' in knowledge base '{kb.name}'")
    return edited


def source_label(source: VerifiedSource) -> str:
    """How a source is shown and written back: "file.pdf · p.3"."""
    return PurePath(source.name).name + (f" · p.{source.page}" if source.page else "")


def _resolved(kb: KnowledgeBase, kept: Sequence[VerifiedSource], lines: Sequence[str]) -> list[VerifiedSource]:
    """One source per non-empty line; a line naming a source the answer already had keeps it as it was (with the
    hash of the passage once ticked), any other must name a document of the knowledge base."""
    lines = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if len(lines) > MAX_SOURCES:
        raise TooLargeError(f"sources: {len(lines)}, at most {MAX_SOURCES}")
    old = {source_label(s): s for s in kept}
    return [old.get(line) or resolve_source(kb, line) for line in lines]


def may_verify(settings: Settings, user: str | None) -> bool:
    """Without sign-in, whoever reaches the page may (as whoever holds an API key or the data dir); with it, every
    signed-in user, or only those listed in `verified.editors` when the list is not empty."""
    if not settings.auth.enabled:
        return True
    editors = settings.verified.editors
    return bool(user) and (not editors or user in editors)


def check_may_verify(settings: Settings, user: str | None) -> None:
    if not may_verify(settings, user):
        raise AccessDeniedError(f"'{user or 'this user'}' may not verify answers (verified.editors)")
