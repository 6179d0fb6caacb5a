"""The chat's first screen: what the knowledge base holds (documents, pages) and example questions drawn from its
documents (`app/engine/examples.py`), shown by the empty Chatbot itself (its placeholder and examples), so a
first-time user asks a first question without reading the README. An empty knowledge base says how to add
documents. Rebuilt whenever the knowledge base is opened or its documents change.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
from gradio.components.chatbot import ExampleMessage

from app.engine.examples import example_questions
from app.web.page.context import PageContext
from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.kb.manifest import FileStatus

NAMES_SHOWN = 5  # documents named on the first screen; the others are counted


class Welcome:
    def __init__(self, ctx: PageContext, formats: str) -> None:
        self.ctx, self.formats = ctx, formats
        # Per knowledge base, the questions of its latest contents version only: a KB changed by every upload
        # and delete would otherwise keep one entry per version it ever had, for the server's life.
        self._examples: dict[str, tuple[str, list[str]]] = {}

    def chatbot(self, knowledge_base: KnowledgeBase, chat: list[dict[str, Any]] | None = None) -> gr.Chatbot:
        """The Chatbot's first screen for this knowledge base; with `chat`, its messages too (a switch or a reload
        shows them), without, the messages on the page stay as they are."""
        shown: dict[str, Any] = {"value": chat} if chat is not None else {}
        examples = self.examples(knowledge_base)
        return gr.Chatbot(placeholder=self.placeholder(knowledge_base, bool(examples)), examples=examples, **shown)

    def for_kb(self, kb: str, request: gr.Request | None = None) -> Any:
        """After an upload or a deletion: the same knowledge base, new contents."""
        try:
            return self.chatbot(self.ctx.kb(kb, request))
        except ZhikuError:  # another user's private knowledge base: the first screen stays as it was
            return gr.skip()

    def examples(self, knowledge_base: KnowledgeBase) -> list[ExampleMessage]:
        version, cached = knowledge_base.version, self._examples.get(knowledge_base.name)
        if cached is None or cached[0] != version:
            settings = self.ctx.settings
            found = example_questions(knowledge_base, settings.prompts_dir, settings.server.example_questions)
            cached = self._examples[knowledge_base.name] = (version, found)
        return [ExampleMessage(text=q) for q in cached[1]]

    def placeholder(self, knowledge_base: KnowledgeBase, with_examples: bool) -> str:
        labels, kb = self.ctx.labels, html.escape(knowledge_base.name)
        files = [f for f in knowledge_base.files() if f.status == FileStatus.INGESTED]
        if not files:
            return labels["welcome_empty"].format(kb=kb, formats=html.escape(self.formats))
        names = [html.escape(f.path.replace("\\", "/").rsplit("/", 1)[-1]) for f in files[:NAMES_SHOWN]]
        if len(files) > NAMES_SHOWN:
            names.append(labels["welcome_more"].format(count=len(files) - NAMES_SHOWN))
        pages = sum(f.pages or 0 for f in files)
        text = labels["welcome"].format(kb=kb, documents=len(files), pages=pages, names=", ".join(names))
        return text + ("\n\n" + labels["welcome_try"] if with_examples else "")
