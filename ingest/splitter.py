"""Split page text into chunks that end at sentence boundaries, Chinese (。！？；) as well as English."""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from core.documents import Chunk, Page

# Coarse to fine: paragraphs, lines, sentence ends (full-width first), clauses, words, characters.
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ". ", "! ", "? ", "; ", "，", ", ", " ", ""]


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        keep_separator="end",
        strip_whitespace=True,
    )


def split_pages(
    pages: list[Page], *, source: str, doc_sha256: str, title: str, chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Each page is split on its own, so every chunk carries exactly one page number."""
    splitter = make_splitter(chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    for page in pages:
        for text in splitter.split_text(page.text):
            chunks.append(Chunk(text, source, page.page, len(chunks), doc_sha256, title))
    return chunks
