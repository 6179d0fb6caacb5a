"""What ingestion was asked to do and what became of each file: the shapes the CLI, the page and the API show."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Status(StrEnum):
    """What became of one file in one run."""

    INGESTED = "ingested"
    SKIPPED = "skipped"  # unchanged, or known content under another name: nothing stored
    FAILED = "failed"
    REMOVED = "removed"  # `--sync`: its file is gone from disk


@dataclass(frozen=True)
class FileTask:
    """A file to ingest, named as the user gave it; `error` is set when it cannot even be opened."""

    source: str
    path: Path | None
    error: str = ""


@dataclass
class FileResult:
    source: str
    status: Status
    chunks: int = 0
    pages: int = 0
    error: str = ""
    note: str = ""


@dataclass
class FileProgress:
    """One file on its way, for a progress row of its own: the pages its parser read so far, then (once its text
    is split and searchable by keywords) its chunks embedded out of how many, and since when, for a rate."""

    pages_read: int = 0
    chunks_total: int = 0
    chunks_done: int = 0
    embedding_since: float | None = None  # time.monotonic() when its first batch started

    @property
    def embedding(self) -> bool:
        return self.embedding_since is not None


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    files_total: int = 0
    pages: int = 0  # of the files ingested
    chunks: int = 0  # embedded so far
    pages_read: int = 0  # so far, by the parsers, for the progress bar
    pages_ocr: int = 0
    restored: int = 0  # chunks an earlier near-duplicate rule left out, stored now (ingest/dedup.py)
    started: float = field(default_factory=time.perf_counter)
    active: dict[str, FileProgress] = field(default_factory=dict)  # by source: files read or embedded, not finished

    def file(self, source: str) -> FileProgress:
        """The progress of `source`, started now if it had none."""
        return self.active.setdefault(source, FileProgress())

    def by_status(self, status: Status) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status(Status.FAILED)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


Progress = Callable[[IngestReport, FileResult | None], None]
