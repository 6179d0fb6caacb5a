"""PDF: one Page per page (never joined, so citations keep their page), OCR for pages without a text layer."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.decode import clean_text
from ingest.loaders.garbled import is_garbled
from ingest.loaders.ocr import ocr_pdf_pages
from ingest.loaders.pdf_tables import apply_tables
from ingest.loaders.progress import page_done

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)
_INLINE_IMAGE = re.compile(rb"(?:^|\s)BI\s")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
GLUED_LETTERS = 20  # a Latin word this long is, in practice, words without the gaps between them
GLUED_MIN_WORDS = 20  # a page with fewer Latin words is not judged (a Chinese page naming one long identifier)
RESPACED_MIN_KEPT = 0.95  # pdfium's text is taken only if it holds this share of pypdf's visible characters


class _CorruptPDF(FileIngestError):
    """pypdf could not parse the file's structure; pdfium, which repairs more, gets a try before giving up."""


@dataclass
class _Layer:
    texts: list[str]  # per page, cleaned
    failures: int  # pages whose extraction raised
    password: str | None  # the one that opened it, for the OCR renderer
    has_image: Callable[[int], bool]  # page index → whether OCR could find anything there


def load_pdf(path: Path, settings: IngestSettings) -> list[Page]:
    """Pages numbered as in the PDF; empty ones are dropped by load_pages, so numbers can skip."""
    layer = _text_layer(path, settings)
    texts = layer.texts
    if not texts:
        raise FileIngestError("corrupt PDF: it has no pages")
    if not any(texts) and settings.ocr == "never":
        if texts and layer.failures == len(texts):
            raise FileIngestError(f"corrupt PDF: text extraction failed on every page ({layer.failures})")
        raise FileIngestError("no text layer and OCR is off (ingest.ocr: never)")
    _ocr_where_needed(path, layer, settings)
    apply_tables(path, texts, layer.password, settings)
    if not any(texts):
        raise FileIngestError("no text found (no text layer, and OCR read nothing)")
    return [Page(text=text, page=index) for index, text in enumerate(texts, 1)]


def _text_layer(path: Path, settings: IngestSettings) -> _Layer:
    try:
        reader, password = _open(path, settings)
        texts, failures = _page_texts(reader)
    except _CorruptPDF as exc:
        return _pdfium_text_layer(path, settings, exc)
    _respace(path, texts, password, settings.respace_min_share)
    return _Layer(texts, failures, password, lambda i: has_images(reader.pages[i]))


def _respace(path: Path, texts: list[str], password: str | None, min_share: float) -> None:
    """Pages whose words run together ("hasaVmax ratingof80 VDC": pypdf reads some PDFs' word gaps as nothing)
    are read again through pdfium, which places spaces from the glyphs' positions; its text replaces the page's
    when fewer of its words run together and it loses no characters. Only those pages: pypdf's text is kept
    everywhere else, as every other measurement here was made on it."""
    glued = [i for i, text in enumerate(texts) if glued_share(text) > min_share]
    if not glued:
        return
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError:
        return
    try:
        for i in glued:
            text = clean_text(_pdfium_page_text(document[i]))
            if glued_share(text) < glued_share(texts[i]) and _chars(text) >= RESPACED_MIN_KEPT * _chars(texts[i]):
                texts[i] = text
    finally:
        document.close()


def glued_share(text: str) -> float:
    """The share of a text's Latin words that are 20 letters or longer: English has few ("internationalization"),
    a text layer without word gaps has many. 0 for a text with fewer than GLUED_MIN_WORDS Latin words."""
    latin = _LATIN_WORD.findall(text)
    if len(latin) < GLUED_MIN_WORDS:
        return 0.0
    return sum(len(w) >= GLUED_LETTERS for w in latin) / len(latin)


