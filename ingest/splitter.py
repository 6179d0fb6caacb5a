"""Split pages into chunks that end at sentence boundaries and know the section heading they sit under.

Loaders mark headings as Markdown lines (`# Title`, `## Sub`) where the format says so (DOCX styles, HTML
h1–h6, slide titles, Markdown itself). PDFs and plain text carry no such marks, so numbered section lines
("3.2 Spindle lubrication", "第三章 维护", "二、每周保养") count as headings too. The heading path
("2 Torque > 2.1 Break-in") is kept per chunk and embedded with its text.
"""

from __future__ import annotations

import re

from langchain_text_splitters import RecursiveCharacterTextSplitter

from core.documents import CAPTION_END, CAPTION_LEVEL, Chunk, Page

# Coarse to fine: paragraphs, lines, sentence ends (full-width first), clauses, words, characters.
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ". ", "! ", "? ", "; ", "，", ", ", " ", ""]
MAX_HEADING_CHARS = 60
_MARKDOWN = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*$")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+\S")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零\d]{1,4}[章节篇部分]")
_CN_ITEM = re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]\s*\S")
_LEADER = re.compile(r"(?:\.\s?){4,}\s*[\divxlcIVXLC]+\s*$|…{2,}\s*\d+\s*$")  # "3.1 Install ..... 22"
_SENTENCE_END = ("。", ".", "；", ";", "：", ":", "，", ",", "！", "?", "？", "!")


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        keep_separator="end",
        strip_whitespace=True,
    )


def is_contents(text: str) -> bool:
    """A table of contents or index chunk (mostly dot-leader lines): it matches every question's words and
    answers none, and costs embedding time, so it is not stored."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and sum(1 for line in lines if _LEADER.search(line)) >= 0.5 * len(lines)


def heading_level(line: str) -> tuple[int, str] | None:
    """(level, heading text) when the line is a heading, else None."""
    if m := _MARKDOWN.match(line):
        return len(m.group(1)), m.group(2)
    if len(line) > MAX_HEADING_CHARS or line.endswith(_SENTENCE_END):
        return None
    if m := _NUMBERED.match(line):
        return m.group(1).count(".") + 1, line
    if _CHAPTER.match(line):
        return 1, line
    if _CN_ITEM.match(line):
        return 2, line
    return None


class HeadingTracker:
    """The current heading path; it carries over page breaks, as sections do."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def update(self, level: int, text: str | None) -> None:
        """A heading at `level` replaces those at its level and below; None ends their scope (`CAPTION_END`)."""
        self._stack = [(lvl, t) for lvl, t in self._stack if lvl < level] + ([] if text is None else [(level, text)])

    @property
    def path(self) -> str:
        return " > ".join(t for _, t in self._stack)


def mark_headings(text: str) -> tuple[str, list[tuple[int, int, str | None]]]:
    """The text with Markdown marks dropped, and (offset, level, heading) for each heading line in it; a
    `CAPTION_END` line is dropped and ends the caption's scope (heading None at the caption's level)."""
    out: list[str] = []
    found: list[tuple[int, int, str | None]] = []
    offset = 0
    for line in text.splitlines():
        if line.strip() == CAPTION_END:
            found.append((offset, CAPTION_LEVEL, None))
            continue
        heading = heading_level(line.strip())
        if heading is not None:
            line = heading[1]
            found.append((offset, *heading))
        out.append(line)
        offset += len(line) + 1
    return "\n".join(out), found


def split_pages(
    pages: list[Page], *, source: str, doc_sha256: str, title: str, chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Each page is split on its own, so every chunk carries exactly one page number.

    Headings label chunks but never cut them: a numbered list mistaken for headings costs a label, not a
    page of tiny chunks. A chunk gets the heading path in force where it starts.
    """
    splitter = make_splitter(chunk_size, chunk_overlap)
    tracker = HeadingTracker()
    chunks: list[Chunk] = []
    for page in pages:
        text, headings = mark_headings(page.text)
        position = 0
        for piece in splitter.split_text(text):
            start = text.find(piece[:40], position)
            position = max(start, position)
            reach = position + len(piece) // 4  # headings in the chunk's first quarter are its own
            while headings and headings[0][0] <= reach:
                offset, level, heading = headings.pop(0)
                tracker.update(level, heading)
                reach = max(reach, offset + len(heading or "") + 1)  # a heading line right below it counts too
            if not is_contents(piece):
                chunks.append(Chunk(piece, source, page.page, len(chunks), doc_sha256, title, tracker.path))
        for _, level, heading in headings:
            tracker.update(level, heading)
    return chunks
