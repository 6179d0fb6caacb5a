"""A cited passage as the user checks it: the page of the file it comes from, and its text with the evidence
sentences marked. The image is what convinces an engineer that the citation is real; the text is always
escaped, so a document can never run code in the page."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from app.engine.answer import Answer
from app.engine.evidence import Evidence
from app.web.page.context import PageContext
from core.documents import Source
from core.settings import IngestSettings
from ingest.uploads import upload_folder


class Sources:
    """The last answer's sources, to open one beside the chat: its page image and its passage."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def choices(self, detail: dict[str, Any] | None) -> gr.Dropdown:
        answer = Answer.from_json(detail) if detail else None
        choices = [(f"[{i}] {s.label()}", i) for i, s in enumerate(answer.sources, 1)] if answer else []
        return gr.Dropdown(choices=choices, value=None)

    def show(
        self, citation: int | None, detail: dict[str, Any] | None, kb: str, request: gr.Request | None = None
    ) -> tuple[Any, str]:
        """The page image (PDFs, when the file is still there) and the passage with its evidence marked."""
        if not citation or not detail:
            return None, ""
        answer = Answer.from_json(detail)
        if not 1 <= citation <= len(answer.sources):
            return None, ""
        src = answer.sources[citation - 1]
        text = passage_html(src, answer.evidence, citation)
        settings = self.ctx.settings
        path = locate(src.source, [upload_folder(settings.dirs, self.ctx.kb(kb, request).name)])
        image = None
        if path is not None and src.page and path.suffix.lower() == ".pdf":
            image = render_pdf_page(path, src.page, settings.server.page_image_width, settings.ingest)
        if image is None:
            text = f"<p><i>{html.escape(self.ctx.labels['no_page_image'])}</i></p>" + text
        return image, text


def locate(source: str, roots: Sequence[Path]) -> Path | None:
    """The file a source names: as given (absolute, or relative to where the service runs), else under one of
    `roots` (the upload folder keeps only the file name)."""
    candidates = [Path(source), *(root / source for root in roots), *(root / Path(source).name for root in roots)]
    return next((p for p in candidates if p.is_file()), None)


def render_pdf_page(path: Path, page: int, width_px: int, ingest: IngestSettings) -> Any:
    """A PIL image of one page (1-based), `width_px` wide; None when the file is no PDF pdfium can open."""
    document = _open(path, ingest)
    if document is None:
        return None
    try:
        if not 1 <= page <= len(document):
            return None
        pdf_page = document[page - 1]
        try:
            width, _ = pdf_page.get_size()
            return pdf_page.render(scale=width_px / max(width, 1.0)).to_pil()
        finally:
            pdf_page.close()
    finally:
        document.close()


def _open(path: Path, ingest: IngestSettings) -> Any:
    """With the passwords ingestion tries (none, then the configured one): what was ingested can be shown."""
    import pypdfium2 as pdfium

    for password in dict.fromkeys([None, ingest.password_for(path)]):
        try:
            return pdfium.PdfDocument(path, password=password)
        except pdfium.PdfiumError:
            continue
    return None


def passage_html(src: Source, evidence: Sequence[Evidence], citation: int) -> str:
    """The passage, escaped, with the sentences quoted as evidence for this citation marked, also where a quoted
    sentence wraps across the passage's lines (quotes are whitespace-normalised)."""
    text = html.escape(src.text)
    for e in evidence:
        if e.citation == citation and e.text.strip():
            quoted = r"\s+".join(re.escape(html.escape(word)) for word in e.text.split())
            text = re.sub(quoted, lambda m: f"<mark>{m.group()}</mark>", text)
    heading = f"<b>{html.escape(src.heading)}</b><br>" if src.heading else ""
    label = html.escape(f"[{citation}] {src.label()} · {src.score:.2f}")
    return f"<div class='zhiku-passage'><p><b>{label}</b></p>{heading}{text.replace(chr(10), '<br>')}</div>"
