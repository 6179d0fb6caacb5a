"""DOCX and PPTX: text in reading order, headings as Markdown `#` lines, tables as self-contained rows.

Both are zips checked by `check_ooxml` (zip bomb, wrong kind) before python-docx/python-pptx unpack them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.decode import clean_text
from ingest.loaders.safezip import check_ooxml
from ingest.loaders.tables import rows_as_text

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}


def load_docx(path: Path, settings: IngestSettings) -> list[Page]:
    """Body paragraphs and tables in document order (one loop over the body's XML children), page None:
    DOCX has no fixed pages."""
    import docx

    check_ooxml(path, settings, "DOCX")
    try:
        document = docx.Document(str(path))
        lines = list(_block_lines(document.element.body, document))
    except Exception as exc:
        raise FileIngestError(f"corrupt DOCX: {exc}") from exc
    return [Page(text="\n".join(lines), page=None)]


def _block_lines(container: Any, parent: Any) -> Iterator[str]:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield from _paragraph_lines(Paragraph(child, parent))
        elif child.tag == qn("w:tbl"):
            yield from rows_as_text(_docx_rows(Table(child, parent)))
        elif child.tag == qn("w:sdt"):  # content controls wrap ordinary paragraphs and tables
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_lines(content, parent)


def _paragraph_lines(paragraph: Any) -> Iterator[str]:
    text = clean_text(paragraph.text)
    if not text:
        return
    style = (paragraph.style.name or "") if paragraph.style is not None else ""
    if style.lower().startswith("toc"):  # a table of contents repeats the headings with page numbers
        return
    level = heading_level(style, paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val"))
    yield f"{'#' * level} {' '.join(text.split())}" if level else text


def heading_level(style_name: str, outline_levels: list[str]) -> int | None:
    """Heading 1–9 / Title styles (English or Chinese names), else a direct outline level (0 = level 1)."""
    if style_name.lower() in _TITLE_STYLES:
        return 1
    match = _HEADING_STYLE.match(style_name)
    if match:
        return min(int(match.group(1)), 6)
    if outline_levels and outline_levels[0].isdigit() and int(outline_levels[0]) < 6:
        return int(outline_levels[0]) + 1
    return None


def _docx_rows(table: Any) -> Iterator[list[str]]:
    """Cells as laid out on the grid: a horizontally merged cell counts once, a vertically merged one
    repeats its value on every row it spans (so each row still reads alone)."""
    for row in table.rows:
        seen: list[Any] = []
        cells: list[str] = []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            cells.append(cell.text)
        yield cells


def load_pptx(path: Path, settings: IngestSettings) -> list[Page]:
    """One Page per slide, numbered like the slides: title as `# title`, then shapes top to bottom, then notes."""
    from pptx import Presentation

    check_ooxml(path, settings, "PPTX")
    try:
        presentation = Presentation(str(path))
        return [Page(text="\n".join(_slide_lines(s)), page=i) for i, s in enumerate(presentation.slides, 1)]
    except Exception as exc:
        raise FileIngestError(f"corrupt PPTX: {exc}") from exc


def _slide_lines(slide: Any) -> Iterator[str]:
    title = slide.shapes.title
    title_text = " ".join(title.text_frame.text.split()) if title is not None else ""
    if title_text:
        yield f"# {title_text}"
    title_id = title.shape_id if title is not None else None
    yield from _shape_lines(s for s in slide.shapes if s.shape_id != title_id)
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        yield from clean_text(slide.notes_slide.notes_text_frame.text.replace("\v", "\n")).splitlines()


def _shape_lines(shapes: Iterable[Any]) -> Iterator[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shape_lines(shape.shapes)
        elif shape.has_table:
            yield from rows_as_text([cell.text for cell in row.cells] for row in shape.table.rows)
        elif shape.has_text_frame:
            yield from clean_text(shape.text_frame.text.replace("\v", "\n")).splitlines()
