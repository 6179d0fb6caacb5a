"""Knowledge bases in the page: pick or create one; the session switches to it."""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.web.page.context import PageContext
from app.web.page.conversations import Conversations
from app.web.page.documents import Documents
from app.web.page.sources import Sources
from core.errors import ZhikuError
from core.kb import check_kb_name


class KnowledgeBases:
    def __init__(self, ctx: PageContext, conversations: Conversations, sources: Sources, documents: Documents) -> None:
        self.ctx, self.conversations, self.sources, self.documents = ctx, conversations, sources, documents

    def header(self, kb: str) -> str:
        labels = self.ctx.labels
        return f"# {labels['title']}\n{labels['subtitle'].format(kb=kb)}"

    def open(
        self, name: str | None, owner: str, current: str, private: bool = False, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Switch this session to another knowledge base (created when new, owned by the signed-in user and
        private if asked): its conversations and documents; a fresh chat. One that cannot be opened (built
        with another embedding model, another user's private one) is explained and the session stays."""
        try:
            user = self.ctx.user(request)
            knowledge_base = self.ctx.workspace.create(check_kb_name(name or ""), user, bool(private)).kb
        except ZhikuError as exc:
            return (current, self.ctx.error(str(exc)), self.ctx.kb_choices(current, request), *(gr.skip(),) * 10)
        kb, owner = knowledge_base.name, self.ctx.who(owner, request)
        cleared: tuple[Any, ...] = ([], "", self.conversations.listing(owner, "", kb), self.sources.choices(None), None)
        shown = (self.ctx.kb_choices(kb, request), "", self.header(kb))
        return (kb, "", *shown, *cleared, *self.documents.listed(knowledge_base))
