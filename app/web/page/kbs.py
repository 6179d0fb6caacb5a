"""Knowledge bases in the page: pick or create one; the session switches to it. A reload comes back to the
knowledge base and conversation this browser had open (`restore`)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.web.page.context import PageContext
from app.web.page.conversations import Conversations
from app.web.page.documents import Documents
from app.web.page.sources import Sources
from app.web.page.welcome import Welcome
from core.errors import ZhikuError
from core.kb import check_kb_name

CHAT_AT = 5  # where the chat and the conversation start in `open`'s outputs (layout.py's `switched`)


class KnowledgeBases:
    def __init__(
        self, ctx: PageContext, conversations: Conversations, sources: Sources, documents: Documents, welcome: Welcome
    ) -> None:
        self.ctx, self.conversations, self.sources, self.documents = ctx, conversations, sources, documents
        self.welcome = welcome

    def header(self, kb: str) -> str:
        labels = self.ctx.labels
        return f"# {labels['title']}\n{labels['subtitle'].format(kb=kb)}"

    def open(
        self, name: str | None, owner: str, current: str, private: bool = False, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Switch this session to another knowledge base (created when new, owned by the signed-in user and
        private if asked): its conversations and documents; a fresh chat showing what it holds. One that cannot
        be opened (built with another embedding model, another user's private one) is explained and the session
        stays."""
        try:
            user = self.ctx.user(request)
            knowledge_base = self.ctx.workspace.create(check_kb_name(name or ""), user, bool(private)).kb
        except ZhikuError as exc:
            return (current, self.ctx.error(str(exc)), self.ctx.kb_choices(current, request), *(gr.skip(),) * 10)
        kb, owner = knowledge_base.name, self.ctx.who(owner, request)
        chat = self.welcome.chatbot(knowledge_base, [])
        cleared: tuple[Any, ...] = (
            chat,
            "",
            self.conversations.listing(owner, "", kb),
            self.sources.choices(None),
            None,
        )
        shown = (self.ctx.kb_choices(kb, request), "", self.header(kb))
        return (kb, "", *shown, *cleared, *self.documents.listed(knowledge_base))

    def restore(
        self, place: dict[str, str] | None, owner: str, current: str, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Page load: the knowledge base and conversation this browser last had open (kept in its storage), else
        the configured knowledge base with a fresh chat. What is remembered is only a wish: a knowledge base is
        opened only if it still exists and this user may read it, a conversation only if this owner's, there."""
        place = place if isinstance(place, dict) else {}
        kb = str(place.get("kb") or current)
        try:
            self.ctx.workspace.existing(kb, self.ctx.user(request))
        except ZhikuError:  # deleted since, or another user's private one now
            kb = current
        switched = list(self.open(kb, owner, current, False, request))
        conversation_id = str(place.get("conversation") or "")
        found = self.conversations.store.get(conversation_id, self.ctx.who(owner, request)) if conversation_id else None
        if found is None or found.kb != switched[0]:
            return tuple(switched)
        chat, conversation_id, picks, last = self.conversations.open(conversation_id, owner, request)
        knowledge_base = self.ctx.kb(switched[0], request)
        listed = self.conversations.listing(self.ctx.who(owner, request), conversation_id, switched[0])
        opened = [self.welcome.chatbot(knowledge_base, chat), conversation_id, listed, picks, last]
        switched[CHAT_AT : CHAT_AT + len(opened)] = opened
        return tuple(switched)


def remembered_place(kb: str, conversation_id: str) -> dict[str, str]:
    """What this browser keeps to come back to after a reload."""
    return {"kb": kb or "", "conversation": conversation_id or ""}
