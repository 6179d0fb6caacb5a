"""Read a file into pages. PDFs keep one Page per page (never joined), other formats are one Page."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from charset_normalizer import from_bytes
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from core.documents import Page
from ingest.errors import FileIngestError

Loader = Callable[[Path], list[Page]]
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
logging.getLogger("pypdf").setLevel(logging.ERROR)


def clean_text(text: str) -> str:
    """PDF extraction pads Latin runs inside Chinese with several spaces ("运行  300  小时"); one is enough."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def load_pdf(path: Path) -> list[Page]:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileIngestError("encrypted: needs a password")
        pages = [Page(text=clean_text(page.extract_text() or ""), page=i) for i, page in enumerate(reader.pages, 1)]
    except FileNotDecryptedError as exc:
        raise FileIngestError("encrypted: needs a password") from exc
    except FileIngestError:
        raise
    except (PdfReadError, OSError) as exc:
        raise FileIngestError(f"corrupt PDF: {exc}") from exc
    except Exception as exc:
        raise FileIngestError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if not any(p.text for p in pages):
        raise FileIngestError("no text layer (scanned PDF?); OCR is not available yet")
    return pages


def decode_text(data: bytes) -> str:
    """UTF-8 first (the common case, and charset detection can misread short UTF-8); then detection."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise FileIngestError("not a text file (unknown encoding)") from None
        return str(best)


def load_text(path: Path) -> list[Page]:
    return [Page(text=decode_text(path.read_bytes()).strip(), page=None)]


def load_html(path: Path) -> list[Page]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    return [Page(text=soup.get_text("\n", strip=True), page=None)]


LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
}


def load_pages(path: Path) -> list[Page]:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise FileIngestError(f"unsupported file type {path.suffix or '(none)'!r}")
    if path.stat().st_size == 0:
        raise FileIngestError("empty file (0 bytes)")
    pages = [p for p in loader(path) if p.text]
    if not pages:
        raise FileIngestError("no text found")
    return pages
