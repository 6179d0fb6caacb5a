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
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    files_total: int = 0
    pages: int = 0  # of the files ingested
    chunks: int = 0  # embedded so far
    pages_read: int = 0  # so far, by the parsers, for the progress bar
    pages_ocr: int = 0
    restored: int = 0  # chunks an earlier near-duplicate rule left out, stored now (ingest/dedup.py)
    started: float = field(default_factory=time.perf_counter)

    def by_status(self, status: Status) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status(Status.FAILED)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


Progress = Callable[[IngestReport, FileResult | None], None]
