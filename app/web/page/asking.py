"""Asking: the settings panel's choices for one question, and the streamed answer with its sources."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
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
        settings = options(top_k, evidence_only, temperature, language, restrict)
        yield from self._answer(message, chat, conversation_id, owner, settings, kb, request)

    def regenerate(
        self, chat: ChatHistory, conversation_id: str, owner: str,
        top_k: float | None = None, evidence_only: bool | None = None, temperature: float | None = None,
        language: str | None = None, restrict: list[str] | None = None, kb: str = "",
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:  # fmt: skip
        """The conversation's last question asked again, with the settings as they are now; the new answer takes
        the old one's place in the view and, once done, in the conversation. Never from the answer cache, which
        would hand back the answer being replaced."""
        entries = (
            self.conversations.store.entries(conversation_id, self.ctx.who(owner, request)) if conversation_id else []
        )
        if not entries:  # nothing asked yet in this conversation (or an answer not kept): nothing to regenerate
            yield chat, conversation_id, owner, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        question = entries[-1].question
        settings = replace(options(top_k, evidence_only, temperature, language, restrict), use_cache=False)
        view = before_last(chat, question)
        for shown in self._answer(question, view, conversation_id, owner, settings, kb, request, replace_last=True):
            yield (*shown[:3], gr.skip(), *shown[4:])  # whatever is typed in the question box stays

    def stopped(self, chat: ChatHistory, conversation_id: str, owner: str, request: gr.Request | None = None) -> Any:
        """Stop: Gradio has cancelled the answering event and closed its generator (as when a tab closes), which
        released the model. An answer cut short was never stored: the view says so."""
        if not chat or chat[-1].get("role") != "assistant":
            return gr.skip()  # nothing was asked
        kept = self.conversations.open(conversation_id, owner, request)[0] if conversation_id else []
        if len(kept) == len(chat) and text_of(kept[-1]) == text_of(chat[-1]):
            return gr.skip()  # it had finished: the view is the conversation
        note = f"\n\n<sub>{html.escape(self.ctx.labels['stopped'])}</sub>"
        return [*chat[:-1], {"role": "assistant", "content": text_of(chat[-1]) + note}]

    def _answer(
        self, message: str, chat: ChatHistory, conversation_id: str, owner: str, asked: AskOptions, kb: str,
        request: gr.Request | None, replace_last: bool = False,
    ) -> Iterator[tuple[Any, ...]]:  # fmt: skip
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
            # Closed in any case: when the browser goes, Gradio closes this generator, and the answer's generator
            # is closed with it at once (its `finally` releases the model), not when the garbage collector finds it.
            answering = sessions.stream(service, conversation_id, message, asked, owner, replace_last)
            with closing(answering) as events:
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


def text_of(message: dict[str, Any]) -> str:
    """A message's text, as the page sends it (Gradio 6: a list of parts) or as a handler made it (a string)."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def before_last(chat: ChatHistory, question: str) -> ChatHistory:
    """The view without the last time `question` was asked and what followed it (the answer being replaced)."""
    asked = [i for i, m in enumerate(chat) if m.get("role") == "user" and text_of(m).strip() == question.strip()]
    return chat[: asked[-1]] if asked else chat
