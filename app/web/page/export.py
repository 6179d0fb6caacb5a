"""A conversation as a Markdown file: each question, its answer, its grounding state and its sources.

The file is what an engineer attaches to a report, so every answer keeps the file and page it came from.
HTML in document text or answers is escaped: a viewer that renders HTML in Markdown shows it, never runs it.
"""

from __future__ import annotations

import html
import re
from typing import Any

from app.engine.conversations import Conversation, Entry
from app.web.page.render import verified_block
from core.documents import Source

EXCERPT_CHARS = 300
NAME_CHARS = 80


def export_filename(title: str) -> str:
    """The file's name from the whole title: a slash is a character of the title, not a folder ("报警代码
    AL-210/AL-105" was saved as `AL-105.md`), so what a file system refuses becomes "_"."""
    name = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", " ".join(title.split())).strip(" .")[:NAME_CHARS].strip(" .")
    return f"{name or 'chat'}.md"


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
        if verified := verified_block(entry.detail.get("verified"), labels):  # served before any search
            out += ["", verified.strip()]
        if sources := _sources(entry.detail, labels):
            out += ["", *sources]
    return "\n".join(out) + "\n"
