"""A cited passage as the user checks it: the page of the file it comes from, and its text with the evidence
sentences marked. The image is what convinces an engineer that the citation is real; the text is always
escaped, so a document can never run code in the page."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from app.engine.answer import Answer
from app.engine.pagemarks import MarkedPage, find_spans, render_marked
from app.web.page.context import PageContext
from app.web.page.unlocked import UNLOCKED
from core.documents import Source
from core.settings import IngestSettings
from ingest.uploads import upload_folder


class Sources:
    """A cited page in the viewer: from a [n] link in any answer (`cite`), or from the last answer's list (`show`)."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def choices(self, detail: dict[str, Any] | None) -> gr.Dropdown:
        answer = Answer.from_json(detail) if detail else None
        choices = [(f"[{i}] {s.label()}", i) for i, s in enumerate(answer.sources, 1)] if answer else []
        return gr.Dropdown(choices=choices, value=None)

    def cite(
        self, key: str, conversation_id: str, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[str, str]:
        """A click on [n] in a stored answer (`key`: "<turn>-<n>[@nonce]"): the turn is read from this owner's
        conversation, so a key cannot open another owner's answer."""
        match = re.fullmatch(r"(\d+)-(\d+)(?:@.*)?", key or "")
        if not match or not conversation_id:
            return "", ""
        entries = self.ctx.sessions.store.entries(conversation_id, self.ctx.who(owner, request))
        turn = int(match[1])
        if turn >= len(entries) or not entries[turn].detail:
            return "", ""
        return self.show(int(match[2]), entries[turn].detail, kb, request)

    def show(
        self, citation: int | None, detail: dict[str, Any] | None, kb: str, request: gr.Request | None = None
    ) -> tuple[str, str]:
        """The viewer (the page image with the evidence marked on it, for a PDF still on disk) and the passage
        with its evidence marked."""
        if not citation or not detail:
            return "", ""
        answer = Answer.from_json(detail)
        if not 1 <= citation <= len(answer.sources):
            return "", ""
        src = answer.sources[citation - 1]
        quoted = [e.text for e in answer.evidence if e.citation == citation and e.text.strip()]
        text = passage_html(src, quoted, citation)
        settings = self.ctx.settings
        path = locate(src.source, [upload_folder(settings.dirs, self.ctx.kb(kb, request).name)])
        marked = None
        if path is not None and src.page and path.suffix.lower() == ".pdf":
            marked = render_pdf_page(path, src.page, quoted, settings.server.page_image_width, settings.ingest)
        if marked is None:
            return "", f"<p><i>{html.escape(self.ctx.labels['no_page_image'])}</i></p>" + text
        return viewer_html(marked, f"[{citation}] {src.label()}", self.ctx.labels), text


def locate(source: str, roots: Sequence[Path]) -> Path | None:
    """The file a source names: as given (absolute, or relative to where the service runs), else under one of
    `roots` (the upload folder keeps only the file name)."""
    candidates = [Path(source), *(root / source for root in roots), *(root / Path(source).name for root in roots)]
    return next((p for p in candidates if p.is_file()), None)


def render_pdf_page(
    path: Path, page: int, sentences: Sequence[str], width_px: int, ingest: IngestSettings
) -> MarkedPage | None:
    """One page (1-based), `width_px` wide, the sentences marked on it; None when the file is no PDF pdfium can
    open or has no such page."""
    document = _open(path, ingest)
    if document is None:
        return None
    try:
        return render_marked(document, page, sentences, width_px)
    finally:
        document.close()


def viewer_html(marked: MarkedPage, title: str, labels: dict[str, str]) -> str:
    """The page image inline (a JPEG data URL: no file left behind to serve), fit to the column's width, with
    zoom and full-screen buttons the page's script handles, and the marks' pixel boxes for it to scroll to."""
    buffer = io.BytesIO()
    marked.image.save(buffer, format="JPEG", quality=85)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    marks = html.escape(json.dumps(marked.boxes))
    note = labels["marked_lines"].format(count=len(marked.boxes)) if marked.boxes else labels["no_marks"]
    buttons = "".join(
        f'<button type="button" class="zhiku-view-btn" data-act="{act}" title="{html.escape(labels[key])}" '
        f'aria-label="{html.escape(labels[key])}">{face}</button>'
        for act, key, face in (("out", "zoom_out", "−"), ("fit", "zoom_fit", "↔"), ("in", "zoom_in", "+"),
                               ("full", "fullscreen", "⤢"))
    )  # fmt: skip
    return (
        f'<div class="zhiku-viewer"><div class="zhiku-view-bar"><b>{html.escape(title)}</b> '
        f"<span>{html.escape(note)}</span> {buttons}</div>"
        f'<div class="zhiku-view-scroll" tabindex="0" role="region" aria-label="{html.escape(title)}">'
        f'<img class="zhiku-page" src="data:image/jpeg;base64,{data}" '
        f'alt="{html.escape(title)}" data-marks="{marks}" data-width="{marked.image.width}" '
        f'width="{marked.image.width}" height="{marked.image.height}"></div></div>'
    )


def _open(path: Path, ingest: IngestSettings) -> Any:
    """With the passwords ingestion tries (none, then the configured one), then one typed on the page for this file
    (kept in memory only: `unlocked.py`): what was ingested can be shown."""
    import pypdfium2 as pdfium

    for password in dict.fromkeys([None, ingest.password_for(path), UNLOCKED.password(path)]):
        try:
            return pdfium.PdfDocument(path, password=password)
        except pdfium.PdfiumError:
            continue
    return None


def passage_html(src: Source, quoted: Sequence[str], citation: int) -> str:
    """The passage, escaped, with the sentences quoted as evidence for this citation (`quoted`, as marked on the
    page image) marked wherever they are, whitespace ignored (a quote joins what a line wrap split, in Chinese
    without a space), and scrolled to by the page's script."""
    marked: set[int] = set()
    for sentence in quoted:
        marked.update(i for span in find_spans(list(src.text), sentence) for i in range(span[0], span[-1] + 1))
    parts, inside = [], False
    for i, ch in enumerate(src.text):
        if (i in marked) != inside:
            parts.append("</mark>" if inside else "<mark>")
            inside = not inside
        parts.append("<br>" if ch == "\n" else html.escape(ch))
    text = "".join(parts) + ("</mark>" if inside else "")
    heading = f"<b>{html.escape(src.heading)}</b><br>" if src.heading else ""
    label = html.escape(f"[{citation}] {src.label()} · {src.score:.2f}")
    return f"<div class='zhiku-passage'><p><b>{label}</b></p>{heading}{text}</div>"
