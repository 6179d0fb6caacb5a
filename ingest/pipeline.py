"""Ingestion, step by step: discover → check the manifest → hash → parse (worker processes) → embed → store.

What makes it fast is what it does not do: an unchanged file (same size and mtime) is skipped without being
read, a touched file with the same content without being parsed, and a second name for known content is
only recorded. Parsing runs in worker processes while the main process embeds the previous file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import multiprocessing
import os
import queue as queue_module
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from core.documents import doc_id_for
from core.errors import StorageError, storage_full
from core.kb import KnowledgeBase
from core.settings import IngestSettings
from ingest.dedup import rejudge_dropped, store_chunks
from ingest.errors import FileIngestError
from ingest.loaders import check_stat
from ingest.names import display_name, storable
from ingest.parse import Parsed, ParseJob, init_worker, parse_file
from ingest.report import FileResult, FileTask, IngestReport, Progress, Status


def discover(paths: Iterable[str], extensions: list[str]) -> Iterator[FileTask]:
    """Each file once. A folder yields its supported files, recursively and sorted; links to folders are not
    followed (no loops). `source` keeps the path as the user gave it, so citations read naturally (a name
    that is not UTF-8 is shown decoded: `ingest/names.py`). A subfolder that cannot be listed (no permission,
    a path over the system's length limit) is a failed task of its own, not a silent gap."""
    allowed = {e.lower() for e in extensions}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            unlisted: list[OSError] = []
            for root, dirs, files in os.walk(path, followlinks=False, onerror=unlisted.append):
                yield from _unlisted(unlisted)
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in allowed:
                        full = os.path.join(root, name)
                        yield FileTask(display_name(full), Path(full))
            yield from _unlisted(unlisted)
        elif path.is_file():
            yield FileTask(display_name(given), path)
        elif path.is_symlink():
            yield FileTask(display_name(given), None, "broken link or link loop")
        else:
            yield FileTask(display_name(given), None, "not found")


def _unlisted(errors: list[OSError]) -> Iterator[FileTask]:
    """The folders `os.walk` could not list, as failed tasks; `errors` is emptied."""
    for exc in errors:
        folder = os.fsdecode(exc.filename) if exc.filename is not None else "?"
        if exc.errno == errno.ENAMETOOLONG:
            size = len(os.fsencode(folder))
            reason = f"folder not read: path too long ({size:,} bytes; the system allows {_PATH_MAX:,})"
        else:
            reason = f"folder not read: {exc.strerror or exc}"
        yield FileTask(display_name(folder), None, reason)
    errors.clear()


_PATH_MAX = os.pathconf("/", "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def worker_count(settings: IngestSettings) -> int:
    return settings.workers or min(4, os.cpu_count() or 1)


class Ingestion:
    """One run over a list of files into one knowledge base; holds the KB's writer lock while it runs."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: IngestSettings,
        batch_size: int,
        progress: Progress | None,
        tags: Sequence[str] = (),
    ) -> None:
        self.kb = kb
        self.settings = settings
        self.batch_size = batch_size
        self.progress = progress or (lambda report, result: None)
        self.tags = list(tags)
        self.report = IngestReport()

    def run(self, tasks: list[FileTask], sync_roots: list[str] | None = None) -> IngestReport:
        self.report.files_total = len(tasks)
        with self.kb.writing():
            self.report.restored = rejudge_dropped(self.kb)
            jobs = [job for task in tasks if (job := self._precheck(task)) is not None]
            self._parse_and_store(jobs)
            if sync_roots is not None:
                self._sync(sync_roots, {t.source for t in tasks})
        return self.report

    def _finish(self, result: FileResult) -> None:
        self.report.active.pop(result.source, None)
        self.report.results.append(result)
        self.progress(self.report, result)

    def _precheck(self, task: FileTask) -> ParseJob | None:
        """Everything decided without parsing: missing, unreadable, too large, unchanged, known content."""
        if task.path is None:
            self._finish(FileResult(task.source, Status.FAILED, error=task.error))
            return None
        try:
            stat = task.path.stat()
            check_stat(stat, self.settings)
            if (doc_id := self.kb.unchanged_document(task.source, stat.st_size, stat.st_mtime_ns)) is not None:
                self.kb.tag(doc_id, self.tags)
                self._finish(FileResult(task.source, Status.SKIPPED, note="unchanged"))
                return None
            sha = sha256_file(task.path)
        except (OSError, FileIngestError) as exc:
            reason = f"unreadable: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
            reason = storable(reason)
            self.kb.record_failure(task.source, reason)
            self._finish(FileResult(task.source, Status.FAILED, error=reason))
            return None
        job = ParseJob(task.source, task.path, sha, stat.st_size, stat.st_mtime_ns)
        if self.kb.has_ready(doc_id_for(sha)):
            self._link(job)
            return None
        return job

    def _link(self, job: ParseJob) -> None:
        """Known content under this name (touched, or a copy): record the name, store nothing."""
        doc_id = doc_id_for(job.sha256)
        others = [p for p in self.kb.paths_of(doc_id) if p != job.source]
        self.kb.name_file(job.source, doc_id, job.size, job.mtime_ns, self.tags)
        note = f"same content as {others[0]}" if others else "unchanged content"
        self._finish(FileResult(job.source, Status.SKIPPED, note=note))

    def _parse_and_store(self, jobs: list[ParseJob]) -> None:
        first: dict[str, ParseJob] = {}
        copies: list[ParseJob] = []  # same content twice in one run: parse once, link the others after
        for job in jobs:
            if job.sha256 in first:
                copies.append(job)
            else:
                first[job.sha256] = job
        unique = list(first.values())
        for parsed in self._parsed(unique):
            self._store(parsed)
        for job in copies:
            if self.kb.has_ready(doc_id_for(job.sha256)):
                self._link(job)
            else:
                self._fail(job, "failed with the same content as " + first[job.sha256].source)

    def _parsed(self, jobs: list[ParseJob]) -> Iterator[Parsed]:
        """Parse in worker processes, a bounded window ahead of the embedding, so memory stays flat. A worker
        that dies (over `ingest.max_parse_mb` in C code, a crash in a parser) breaks its pool: the files it was
        parsing are parsed again one by one, each in a pool of its own, so only the one that kills its process
        fails; the others go on in a new pool."""
        workers = worker_count(self.settings)
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield parse_file(job, self.settings, self._page_read)
            return
        context = multiprocessing.get_context("spawn")  # the parent holds model threads: fork is unsafe
        pages_read, gate = context.Queue(), context.Event()
        gate.set()
        pause = gate.clear if not self.settings.parse_while_embedding else lambda: None
        ocr_threads = max(1, (os.cpu_count() or 1) // workers)
        init_args = (pages_read, gate, ocr_threads, os.getpid(), self.settings.max_parse_mb)

        def pool(size: int) -> ProcessPoolExecutor:
            return ProcessPoolExecutor(size, mp_context=context, initializer=init_worker, initargs=init_args)

        def hand_over() -> None:
            self._drain(pages_read)
            pause()  # the document is embedded next: the workers wait at their next page

        rest = jobs
        while rest:
            with pool(workers) as parsers:
                try:
                    tick = functools.partial(self._drain, pages_read)
                    lost, rest = yield from _windowed(
                        parsers, rest, self.settings, 2 * workers, tick, gate.set, hand_over
                    )
                finally:
                    gate.set()  # paused workers would never finish, and the pool's exit waits for them
            for job in lost:
                with pool(1) as alone:
                    parsed = _result(alone.submit(parse_file, job, self.settings), job)
                self._drain(pages_read)
                yield parsed

    def _page_read(self, kind: str, source: str) -> None:
        if kind == "ocr":
            self.report.pages_ocr += 1
        else:
            self.report.pages_read += 1
        self.report.file(source).pages_read += 1
        self.progress(self.report, None)

    def _drain(self, queue: Any) -> None:
        with contextlib.suppress(queue_module.Empty):
            while True:
                self._page_read(*queue.get_nowait())

    def _store(self, parsed: Parsed) -> None:
        job = parsed.job
        if parsed.error:
            return self._fail(job, parsed.error)
        doc_id = doc_id_for(job.sha256)
        try:
            self.kb.begin_document(doc_id, job.sha256, len(parsed.chunks), parsed.pages, replacing=job.source)
            self.kb.index_ahead(parsed.chunks)  # searchable by keywords now, by vectors batch by batch
            self._embedding(job.source, len(parsed.chunks))
            done = functools.partial(self._chunks_done, job.source)
            stored = store_chunks(self.kb, parsed.chunks, self.batch_size, self.settings, done)
            self.kb.finish_document(doc_id, stored, job.source, job.size, job.mtime_ns, self.tags)
        except (StorageError, sqlite3.Error, OSError) as exc:
            cause = "disk full, a quota or a file size limit" if storage_full(exc) else "the store refused a write"
            raise StorageError(
                f"could not write to the data dir while storing {job.source} ({cause}: {str(exc)[:200]}); the"
                " documents before it are stored, this one is undone at the next run: free space and run again"
            ) from exc
        self.report.pages += parsed.pages
        note = f"{len(parsed.chunks) - stored} near-duplicate chunks not stored" if stored < len(parsed.chunks) else ""
        self._finish(FileResult(job.source, Status.INGESTED, chunks=stored, pages=parsed.pages, note=note))

    def _embedding(self, source: str, chunks: int) -> None:
        """`source` is searchable by keywords from now, and its `chunks` are embedded next: its row says so."""
        progress = self.report.file(source)
        progress.chunks_total, progress.embedding_since = chunks, time.monotonic()
        self.progress(self.report, None)

    def _chunks_done(self, source: str, n: int) -> None:
        self.report.chunks += n
        self.report.file(source).chunks_done += n
        self.progress(self.report, None)

    def _fail(self, job: ParseJob, error: str) -> None:
        error = storable(error)  # a parser's message may quote the file's real, undecodable path
        self.kb.record_failure(job.source, error, job.size)
        self._finish(FileResult(job.source, Status.FAILED, error=error))

    def _sync(self, roots: list[str], seen: set[str]) -> None:
        """Files the manifest knows under the given folders that are gone from disk are removed."""
        prefixes = [r.rstrip("/\\") + os.sep for r in roots]
        for entry in self.kb.files():
            under = entry.path in roots or entry.path.startswith(tuple(prefixes))
            if under and entry.path not in seen and not Path(entry.path).exists():
                self.kb.forget_file(entry.path)
                self._finish(FileResult(entry.path, Status.REMOVED, chunks=entry.chunks))


Lost = tuple[list[ParseJob], list[ParseJob]]  # (files whose parser died with its pool, files not yet sent)
_DIED = "the parser process died (over ingest.max_parse_mb of memory, or a crash in the parser)"


def _windowed(
    pool: Executor,
    jobs: list[ParseJob],
    settings: IngestSettings,
    window: int,
    tick: Callable[[], None],
    resume: Callable[[], None],
    hand_over: Callable[[], None],
) -> Generator[Parsed, None, Lost]:
    """Results as they complete, at most `window` files parsed ahead; `tick` runs while waiting, `hand_over`
    before each result is yielded (the caller may pause the parsing while it uses one), and `resume` lets the
    parsing go on whenever no result is ready. When a worker dies the pool is broken: returns the files that
    were in it and those not yet sent."""
    pending: dict[Future[Parsed], ParseJob] = {}
    queue = list(reversed(jobs))
    while queue and len(pending) < window:
        job = queue.pop()
        pending[pool.submit(parse_file, job, settings)] = job
    while pending:
        done, _ = wait(pending, timeout=0, return_when=FIRST_COMPLETED)
        while not done:
            resume()
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            tick()
        finished = {future: pending.pop(future) for future in done}
        if any(isinstance(future.exception(), BrokenProcessPool) for future in finished):
            ok = [f for f in finished if f.exception() is None]
            for future in ok:
                hand_over()
                yield future.result()
            lost = [job for f, job in finished.items() if f not in ok] + list(pending.values())
            return lost, list(reversed(queue))
        for future in finished:
            if queue:
                job = queue.pop()
                try:
                    pending[pool.submit(parse_file, job, settings)] = job
                except BrokenProcessPool:
                    queue.append(job)
            hand_over()
            yield future.result()
    return [], list(reversed(queue))  # not empty only when the pool broke as a file was sent


def _result(future: Future[Parsed], job: ParseJob) -> Parsed:
    try:
        return future.result()
    except BrokenProcessPool:
        return Parsed(job, error=_DIED)


def ingest_files(
    kb: KnowledgeBase,
    files: Iterable[FileTask],
    settings: IngestSettings,
    batch_size: int,
    progress: Progress | None = None,
    sync_roots: list[str] | None = None,
    tags: Sequence[str] = (),
) -> IngestReport:
    """Ingest every file it can; one bad file is recorded as failed and never stops the others."""
    return Ingestion(kb, settings, batch_size, progress, tags).run(list(files), sync_roots)


def ingest_paths(
    kb: KnowledgeBase,
    paths: Iterable[str],
    settings: IngestSettings,
    batch_size: int,
    progress: Progress | None = None,
    tags: Sequence[str] = (),
) -> IngestReport:
    return ingest_files(kb, discover(paths, settings.extensions), settings, batch_size, progress, tags=tags)
