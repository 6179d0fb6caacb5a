"""The documents panel: upload with per-file progress, the table of documents, delete and re-ingest."""

from __future__ import annotations

import glob
import html
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from app.web.page.context import PageContext, plain_error
from app.web.page.sources import locate
from app.web.page.unlocked import UNLOCKED
from app.web.page.upload_rows import file_row
from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.kb.manifest import FileStatus
from core.settings import IngestSettings
from ingest.pipeline import ingest_files
from ingest.reasons import PASSWORD_KINDS, reason_of
from ingest.report import FileProgress, FileResult, FileTask, IngestReport
from ingest.uploads import delete_with_copies, stage_uploads, upload_folder

log = logging.getLogger(__name__)
Listed = tuple[list[list[Any]], gr.Dropdown, gr.Dropdown]


def page_caches() -> list[Path]:
    """Where Gradio keeps the files uploaded through the page (`GRADIO_TEMP_DIR`, else the temp dir's `gradio`):
    a deleted document's copies there go too (`ingest.uploads.remove_copies`)."""
    from gradio.utils import get_upload_folder

    return [Path(get_upload_folder())]


@dataclass(frozen=True)
class Snapshot:
    """The report's figures at one moment, copied in the ingesting thread: the page renders them in another while
    the report goes on changing."""

    results: list[FileResult]
    active: dict[str, FileProgress]
    pages_read: int
    chunks: int

    @classmethod
    def of(cls, report: IngestReport) -> Snapshot:
        active = {source: replace(progress) for source, progress in report.active.items()}
        return cls(list(report.results), active, report.pages_read, report.chunks)

    @property
    def stages(self) -> tuple[int, tuple[tuple[str, bool, int], ...]]:
        """What makes a new row worth showing at once: a file finished, started embedding, or a batch done."""
        return len(self.results), tuple((s, p.embedding, p.chunks_done) for s, p in self.active.items())


