"""Read one file into pages: `load_pages(path, settings)` → non-empty Pages, or FileIngestError (one line).

Cheap checks come first and read at most a few KB: extension, size, then the real type from the first
bytes. Only then does a format loader parse the file. Every loader is a plain top-level function, so the
pipeline can run them in worker processes. PDFs, slides and sheets keep 1-based page numbers; other
formats are one Page with page None. Headings are emitted as Markdown `#` lines for the splitter.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.html import load_html
from ingest.loaders.image import load_image
from ingest.loaders.office import load_docx, load_pptx
from ingest.loaders.pdf import load_pdf
from ingest.loaders.sniff import HEAD_BYTES, check_type
from ingest.loaders.tables import load_csv, load_xlsx
from ingest.loaders.text import load_text
from ingest.volume import check_plain_text_size

__all__ = ["LOADERS", "Loader", "check_stat", "load_pages"]

Loader = Callable[[Path, IngestSettings], list[Page]]
log = logging.getLogger(__name__)
_MB = 1 << 20

LOADERS: dict[str, Loader] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".png": load_image,
    ".jpg": load_image,
    ".jpeg": load_image,
}


def load_pages(path: Path, settings: IngestSettings | None = None) -> list[Page]:
    """Non-empty pages of `path`; any failure is a FileIngestError whose message is one actionable line."""
    settings = settings or IngestSettings()
    loader = _loader_for(path, settings)
    try:
        _check_file(path, settings)
        pages = [p for p in loader(path, settings) if p.text.strip()]
    except (FileIngestError, MemoryError):  # out of memory is the parse's to report (ingest.max_parse_mb)
        raise
    except OSError as exc:
        raise FileIngestError(f"cannot read the file: {exc.strerror or exc}") from exc
    except Exception as exc:  # a parser bug on odd input must not escape as a traceback
        log.debug("loader failed on %s", path, exc_info=True)
        raise FileIngestError(f"could not read {path.suffix.lower()} file ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise FileIngestError("no text found")
    return pages


def _loader_for(path: Path, settings: IngestSettings) -> Loader:
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise FileIngestError(f"unsupported file type {path.suffix or '(none)'!r}")
    if suffix not in {e.lower() for e in settings.extensions}:
        raise FileIngestError(f"file type {suffix!r} is turned off (not in ingest.extensions)")
    return loader


def check_stat(info: os.stat_result, settings: IngestSettings) -> None:
    """What the directory entry alone decides, shared with the pipeline's pre-check so both say the same."""
    if not stat.S_ISREG(info.st_mode):  # reading a FIFO or a device would block or never end
        raise FileIngestError("not a regular file (a pipe, socket or device)")
    if info.st_size > settings.max_file_mb * _MB:
        size = _format_mb(info.st_size / _MB)
        raise FileIngestError(f"too large ({size} MB > max_file_mb {settings.max_file_mb:g})")


def _check_file(path: Path, settings: IngestSettings) -> None:
    """Size from the directory entry, type from the first bytes: a 2 GB file is refused without reading it."""
    info = path.stat()
    check_stat(info, settings)
    if info.st_size == 0:
        raise FileIngestError("empty file (0 bytes)")
    check_plain_text_size(path.suffix.lower(), info.st_size, settings)
    with path.open("rb") as fh:
        check_type(path, fh.read(HEAD_BYTES))


def _format_mb(mb: float) -> str:
    return f"{mb:,.0f}" if mb >= 100 else f"{mb:.3g}"
