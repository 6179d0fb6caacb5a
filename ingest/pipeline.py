"""The ingestion steps, each with explicit inputs and outputs: discover → hash → load → split → embed → store."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.documents import Chunk
from core.errors import ZhikuError
from core.settings import IngestSettings
from core.store import KnowledgeBase
from ingest.loaders import load_pages
from ingest.splitter import split_pages


@dataclass
class FileResult:
    source: str
    status: str  # "ingested" | "skipped" | "failed"
    chunks: int = 0
    pages: int = 0
    error: str = ""


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)

    def by_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("failed")


def discover(paths: Iterable[str], extensions: list[str]) -> Iterator[tuple[str, Path | None, str]]:
    """Yield (source, path, error) per file. A folder yields its supported files, recursively and sorted.

    `source` keeps the path as the user gave it (relative stays relative), so citations read naturally.
    """
    allowed = {e.lower() for e in extensions}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in allowed:
                        yield os.path.join(root, name), Path(root) / name, ""
        elif path.is_file():
            yield given, path, ""
        else:
            yield given, None, "not found"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embed_and_store(kb: KnowledgeBase, chunks: list[Chunk], batch_size: int) -> None:
    """Batches bound memory; a crash between batches leaves an incomplete document that the next run redoes."""
    for start in range(0, len(chunks), batch_size):
        batch = chunks[start : start + batch_size]
        vectors = kb.embedder.embed_documents([c.text for c in batch])
        kb.add(batch, vectors, n_chunks=len(chunks))


def ingest_file(kb: KnowledgeBase, source: str, path: Path, settings: IngestSettings, batch_size: int) -> FileResult:
    doc_sha = sha256_file(path)
    if kb.is_complete(source, doc_sha):
        return FileResult(source, "skipped")
    pages = load_pages(path)
    chunks = split_pages(
        pages,
        source=source,
        doc_sha256=doc_sha,
        title=path.stem,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
    )
    kb.delete_source(source)  # a changed file replaces its old chunks
    embed_and_store(kb, chunks, batch_size)
    return FileResult(source, "ingested", chunks=len(chunks), pages=len(pages))


def ingest_paths(
    kb: KnowledgeBase,
    paths: Iterable[str],
    settings: IngestSettings,
    batch_size: int,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    return ingest_files(kb, discover(paths, settings.extensions), settings, batch_size, on_file)


def ingest_files(
    kb: KnowledgeBase,
    files: Iterable[tuple[str, Path | None, str]],
    settings: IngestSettings,
    batch_size: int,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Ingest every file it can; one bad file is recorded as failed and never stops the others."""
    report = IngestReport()
    for source, path, error in files:
        if path is None:
            result = FileResult(source, "failed", error=error)
        else:
            try:
                result = ingest_file(kb, source, path, settings, batch_size)
            except (ZhikuError, OSError) as exc:
                result = FileResult(source, "failed", error=str(exc))
            except Exception as exc:
                result = FileResult(source, "failed", error=f"unexpected {type(exc).__name__}: {exc}")
        report.results.append(result)
        if on_file:
            on_file(result)
    return report