def _size_and_mtime(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


class Documents:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def upload_folder(self, knowledge_base: KnowledgeBase) -> Path:
        return upload_folder(self.ctx.settings.dirs, knowledge_base.name)

    def upload(self, files: list[str] | None, kb: str, request: gr.Request | None = None) -> Iterator[tuple[Any, ...]]:
        """Uploads go through the same pipeline as `python -m ingest`; each file's row shows its progress and
        result as it comes (ingested, skipped, failed and why)."""
        try:
            knowledge_base = self.ctx.kb(kb, request)
        except ZhikuError as exc:
            yield self.ctx.error(str(exc)), *(gr.skip(),) * 3
            return
        count, most = len(files or []), self.ctx.settings.api.max_upload_files
        if count > most:  # before anything is staged or read
            yield self.ctx.error(self.ctx.labels["too_many_files"].format(limit=most, count=count)), *(gr.skip(),) * 3
            return
        uploaded = [(Path(tmp).name, Path(tmp)) for tmp in files or []]
        max_mb = self.ctx.settings.ingest.max_file_mb
        tasks = stage_uploads(self.upload_folder(knowledge_base), uploaded, max_mb)
        unchanged = (gr.skip(),) * 3
        status = ""
        for status in self._ingest(tasks, knowledge_base):
            yield status, *unchanged
        yield status, *self.listed(knowledge_base)

    def _ingest(
        self, tasks: list[FileTask], knowledge_base: KnowledgeBase, ingest: IngestSettings | None = None
    ) -> Iterator[str]:
        """Runs the ingestion in a thread and yields the per-file rows whenever a file finishes or changes stage and
        after each embedded batch (so a file's percentage shows however fast the machine), and at most twice a
        second for pages read."""
        events: queue.Queue[Snapshot | None] = queue.Queue()
        outcome: dict[str, Any] = {}
        settings = self.ctx.settings

        def run() -> None:
            try:
                outcome["report"] = ingest_files(
                    knowledge_base, tasks, ingest or settings.ingest, settings.embedding.batch_size,
                    lambda report, result: events.put(Snapshot.of(report)),
                )  # fmt: skip
            except Exception as exc:  # shown in the page in words, never as a traceback
                if not isinstance(exc, ZhikuError):
                    log.exception("ingesting %d uploaded files failed", len(tasks))
                outcome["error"] = plain_error(exc)
            finally:
                events.put(None)

        threading.Thread(target=run, name="page-ingest", daemon=True).start()
        shown_at, shown = 0.0, Snapshot.of(IngestReport(files_total=len(tasks)))
        while (event := events.get()) is not None:
            if event.stages != shown.stages or time.monotonic() - shown_at > 0.5:
                shown_at, shown = time.monotonic(), event
                yield self._file_rows(tasks, event, done=False)
        if "error" in outcome:
            yield self.ctx.error(outcome["error"])
            return
        yield self._file_rows(tasks, Snapshot.of(outcome["report"]), done=True)

    def _file_rows(self, tasks: list[FileTask], snapshot: Snapshot, done: bool) -> str:
        L = self.ctx.labels
        results = {r.source: r for r in snapshot.results}
        lines = [] if done else [L["upload_progress"].format(
            done=len(results), total=len(tasks), pages=snapshot.pages_read, chunks=snapshot.chunks
        ) + "\n"]  # fmt: skip
        now = time.monotonic()
        for task in tasks:
            source = results[task.source].source if task.source in results else task.source
            lines.append(file_row(source, results.get(task.source), snapshot.active.get(task.source), L, now))
        return "\n".join(lines)

    def locked(self, kb: str, request: gr.Request | None = None) -> tuple[gr.Column, gr.Dropdown]:
        """The password box, shown while this knowledge base has uploads that failed for want of a (right)
        password, and offering those files."""
        try:
            names = list(self._locked(self.ctx.kb(kb, request)))
        except ZhikuError:
            names = []
        return gr.Column(visible=bool(names)), gr.Dropdown(choices=names, value=names[0] if names else None)

    def _locked(self, knowledge_base: KnowledgeBase) -> dict[str, Path]:
        """Uploads whose last try failed as encrypted or for a wrong password -> their stored copy. Only files in
        the upload folder, named exactly as the manifest has them: a name sent from the page is no path."""
        folder = self.upload_folder(knowledge_base).resolve()
        found = {}
        for entry in knowledge_base.files():
            if entry.status != FileStatus.FAILED or reason_of(entry.error).kind not in PASSWORD_KINDS:
                continue
            path = folder / entry.path
            if path.parent == folder and path.is_file():
                found[entry.path] = path
        return found

    def unlock(
        self, name: str | None, password: str, kb: str, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Ingests one encrypted upload again with the password typed for it. The password travels in this run's
        settings only (to the parser processes by pipe); kept in memory for the viewer once it opened the file."""
        L, limit = self.ctx.labels, self.ctx.settings.limits.pdf_password_chars
        try:
            knowledge_base = self.ctx.kb(kb, request)
        except ZhikuError as exc:
            yield self.ctx.error(str(exc)), *(gr.skip(),) * 3, ""
            return
        path = self._locked(knowledge_base).get(name or "")
        problem = L["not_locked"].format(name=name or "") if path is None else ""
        if len(password or "") > limit:  # the box stops there; a client of the API is held to it here
            problem = L["password_too_long"].format(limit=limit)
        if problem or path is None:
            yield self.ctx.error(problem), *(gr.skip(),) * 3, ""
            return
        status, ingest = "", self._with_password(path, password)
        for status in self._ingest([FileTask(name or "", path)], knowledge_base, ingest):
            yield status, *(gr.skip(),) * 3, ""  # the box is emptied at once: the password stays in no page
        if knowledge_base.unchanged_document(name or "", *_size_and_mtime(path)) is not None:  # stored whole now
            UNLOCKED.remember(path, password)
        yield status, *self.listed(knowledge_base), ""

    def _with_password(self, path: Path, password: str | None) -> IngestSettings:
        """The ingest settings with `password` for this one file (first: the first pattern that fits wins)."""
        ingest = self.ctx.settings.ingest
        if password is None:
            return ingest
        return ingest.model_copy(update={"passwords": {glob.escape(str(path)): password, **ingest.passwords}})

    def documents(self, kb: str, request: gr.Request | None = None) -> Listed:
        try:
            return self.listed(self.ctx.kb(kb, request))
        except ZhikuError:  # another user's private knowledge base: nothing to list
            return [], gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[], value=[])

    def listed(self, knowledge_base: KnowledgeBase) -> Listed:
        """The table of documents, and the same names offered to delete / re-ingest and to restrict questions."""
        files = [f for f in knowledge_base.files() if f.status == FileStatus.INGESTED]
        rows = [[f.path, f.pages, f.chunks, f.ingested_at[:16].replace("T", " ")] for f in files]
        names = [f.path for f in files]
        return rows, gr.Dropdown(choices=names, value=None), gr.Dropdown(choices=names, value=[])

    def delete(self, path: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        try:
            knowledge_base = self.ctx.kb(kb, request)
        except ZhikuError as exc:
            return self.ctx.error(str(exc)), *(gr.skip(),) * 3
        forgotten = self._forget(path, knowledge_base, with_copies=True) if path else ""
        if path and not forgotten:
            UNLOCKED.forget(self.upload_folder(knowledge_base) / path)
        status = (forgotten or self.ctx.labels["deleted"].format(name=html.escape(path))) if path else ""
        return (status, *self.listed(knowledge_base))

    def reingest(self, path: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Read the file again from where it was ingested, even if unchanged (a new parser, new settings)."""
        try:
            knowledge_base = self.ctx.kb(kb, request)
        except ZhikuError as exc:
            return self.ctx.error(str(exc)), *(gr.skip(),) * 3
        if not path:
            return ("", *self.listed(knowledge_base))
        found = locate(path, [self.upload_folder(knowledge_base)])
        status = self.ctx.error(f"{path}: file not found") if found is None else self._forget(path, knowledge_base)
        if not status and found is not None:
            ingest = self._with_password(found, UNLOCKED.password(found))  # a PDF unlocked on the page
            *_, status = self._ingest([FileTask(path, found)], knowledge_base, ingest)
        return (status, *self.listed(knowledge_base))

    def _forget(self, path: str, knowledge_base: KnowledgeBase, with_copies: bool = False) -> str:
        """`python -m ingest delete` for one name: "" when done, else the error. `with_copies`: a deletion, so its
        stored upload and the page's cached copies go too; a re-ingest keeps the file to read it again."""
        try:
            if with_copies:
                delete_with_copies(knowledge_base, [path], self.ctx.settings.dirs, page_caches())
            else:
                knowledge_base.delete([path])
        except ZhikuError as exc:
            return self.ctx.error(str(exc))
        return ""
