"""Example questions a knowledge base's own documents suggest, for the chat page's first screen (issue 21).

No model is asked: a first-time user needs a question that works before anything is loaded, and the same
documents must always suggest the same questions. A section's topic is its heading (Markdown, Word, HTML) or a
numbered short line opening a chunk ("Section 2. Impeller", "第二章 润滑", "一、每日检查" in a PDF), put into a
template from `prompts/` in the topic's own language (a question in the document's language finds it best). A
document with no such line is asked about as a whole. One topic per document in turn, so three examples show
three documents where the knowledge base has them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.engine.prompts import load_template
from core.kb import KnowledgeBase
from core.lang import detect_language

SAMPLE_CHUNKS = 500  # chunks looked at: bounded, so a page load never walks a 100,000-chunk store
MAX_TOPIC_CHARS = 30  # longer lines are sentences, not headings
LINES_PER_CHUNK = 3  # a heading opens its chunk, maybe under the document's title
NUMBERED = re.compile(
    r"^\s*(?:(?:section|chapter|part|article)\s+[\dIVX]+[.:)]?|第[\d一二三四五六七八九十百]+[章节条部分篇][、.]?"
    r"|[（(]?[一二三四五六七八九十]+[)）、.]|\d+(?:\.\d+)*[.)、]?)\s*(?=\S)",
    re.IGNORECASE,
)
SENTENCE_END = tuple(".。;；:：!！?？,，")


def example_questions(kb: KnowledgeBase, prompts_dir: Path, count: int) -> list[str]:
    """Up to `count` questions about `kb`'s documents, the same each time for the same contents."""
    if count <= 0:
        return []
    topics: dict[str, list[str]] = {}
    chunks = sorted(kb.sample(SAMPLE_CHUNKS), key=lambda c: _place(c[1]))
    for text, meta in chunks:
        found = topics.setdefault(document_name(meta), [])
        found += [t for t in chunk_topics(text, meta.get("heading") or "") if t not in found]
    questions: list[str] = []
    for document, topic in _in_turn(topics):
        if len(questions) >= count:
            break
        question = ask_about(document, topic, prompts_dir)
        if question not in questions:
            questions.append(question)
    return questions


def document_name(meta: dict[str, Any]) -> str:
    """The document as a question names it: its title (the file name's stem), "_" read as a space."""
    return str(meta.get("title") or Path(str(meta.get("source", ""))).stem).replace("_", " ").strip()


def chunk_topics(text: str, heading: str) -> list[str]:
    """The topics a chunk opens with: its innermost heading, else numbered short lines among its first ones."""
    if heading.strip():
        innermost = heading.split(">")[-1].strip()
        return [t for t in [_topic(innermost, numbered_only=False)] if t]
    lines = text.strip().splitlines()[:LINES_PER_CHUNK]
    return [t for t in (_topic(line, numbered_only=True) for line in lines) if t]


def ask_about(document: str, topic: str | None, prompts_dir: Path) -> str:
    """The template for a topic (or, with none, for the document as a whole), in the topic's language."""
    if topic is None:
        return (
            load_template(prompts_dir, "example_document", detect_language(document)).strip().format(document=document)
        )
    template = load_template(prompts_dir, "example_topic", detect_language(topic)).strip()
    return template.format(document=document, topic=_lowered(topic))


def _topic(line: str, numbered_only: bool) -> str | None:
    line = " ".join(line.split()).strip("#*· ")
    bare = NUMBERED.sub("", line, count=1).strip(" -–—")
    if (numbered_only and bare == line) or not bare or len(bare) > MAX_TOPIC_CHARS or bare.endswith(SENTENCE_END):
        return None
    return bare if re.search(r"[^\W\d_]", bare) else None  # a letter or a Chinese character, not a number alone


def _lowered(topic: str) -> str:
    """ "Torque and lubrication" inside a sentence; "BT40" or "ZK-200" kept as written."""
    return topic[0].lower() + topic[1:] if len(topic) > 1 and topic[1].islower() else topic


def _place(meta: dict[str, Any]) -> tuple[str, int, int]:
    return document_name(meta), int(meta.get("page") or 0), int(meta.get("chunk_index") or 0)


def _in_turn(topics: dict[str, list[str]]) -> Iterable[tuple[str, str | None]]:
    """One topic of each document in turn; a document without any is asked about as a whole, after the others."""
    depth = max((len(t) for t in topics.values()), default=0)
    for i in range(depth):
        for document, found in topics.items():
            if i < len(found):
                yield document, found[i]
    for document, found in topics.items():
        if not found:
            yield document, None
