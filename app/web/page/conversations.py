"""The conversation list: start, open, rename, delete and export. Conversations are persisted per owner, so
memory follows the conversation, not the browser tab."""

from __future__ import annotations

import hashlib
import html
import os
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from app.engine.answer import Answer
from app.engine.conversations import Entry
from app.web.page.context import PageContext, new_owner
from app.web.page.export import conversation_markdown, export_filename
from app.web.page.render import finished_markdown
from app.web.page.sources import Sources
from core.errors import StorageError

ChatHistory = list[dict[str, Any]]


class Conversations:
    def __init__(self, ctx: PageContext, sources: Sources) -> None:
        self.ctx, self.sources = ctx, sources
        self.store = ctx.sessions.store
        self._exports: Path | None = None  # one folder for this page's exports, made on the first

    def listing(self, owner: str, selected: str, kb: str) -> gr.Radio:
        found = self.store.list(owner, kb=kb or self.ctx.settings.kb) if owner else []
        choices = [(c.title or self.ctx.labels["untitled"], c.id) for c in found]
        return gr.Radio(choices=choices, value=selected or None)

    def start(
        self, remembered: str | None, kb: str, request: gr.Request | None = None
    ) -> tuple[str, str, gr.Radio, gr.Dropdown]:
        """Page load: this browser's owner id (kept in its localStorage), or the signed-in user; their
        conversations and the knowledge bases they may open."""
        remembered = remembered or new_owner()
        owner = self.ctx.who(remembered, request)
        return remembered, owner, self.listing(owner, "", kb), self.ctx.kb_choices(kb, request)

    def open(
        self, conversation_id: str | None, owner: str, request: gr.Request | None = None
    ) -> tuple[ChatHistory, str, Any, Any]:
        if not conversation_id:
            return [], "", self.sources.choices(None), None
        owner = self.ctx.who(owner, request)
        chat: ChatHistory = []
        last: dict[str, Any] | None = None
        for turn, entry in enumerate(self.store.entries(conversation_id, owner)):
            shown = self._shown(entry, turn)
            chat += [{"role": "user", "content": entry.question}, {"role": "assistant", "content": shown}]
            last = entry.detail or None
        return chat, conversation_id, self.sources.choices(last), last

    def has_turns(self, conversation_id: str, owner: str, request: gr.Request | None = None) -> bool:
        """Whether the conversation holds a kept answer (Regenerate has something to replace)."""
        return bool(conversation_id) and bool(self.store.entries(conversation_id, self.ctx.who(owner, request)))

    def _shown(self, entry: Entry, turn: int) -> str:
        if not entry.detail:
            return html.escape(entry.answer)
        return finished_markdown(Answer.from_json(entry.detail), self.ctx.settings.answer.show_draft, turn)

    def new(
        self, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[ChatHistory, str, str, gr.Radio, Any, None]:
        owner = self.ctx.who(owner, request)
        return [], "", "", self.listing(owner, "", kb), self.sources.choices(None), None

    def rename(
        self, conversation_id: str, title: str, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[Any, gr.Radio]:
        owner = self.ctx.who(owner, request)
        if conversation_id and title.strip():
            try:
                self.store.rename(conversation_id, title.strip(), owner)
            except StorageError as exc:  # a full disk: said, and the title kept in its box to try again
                gr.Warning(str(exc))
                return gr.skip(), self.listing(owner, conversation_id, kb)
        return "", self.listing(owner, conversation_id, kb)

    def delete(
        self, conversation_id: str, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[Any, Any, gr.Radio]:
        owner = self.ctx.who(owner, request)
        if conversation_id:
            try:
                self.store.delete(conversation_id, owner)
            except StorageError as exc:  # a full disk: said, and the conversation left open
                gr.Warning(str(exc))
                return gr.skip(), gr.skip(), self.listing(owner, conversation_id, kb)
        return [], "", self.listing(owner, "", kb)

    def export(self, conversation_id: str, owner: str, request: gr.Request | None = None) -> str | None:
        """A Markdown file of the conversation, in this page's temporary folder (Gradio serves a copy of it)."""
        owner = self.ctx.who(owner, request)
        conversation = self.store.get(conversation_id, owner) if conversation_id else None
        if conversation is None:
            return None
        text = conversation_markdown(conversation, self.store.entries(conversation.id, owner), self.ctx.labels)
        return str(self._export_file(conversation.id, export_filename(conversation.title), text))

    def _export_file(self, conversation_id: str, name: str, text: str) -> Path:
        """The conversation's export, rewritten in place: the export is refreshed after every answer, so a new
        temporary folder each time left one behind per answer for as long as the server ran. One folder per
        conversation (named by a hash: an API session id is the client's text); a file of an older title goes."""
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="zhiku-export-"))
        folder = self._exports / hashlib.sha256(conversation_id.encode()).hexdigest()[:16]
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            if old.name != name and not old.name.startswith("."):
                old.unlink(missing_ok=True)
        handle, written = tempfile.mkstemp(dir=folder, prefix=".")  # then renamed: never read half-written
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        return Path(written).replace(folder / name)
