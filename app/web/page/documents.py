"""The documents panel: upload with per-file progress, the table of documents, delete and re-ingest."""

from __future__ import annotations

import html
import logging
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from app.web.page.context import PageContext, plain_error
from app.web.page.sources import locate
from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.kb.manifest import FileStatus
from ingest.pipeline import ingest_files
from ingest.report import FileTask, IngestReport, Status
from ingest.uploads import delete_with_copies, stage_uploads, upload_folder

log = logging.getLogger(__name__)
Listed = tuple[list[list[Any]], gr.Dropdown, gr.Dropdown]


def page_caches() -> list[Path]:
    """Where Gradio keeps the files uploaded through the page (`GRADIO_TEMP_DIR`, else the temp dir's `gradio`):
    a deleted document's copies there go too (`ingest.uploads.remove_copies`)."""
    from gradio.utils import get_upload_folder

    return [Path(get_upload_folder())]


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

    def _ingest(self, tasks: list[FileTask], knowledge_base: KnowledgeBase) -> Iterator[str]:
        """Runs the ingestion in a thread and yields the per-file table whenever a file finishes (and at most
        twice a second in between, for the page and chunk counts)."""
        events: queue.Queue[IngestReport | None] = queue.Queue()
        outcome: dict[str, Any] = {}
        settings = self.ctx.settings

        def run() -> None:
            try:
                outcome["report"] = ingest_files(
                    knowledge_base, tasks, settings.ingest, settings.embedding.batch_size,
                    lambda report, result: events.put(report),
                )  # fmt: skip
            except Exception as exc:  # shown in the page in words, never as a traceback
                if not isinstance(exc, ZhikuError):
                    log.exception("ingesting %d uploaded files failed", len(tasks))
                outcome["error"] = plain_error(exc)
            finally:
                events.put(None)

        threading.Thread(target=run, name="page-ingest", daemon=True).start()
        shown, report = 0.0, IngestReport(files_total=len(tasks))
        while (event := events.get()) is not None:
            finished = len(event.results) != len(report.results)
            report = event
            if finished or time.monotonic() - shown > 0.5:
                shown = time.monotonic()
                yield self._file_rows(tasks, report, done=False)
        if "error" in outcome:
            yield self.ctx.error(outcome["error"])
            return
        yield self._file_rows(tasks, outcome["report"], done=True)

    def _file_rows(self, tasks: list[FileTask], report: IngestReport, done: bool) -> str:
        L = self.ctx.labels
        results = {r.source: r for r in report.results}
        lines = [] if done else [L["upload_progress"].format(
            done=len(results), total=len(tasks), pages=report.pages_read, chunks=report.chunks
        ) + "\n"]  # fmt: skip
        for task in tasks:
            result = results.get(task.source)
            if result is None:
                lines.append(f"- {html.escape(task.source)} — {L['waiting']}")
                continue
            detail = f": {result.error}" if result.error else f" ({result.pages} p., {result.chunks} chunks)"
            detail = f": {result.note}" if result.status == Status.SKIPPED and result.note else detail
            lines.append(f"- {html.escape(result.source)} — {L[result.status]}{html.escape(detail)}")
        return "\n".join(lines)

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
            *_, status = self._ingest([FileTask(path, found)], knowledge_base)
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
