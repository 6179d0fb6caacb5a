"""👍/👎 on an answer, with an optional reason, and correcting it into a verified answer (issue 22).

The thumbs are Gradio's (`Chatbot.like`): they say which message was rated. What is stored about it (the question,
the answer as shown, its sources) is read from this owner's stored conversation, not from the text the browser
sends back, so a vote carries the sources the answer really had. The vote is stored at the click (a thumb that
asks for more before it counts gets lost); the reason and the correction are optional, in the panel the click
opens under the chat.
"""

from __future__ import annotations

import html
import inspect
from pathlib import PurePath
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.engine.answer import Answer
from app.engine.conversations import Entry
from app.engine.verified.files import MAX_SOURCES, Row, add_verified, check_texts, resolve_source
from app.engine.verified.manage import check_may_verify, check_reason, record_feedback
from app.web.page.context import PageContext
from app.web.page.conversations import ChatHistory
from app.web.page.render import finished_markdown
from core.errors import ZhikuError
from core.kb.feedback import Rating

PAGE_BY = "page"  # who, without sign-in and no name typed
Rated = dict[str, Any]  # the rated answer: kb, question, answer, sources, rating, feedback id, at


def message_text(message: dict[str, Any]) -> str:
    """A chat message's text, whether Gradio hands it over as a string or as a list of parts."""
    content = message.get("content", "")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def stored_turn(chat: ChatHistory, index: int, entries: list[Entry], show_draft: bool) -> Entry | None:
    """The stored turn a chat message shows: the one whose rendering is the message (Gradio dedents what it
    shows, so the rendering is too), else the latest turn asking the question above it; None when the message
    is no stored answer (an error, a refused question)."""
    text = message_text(chat[index])
    for turn, entry in enumerate(entries):
        if entry.detail and shown_as(entry, turn, show_draft) == text:
            return entry
    question = message_text(chat[index - 1]) if index > 0 and chat[index - 1].get("role") == "user" else None
    same = [e for e in entries if e.detail and e.question == question]
    return same[-1] if same else None


def shown_as(entry: Entry, turn: int, show_draft: bool) -> str:
    return inspect.cleandoc(finished_markdown(Answer.from_json(entry.detail), show_draft, turn))


def shown_sources(answer: Answer) -> list[dict[str, Any]]:
    """What feedback keeps of each source: enough to find the passage again, not its vector."""
    return [
        {"source": s.source, "page": s.page, "doc_id": s.doc_id, "chunk_id": s.chunk_id, "text": s.text}
        for s in answer.sources
    ][:50]


class AnswerFeedback:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def by(self, name: str | None, request: gr.Request | None) -> str:
        """Who: the signed-in user; without sign-in the name typed, else "page"."""
        return self.ctx.user(request) or (name or "").strip()[:100] or PAGE_BY

    def vote(
        self, chat: ChatHistory, rated: Rated | None, conversation_id: str, owner: str, kb: str,
        data: gr.LikeData, request: gr.Request | None = None,
    ) -> tuple[Any, ...]:  # fmt: skip
        """A thumb clicked: stored at once, and the panel opens on that answer (to add a reason, or correct it).
        The same thumb clicked again (Gradio sends `liked` "") takes the vote back."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        here = (conversation_id, index)
        if data.liked not in (True, False):
            return self._withdrawn(rated, here, request)
        if rated and rated.get("at") == list(here):  # the other thumb of the same answer: the vote changes
            self._withdrawn(rated, here, request)
        owner = self.ctx.who(owner, request)
        entries = self.ctx.sessions.store.entries(conversation_id, owner) if conversation_id else []
        show_draft = self.ctx.settings.answer.show_draft
        entry = stored_turn(chat, index, entries, show_draft) if 0 <= index < len(chat) else None
        if entry is None:
            return self._closed(self.ctx.labels["fb_not_an_answer"])
        answer = Answer.from_json(entry.detail)
        rating = Rating.UP if data.liked else Rating.DOWN
        try:
            service = self.ctx.service(kb, request)
            sources = shown_sources(answer)
            entry_id = record_feedback(
                service.feedback, rating, entry.question, answer.answer, sources, "", self.by(None, request),
                self.ctx.settings.limits,
            )  # fmt: skip
        except ZhikuError as exc:
            return self._closed(self.ctx.error(str(exc)))
        rated = {
            "kb": service.kb.name, "question": entry.question, "answer": answer.answer, "sources": sources,
            "rating": rating.value, "feedback_id": entry_id, "at": list(here),
        }  # fmt: skip
        return (rated, gr.Column(visible=True), self._recorded(rated), "", entry.question,
                self._prefilled(answer), self._source_choices(sources), "")  # fmt: skip

    def _recorded(self, rated: Rated) -> str:
        thumb = "👍" if rated["rating"] == Rating.UP else "👎"
        return self.ctx.labels["fb_recorded"].format(rating=thumb, question=html.escape(rated["question"]))

    @staticmethod
    def _prefilled(answer: Answer) -> str:
        """The correction starts from the verified answer's own words when it was one, else from the answer."""
        return answer.verified["answer"] if answer.verified else answer.answer

    def _source_choices(self, sources: list[dict[str, Any]]) -> gr.CheckboxGroup:
        labels = [
            f"[{i}] {PurePath(s['source']).name}" + (f" · p.{s['page']}" if s["page"] else "")
            for i, s in enumerate(sources, 1)
        ]
        return gr.CheckboxGroup(choices=[(label, i) for i, label in enumerate(labels, 1)], value=[])

    def _withdrawn(self, rated: Rated | None, here: tuple[str, int], request: gr.Request | None) -> tuple[Any, ...]:
        """The vote on the answer at `here` (conversation, message) taken back, when it is the one this panel holds."""
        if rated and rated.get("at") == list(here) and rated.get("feedback_id"):
            try:
                self.ctx.service(rated["kb"], request).feedback.remove(rated["feedback_id"])
            except ZhikuError as exc:
                return self._closed(self.ctx.error(str(exc)))
        return self._closed(self.ctx.labels["fb_withdrawn"])

    def _closed(self, status: str) -> tuple[Any, ...]:
        """No answer to work on: the panel shows only why."""
        cleared = gr.CheckboxGroup(choices=[], value=[])
        return None, gr.Column(visible=True), status, "", "", "", cleared, ""

    def save_reason(self, rated: Rated | None, reason: str, request: gr.Request | None = None) -> str:
        if not rated or not rated.get("feedback_id"):
            return ""
        try:
            check_reason(reason or "", self.ctx.settings.limits)
            self.ctx.service(rated["kb"], request).feedback.set_reason(rated["feedback_id"], (reason or "").strip())
        except ZhikuError as exc:
            return self.ctx.error(str(exc))
        return self._recorded(rated) + " · " + self.ctx.labels["fb_reason_saved"]

    def correct(
        self, rated: Rated | None, question: str, answer: str, picked: list[int] | None, name: str,
        request: gr.Request | None = None,
    ) -> str:  # fmt: skip
        """The right answer, resting on the ticked passages of the rated answer, becomes a verified answer: a later
        question asking the same is answered with it at once."""
        if not rated:
            return ""
        try:
            check_may_verify(self.ctx.settings, self.ctx.user(request))
            check_texts(question or "", answer or "", self.ctx.settings.limits)
            kb = self.ctx.kb(rated["kb"], request)
            chosen = [rated["sources"][i - 1] for i in sorted(set(picked or [])) if 1 <= i <= len(rated["sources"])]
            sources = tuple(
                resolve_source(kb, s["doc_id"] or s["source"], s["page"], s["text"]) for s in chosen[:MAX_SOURCES]
            )
            (item,) = add_verified(kb, [Row(question.strip(), answer.strip(), sources)], self.by(name, request))
        except ZhikuError as exc:
            return self.ctx.error(str(exc))
        return self.ctx.labels["correct_saved"].format(by=html.escape(item.by), date=item.at[:10])


