"""The part of ingestion that runs in worker processes: a file in, its chunks (or one error line) out.

Kept apart from the pipeline so a worker imports only loaders and the splitter, never Chroma or a model.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from core.documents import Chunk
from core.errors import ZhikuError
from core.settings import IngestSettings
from core.tokens import index_text
from ingest.loaders import load_pages
from ingest.loaders.ocr import set_threads
from ingest.loaders.progress import page_progress
from ingest.splitter import split_pages
from ingest.volume import Budget, OverLimit


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


PARSE_NICENESS = 10
_pages_read: Queue | None = None  # in a worker process: where page progress goes
_gate: Event | None = None  # in a worker process: set while the main process lets parsing run
_memory_mb: float = 0  # in a worker process: its data limit (ingest.max_parse_mb), for the error message


def init_worker(pages_read: Queue, gate: Event, ocr_threads: int, parent: int, memory_mb: float = 0) -> None:
    """`parent` is the ingesting process's pid, passed in: by the time a slow worker starts, it may be gone.

    `gate` pauses the worker between pages while the main process embeds (`ingest.parse_while_embedding`).
    `memory_mb` (`ingest.max_parse_mb`) caps the worker's data: a parser that needs more fails its file.
    """
    global _pages_read, _gate, _memory_mb
    _pages_read, _gate = pages_read, gate
    set_threads(ocr_threads)
    # Parsing is background work for the embedder, whose threads wait for each other at every step: a core
    # taken from one of them stalls both. At a lower priority the workers use what the embedder leaves.
    os.nice(PARSE_NICENESS)
    if memory_mb > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = int(memory_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
        _memory_mb = memory_mb
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A killed ingestion (kill -9) must not leave its workers behind: they would wait on their queue forever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def parse_file(job: ParseJob, settings: IngestSettings, on_page: Callable[[str, str], None] | None = None) -> Parsed:
    """Never raises for a bad file: the error travels back as text, so one file never stops the others.

    Each page read is reported, with the file's source, to `on_page` (in-process) or to the worker's queue, for
    the progress bar and the file's own progress row. The
    file's volume limits (`ingest/volume.py`) are checked as it goes.
    """
    hook = on_page or _worker_hook
    budget = Budget(settings)

    def page_read(kind: str, chars: int) -> None:
        budget.page(chars)
        with budget.paused():  # the worker's hook may wait for its turn: not parsing time
            hook(kind, job.source)

    try:
        with budget.running(), page_progress(page_read):
            pages = load_pages(job.path, settings)
            budget.check_chars(sum(len(p.text) for p in pages))
            _wait_for_turn(budget)
            chunks = split_pages(
                pages,
                source=job.source,
                doc_sha256=job.sha256,
                title=Path(job.source).stem,  # the name shown: the path's may not be UTF-8
                chunk_size=settings.chunk_size,
                chunk_overlap=settings.chunk_overlap,
            )
            budget.check_chunks(len(chunks))
            _wait_for_turn(budget)
            chunks = [replace(c, words=index_text(c.keyword_text())) for c in chunks]
    except OverLimit as exc:
        return Parsed(job, error=str(exc))
    except MemoryError:
        return Parsed(job, error=_out_of_memory())
    except (ZhikuError, OSError) as exc:
        # A loader wraps what its parser raised ("corrupt DOCX: ..."); out of memory is no corruption.
        memory = isinstance(exc.__cause__, MemoryError)
        return Parsed(job, error=_out_of_memory() if memory else str(exc) or type(exc).__name__)
    except Exception as exc:
        return Parsed(job, error=f"unexpected {type(exc).__name__}: {exc}")
    return Parsed(job, chunks=chunks, pages=len(pages))


def _out_of_memory() -> str:
    limit = f" (ingest.max_parse_mb {_memory_mb:g})" if _memory_mb else ""
    return f"out of memory while parsing{limit}"


def _wait_for_turn(budget: Budget | None = None) -> None:
    if _gate is not None:
        with budget.paused() if budget is not None else contextlib.nullcontext():
            _gate.wait()


def _worker_hook(kind: str, source: str) -> None:
    """After each page: report it, then wait while the main process embeds."""
    if _pages_read is not None:
        _pages_read.put_nowait((kind, source))
    _wait_for_turn()
