"""A conversation as a Markdown file: each question, its answer, its grounding state and its sources.

The file is what an engineer attaches to a report, so every answer keeps the file and page it came from.
HTML in document text or answers is escaped: a viewer that renders HTML in Markdown shows it, never runs it.
"""

from __future__ import annotations

import html
from typing import Any

from app.engine.conversations import Conversation, Entry
from core.documents import Source

EXCERPT_CHARS = 300


def _sources(detail: dict[str, Any], labels: dict[str, str]) -> list[str]:
    lines = []
    for i, raw in enumerate(detail.get("sources", []), 1):
        src = Source.from_json(raw)
        excerpt = html.escape(" ".join(src.text.split())[:EXCERPT_CHARS])
        lines += [f"{i}. {html.escape(src.label())} · {src.score:.2f}", f"   > {excerpt}"]
    return [f"**{labels['sources']}**", "", *lines] if lines else []


def conversation_markdown(conversation: Conversation, entries: list[Entry], labels: dict[str, str]) -> str:
    title = html.escape(conversation.title or labels["untitled"])
    out = [f"# {title}", "", f"{conversation.kb} · {conversation.created_at}"]
    for n, entry in enumerate(entries, 1):
        out += ["", f"## {n}. {html.escape(entry.question)}", "", html.escape(entry.answer)]
        if state := entry.detail.get("grounded"):
            out += ["", f"*{labels[state]}*"]
        if sources := _sources(entry.detail, labels):
            out += ["", *sources]
    return "\n".join(out) + "\n"
