"""The part of ingestion that runs in worker processes: a file in, its chunks (or one error line) out.

Kept apart from the pipeline so a worker imports only loaders and the splitter, never Chroma or a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.documents import Chunk
from core.errors import ZhikuError
from core.settings import IngestSettings
from ingest.loaders import load_pages
from ingest.splitter import split_pages


@dataclass(frozen=True)
class ParseJob:
    source: str
    path: Path
    sha256: str
    size: int
    mtime_ns: int


@dataclass
class Parsed:
    job: ParseJob
    chunks: list[Chunk] = field(default_factory=list)
    pages: int = 0
    error: str = ""


def parse_file(job: ParseJob, settings: IngestSettings) -> Parsed:
    """Never raises for a bad file: the error travels back as text, so one file never stops the others."""
    try:
        pages = load_pages(job.path, settings)
        chunks = split_pages(
            pages,
            source=job.source,
            doc_sha256=job.sha256,
            title=job.path.stem,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
        )
    except (ZhikuError, OSError) as exc:
        return Parsed(job, error=str(exc) or type(exc).__name__)
    except Exception as exc:
        return Parsed(job, error=f"unexpected {type(exc).__name__}: {exc}")
    return Parsed(job, chunks=chunks, pages=len(pages))
