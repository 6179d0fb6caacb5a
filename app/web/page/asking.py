"""Asking: the settings panel's choices for one question, and the streamed answer with its sources."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import gradio as gr

from app.engine.answer import Answer, AskOptions, EventKind
from app.engine.query import Filter
from app.engine.sessions import UnsavedTurnError
from app.web.page.context import PageContext, new_owner, plain_error
from app.web.page.conversations import ChatHistory, Conversations
from app.web.page.render import finished_markdown, streaming_markdown
from app.web.page.sources import Sources
from core.errors import ZhikuError
from core.limits import TooLargeError, check_question

log = logging.getLogger(__name__)
LANGUAGES = ("auto", "zh", "en")
DRAFT_REFRESH = 8  # draft tokens between two refreshes of the "checking the model's answer" line


def options(
    top_k: float | None, evidence_only: bool | None, temperature: float | None, language: str | None,
    restrict: list[str] | None,
) -> AskOptions:  # fmt: skip
    """The settings panel's choices for one question; an unset control keeps the configured value."""
    return AskOptions(
        k=int(top_k) if top_k else None,
        evidence_only=evidence_only,
        temperature=temperature,
        language=language if language in ("zh", "en") else None,
        where=Filter(documents=tuple(restrict)) if restrict else None,
    )


class Asking:
    def __init__(self, ctx: PageContext, conversations: Conversations, sources: Sources) -> None:
        self.ctx, self.conversations, self.sources = ctx, conversations, sources

    def respond(
        self, message: str, chat: ChatHistory, conversation_id: str, owner: str,
        top_k: float | None = None, evidence_only: bool | None = None, temperature: float | None = None,
        language: str | None = None, restrict: list[str] | None = None, kb: str = "",
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:  # fmt: skip
        """Streams the answer; the turn is stored with its sources once done, and the list shows it."""
        message = (message or "").strip()
        owner = self.ctx.who(owner, request) or new_owner()  # an API client has no browser storage: one per session
        if not message:
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
            return
        try:
            check_question(message, self.ctx.settings.limits)
        except TooLargeError as exc:  # said at once, the question not repeated, the box kept to shorten it
            chat = [*chat, {"role": "assistant", "content": self.ctx.error(str(exc))}]
            yield chat, conversation_id, owner, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        labels, show_draft = self.ctx.labels, self.ctx.settings.answer.show_draft
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        text, drafted, sources, query = "", None, [], message
        try:
            service = self.ctx.service(kb, request)
            sessions = self.ctx.sessions
            conversation_id = sessions.open(conversation_id, service.kb.name, owner)
            asked = options(top_k, evidence_only, temperature, language, restrict)
            # Closed in any case: when the browser goes, Gradio closes this generator, and the answer's generator
            # is closed with it at once (its `finally` releases the model), not when the garbage collector finds it.
            with closing(sessions.stream(service, conversation_id, message, asked, owner)) as events:
                for event in events:
                    if event.kind == EventKind.SOURCES:
                        sources, query = event.data.sources, event.data.query
                    elif event.kind == EventKind.TOKEN:
                        text += event.data
                    elif event.kind == EventKind.DRAFT:  # the model drafts: say so at once, then count now and then
                        drafted = (drafted or 0) + bool(event.data)
                        if drafted % DRAFT_REFRESH:
                            continue
                    else:
                        done: Answer = event.data
                        detail = done.to_json()
                        turn = len(sessions.store.entries(conversation_id, owner)) - 1  # stored just now
                        chat[-1]["content"] = finished_markdown(done, show_draft, turn)
                        listed = self.conversations.listing(owner, conversation_id, kb)
                        yield chat, conversation_id, owner, "", listed, self.sources.choices(detail), detail
                        return
                    chat[-1]["content"] = streaming_markdown(text, drafted, sources, labels, query)
                    yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
        except UnsavedTurnError as exc:  # the answer stands, said not kept in the conversation (a full disk)
            detail = exc.answer.to_json()
            chat[-1]["content"] = finished_markdown(exc.answer, show_draft) + self.ctx.error(str(exc))
            yield chat, conversation_id, owner, "", gr.skip(), self.sources.choices(detail), detail
        except Exception as exc:  # in words, never a traceback; the passages found so far stay readable
            if not isinstance(exc, ZhikuError):
                log.exception("answering %r failed", message)
            shown = streaming_markdown("", None, sources, labels, query) if sources else ""
            chat[-1]["content"] = self.ctx.error(plain_error(exc)) + shown
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