def _open(path: Path, settings: IngestSettings) -> tuple[PdfReader, str | None]:
    """Open and decrypt; every pypdf failure becomes one line saying what is wrong with the file."""
    try:
        reader = PdfReader(path)
        return reader, _decrypt(reader, path, settings)
    except FileNotDecryptedError as exc:
        raise FileIngestError("encrypted: needs a password (add it to ingest.passwords)") from exc
    except FileIngestError:
        raise
    except (PdfReadError, OSError) as exc:
        raise _CorruptPDF(f"corrupt PDF: {exc}") from exc
    except Exception as exc:
        raise _CorruptPDF(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc


def _pdfium_text_layer(path: Path, settings: IngestSettings, error: _CorruptPDF) -> _Layer:
    """Text through pdfium when pypdf gave up (a missing startxref, a broken xref table); pypdf's reason
    is reported if pdfium cannot open the file either."""
    import pypdfium2 as pdfium

    password = settings.password_for(path)
    try:
        document = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError:
        raise error from None
    try:
        texts = [clean_text(_pdfium_page_text(document[i])) for i in range(len(document))]
    finally:
        document.close()
    if not texts:
        raise error
    return _Layer(texts, 0, password, lambda i: True)


def _pdfium_page_text(page: Any) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()
        page.close()


def _decrypt(reader: PdfReader, path: Path, settings: IngestSettings) -> str | None:
    """The empty user password first (PDFs that only restrict printing/copying open with it), then the
    configured one. Returns the password that worked, for the OCR renderer."""
    if not reader.is_encrypted:
        return None
    try:
        if reader.decrypt(""):
            return ""
        password = settings.password_for(path)
        if password is None:
            raise FileIngestError("encrypted: needs a password (add it to ingest.passwords)")
        if not reader.decrypt(password):
            raise FileIngestError("wrong password (the one in ingest.passwords does not open it)")
    except (DependencyError, NotImplementedError) as exc:
        raise FileIngestError(f"encrypted with an unsupported method: {exc}") from exc
    return password


def _page_texts(reader: PdfReader) -> tuple[list[str], int]:
    """Text of every page, and how many pages failed to extract; a page that fails is empty, so OCR may
    still read it and one bad page does not lose the document."""
    try:
        pages = list(reader.pages)
    except Exception as exc:  # a broken page tree
        raise _CorruptPDF(f"corrupt PDF: page tree unreadable ({type(exc).__name__}: {exc})") from exc
    texts: list[str] = []
    failures = 0
    for page in pages:
        try:
            texts.append(clean_text(page.extract_text() or ""))
            page_done("text", len(texts[-1]))
        except Exception as exc:
            log.debug("text extraction failed on a page: %s", exc)
            texts.append("")
            failures += 1
    return texts, failures


def has_images(page: PageObject) -> bool:
    """Whether the page draws any raster image (XObject, inside a form too, or inline); unsure means yes."""
    try:
        contents = page.get_contents()
        return _resources_have_images(page.get("/Resources"), depth=0) or bool(
            _INLINE_IMAGE.search(contents.get_data() if contents is not None else b"")
        )
    except Exception:
        return True


def _resources_have_images(resources: Any, depth: int) -> bool:
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if resources else None
    for ref in (xobjects.get_object() if xobjects else {}).values():
        xobject = ref.get_object()
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < 5 and _resources_have_images(xobject.get("/Resources"), depth + 1):
            return True
    return False


def _chars(text: str) -> int:
    return sum(not c.isspace() for c in text)


def _ocr_where_needed(path: Path, layer: _Layer, settings: IngestSettings) -> None:
    """auto: pages with fewer than ocr_min_chars visible characters that hold an image (a title page
    without images has nothing more to read, and OCR of a page costs seconds), and pages whose text layer
    is garbage (fonts without a Unicode map); always: every page. OCR text replaces the text layer when it
    reads more, when the layer was garbage (auto), or whenever it reads anything (always)."""
    texts = layer.texts
    if settings.ocr == "never":
        return
    garbled = {i for i, t in enumerate(texts) if is_garbled(t)}
    if settings.ocr == "always":
        indices = list(range(len(texts)))
    else:
        needs = [i for i, t in enumerate(texts) if _chars(t) < settings.ocr_min_chars and layer.has_image(i)]
        indices = sorted(garbled.union(needs))
    if not indices:
        return
    try:
        for index, raw in ocr_pdf_pages(path, indices, settings.ocr_dpi, layer.password):
            text = clean_text(raw)
            page_done("ocr", len(text))
            replace = settings.ocr == "always" or index in garbled or _chars(text) > _chars(texts[index])
            if text and replace:
                texts[index] = text
    except FileIngestError:
        if not any(texts):
            raise
        log.warning("%s: OCR failed, keeping the text layer", path)
