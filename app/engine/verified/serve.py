"""The answering service's first stop: a question that asks what a verified question asks gets the verified
answer at once, marked "已核实 · by · date", before retrieval or any model runs (`AnswerService.stream`). When none
does, the closest one the rules kept apart goes with retrieval's answer as a question to ask (`verified_similar`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from app.engine import prompts
from app.engine.answer import Answer, AskOptions, Event, EventKind, Grounded, Retrieval
from app.engine.memory import Turn, may_need_context, refers_back
from app.engine.verified.index import VerifiedIndex
from core.kb import KnowledgeBase
from core.settings import Settings


class VerifiedFirst:
    def __init__(self, settings: Settings, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.index = VerifiedIndex(kb, settings.verified)

    def applies(self, question: str, history: list[Turn], options: AskOptions) -> bool:
        """Any active verified answer, and a question that stands alone (a follow-up's "它的转速呢？" asks about
        its conversation), not restricted to chosen documents."""
        if not self.settings.verified.enabled or options.where:
            return False
        followup_chars = self.settings.memory.followup_max_chars
        if history and (refers_back(question) or may_need_context(question, history, followup_chars)):
            return False
        return len(self.index) > 0

    def answer(
        self, question: str, vector: np.ndarray, lang: str
    ) -> tuple[Iterator[Event] | None, dict[str, Any] | None]:
        """The events of the verified answer, or None when no verified question matches; and else the closest
        verified question the rules keep apart ({id, question, similarity}, `verified.suggest_similar`), offered
        under retrieval's answer as a question to ask: asked in its own words, it gets its verified answer."""
        started = time.perf_counter()
        looked = self.index.lookup(question, vector)
        found = looked.served
        if found is None:
            near = looked.similar if self.settings.verified.suggest_similar else None
            if near is None:
                return None, None
            return None, near.offered_json()
        item = found.answer
        shown = prompts.load_template(self.settings.prompts_dir, "verified", lang).strip()
        answer = Answer(question, grounded=Grounded.VERIFIED, query=question)
        # The question it was verified for, shown with it: a reader sees at once when it is not the one they asked.
        answer.answer = shown.format(by=item.by or "-", date=item.at[:10], question=item.question, answer=item.answer)
        answer.verified = found.served_json()
        answer.timings["verified_ms"] = (time.perf_counter() - started) * 1000
        retrieval = Retrieval(question, [], 0.0, True)
        events = [
            Event(EventKind.SOURCES, retrieval),
            Event(EventKind.TOKEN, answer.answer),
            Event(EventKind.DONE, answer),
        ]
        return iter(events), None