def build_feedback_panel(ui: SimpleNamespace, ctx: PageContext) -> None:
    """Under the chat, hidden until a thumb is clicked."""
    labels = ctx.labels
    ui.rated = gr.State(None)
    with gr.Column(visible=False, elem_id="answer-feedback") as ui.feedback_panel:
        ui.feedback_status = gr.Markdown(elem_id="feedback-status")
        with gr.Row():
            ui.feedback_reason = gr.Textbox(
                label=labels["fb_reason"], elem_id="feedback-reason", scale=4,
                max_length=ctx.settings.limits.reason_chars,
            )  # fmt: skip
            ui.feedback_save = gr.Button(labels["fb_save_reason"], size="sm", elem_id="feedback-save", scale=1)
        with gr.Accordion(labels["correct_title"], open=False, elem_id="correct"):
            gr.Markdown(labels["correct_hint"])
            ui.correct_question = gr.Textbox(label=labels["correct_question"], elem_id="correct-question")
            ui.correct_answer = gr.Textbox(label=labels["correct_answer"], lines=3, elem_id="correct-answer")
            ui.correct_sources = gr.CheckboxGroup(
                label=labels["correct_sources"], choices=[], elem_id="correct-sources"
            )
            ui.correct_name = gr.Textbox(  # the signed-in user is who verifies, when sign-in is on
                label=labels["your_name"], elem_id="correct-name", visible=not ctx.settings.auth.enabled
            )
            ui.correct_save = gr.Button(labels["correct_save"], variant="primary", elem_id="correct-save")
            ui.correct_status = gr.Markdown(elem_id="correct-status")


def wire_feedback(ui: SimpleNamespace, h: AnswerFeedback) -> None:
    voted = [
        ui.rated, ui.feedback_panel, ui.feedback_status, ui.feedback_reason,
        ui.correct_question, ui.correct_answer, ui.correct_sources, ui.correct_status,
    ]  # fmt: skip
    like_in = [ui.chatbot, ui.rated, ui.conversation, ui.owner, ui.kb]
    ui.chatbot.like(h.vote, like_in, voted, api_visibility="private")
    reason_in = [ui.rated, ui.feedback_reason]
    ui.feedback_save.click(h.save_reason, reason_in, [ui.feedback_status], api_visibility="private")
    ui.feedback_reason.submit(h.save_reason, reason_in, [ui.feedback_status], api_visibility="private")
    corrected = [ui.rated, ui.correct_question, ui.correct_answer, ui.correct_sources, ui.correct_name]
    ui.correct_save.click(h.correct, corrected, [ui.correct_status], api_visibility="private")
