"""Folders kept in step with a knowledge base (issue 20, item 5): `python -m ingest watch DIR...`, and the
folders `serve` watches (`ingest.watch`, app/engine/folders.py).

Nothing here decides what to store: each pass is an ordinary ingestion (`ingest_files`: the manifest, the writer
lock, crash safety) over what changed, with what went as `--sync` roots (`ingest/changes.py`). So:

- a file added or changed is read as `ingest FILE` reads it; a file only touched is hashed, not parsed;
- a file moved or renamed is known content under a new name: the pass records the new name before it removes
  the old one (`Ingestion.run` links, then syncs), and a document that keeps a name only has its chunks' cited
  name rewritten (`KnowledgeBase.release`): nothing is parsed or embedded again;
- a deleted file or folder is a sync root: its names, and every name under it, go;
- at start, one pass over every watched folder, as `ingest DIR --sync`: after a restart, or changes made while
  nothing watched, the manifest skips what is unchanged, so only what changed is done.

A pass another writer keeps from the knowledge base (an upload, a CLI ingestion), or that a full disk stops, is
tried again with what came since; a bad file fails on its own line, as in any ingestion, and the watch goes on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.settings import IngestSettings
from ingest.changes import Batcher, Plan, Root, holds, plan
from ingest.names import terminal_safe
from ingest.pipeline import discover, ingest_files
from ingest.report import FileResult, IngestReport, Status

RETRY_S = 10.0  # a refused pass is tried again after this
Say = Callable[[str], None]


class WatchStopped(Exception):
    """Raised between two files of a pass when the watch is asked to stop: what is stored stays stored."""


class FolderWatch:
    """Folders watched for one knowledge base; `run` returns when `stop` is set (SIGINT/SIGTERM, the service
    shutting down), after the file being stored, if any."""

    def __init__(
        self,
        kb: KnowledgeBase,
        folders: Sequence[str],
        settings: IngestSettings,
        batch_size: int,
        *,
        poll_s: float = 0.0,
        tags: Sequence[str] = (),
        excluded: Sequence[Path] = (),
        say: Say = print,
    ) -> None:
        self.kb = kb
        self.roots = [Root.of(f) for f in folders]
        self.settings = settings
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.tags = list(tags)
        self.excluded = [os.path.abspath(p) for p in excluded]
        self.say = say
        self.passes = 0
        self._stop = threading.Event()
        self._known: set[str] = set()  # the names stored before the pass that runs, to tell a new name apart

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        quiet_s = self.settings.watch_debounce_ms / 1000
        batcher = Batcher(quiet_s, self.settings.watch_max_wait_s)
        batcher.rescan_all()
        tick_ms = int(min(max(quiet_s / 2, 0.05), 0.5) * 1000)  # how often the loop looks at the clock and `stop`
        how = f"polling every {self.poll_s:g} s" if self.poll_s else "events"
        shown = ", ".join(terminal_safe(r.given) for r in self.roots)
        self.say(f"watching {shown} into knowledge base '{self.kb.name}' ({how}); Ctrl-C to stop")
        changes = watch(
            *(r.absolute for r in self.roots), watch_filter=self._wanted, debounce=max(tick_ms, 50), step=50,
            stop_event=stop, rust_timeout=tick_ms, yield_on_timeout=True, raise_interrupt=False,
            force_polling=self.poll_s > 0, poll_delay_ms=int(self.poll_s * 1000) or 300,
            ignore_permission_denied=True,
        )  # fmt: skip
        try:
            for found in changes:  # the watcher runs from the first: changes during the first pass are kept
                batcher.add(found)
                if batcher.due() and not stop.is_set():
                    self._apply(batcher)
                if stop.is_set():
                    break
        except WatchStopped:
            pass
        except (OSError, RuntimeError) as exc:  # the watcher itself: inotify's watch limit, a folder unreadable
            hint = "--poll SECONDS, or poll_s in ingest.watch, needs no events"
            raise ZhikuError(f"cannot watch {shown}: {exc} ({hint})") from exc
        finally:
            changes.close()
        self.say(f"stopped after {self.passes} passes")

    def _wanted(self, change: Change, path: str) -> bool:
        """watchfiles' filter: editors' swap files, VCS and cache folders (its DefaultFilter) and the data dir
        are ignored; the rest is judged by `plan` when the pass runs."""
        if any(path == e or path.startswith(e + os.sep) for e in self.excluded):
            return False
        return _DEFAULT_FILTER(change, path)

    def _apply(self, batcher: Batcher) -> None:
        batch = batcher.take()
        self._known = {e.path for e in self.kb.files()}
        work = plan(batch, self.roots, self.settings.extensions, holds(self._known), self.excluded)
        if not work:
            return
        self.passes += 1
        what = "every watched folder" if batch.rescan else f"{work.changes} changes"
        try:
            report = self._ingest(work)
        except WatchStopped:
            self.say(f"pass {self.passes} ({what}) stopped; the next start's pass does the rest")
            raise
        except ZhikuError as exc:  # another writer, a full disk: the changes wait, nothing is lost
            self.say(f"pass {self.passes} ({what}) postponed {RETRY_S:g} s: {terminal_safe(str(exc))}")
            batcher.put_back(batch, RETRY_S)
            return
        except Exception as exc:  # a watch is a service: it reports, waits and tries again
            self.say(f"pass {self.passes} ({what}) failed, tried again in {RETRY_S:g} s: {type(exc).__name__}: {exc}")
            batcher.put_back(batch, RETRY_S)
            return
        self.say(f"pass {self.passes} ({what}): {summary(report, self._known)}")

    def _ingest(self, work: Plan) -> IngestReport:
        tasks = list({t.source: t for t in discover(work.read, self.settings.extensions)}.values())
        gone = list(work.gone) or None
        return ingest_files(self.kb, tasks, self.settings, self.batch_size, self._progress, gone, self.tags)

    def _progress(self, report: IngestReport, result: FileResult | None) -> None:
        if result is None:
            return
        if line := result_line(result, self._known):
            self.say(line)
        if self._stop.is_set():
            raise WatchStopped


_DEFAULT_FILTER = DefaultFilter()


def result_line(result: FileResult, known: set[str]) -> str:
    """One line per file that changed the knowledge base; files found unchanged are only counted."""
    name = terminal_safe(result.source)
    if result.status == Status.INGESTED:
        return f"ingested {name} ({result.chunks} chunks)"
    if result.status == Status.FAILED:
        return f"FAILED {name}: {terminal_safe(result.error)}"
    if result.status == Status.REMOVED:
        return f"removed {name}"
    if result.source not in known:  # a new name for stored content: moved, renamed or copied
        return f"named {name}: {terminal_safe(result.note)}, not embedded again"
    return ""


def summary(report: IngestReport, known: set[str]) -> str:
    counts = {s: len(report.by_status(s)) for s in Status}
    named = sum(1 for r in report.by_status(Status.SKIPPED) if r.source not in known)
    return (
        f"{counts[Status.INGESTED]} ingested, {named} new names of stored content, "
        f"{counts[Status.SKIPPED] - named} unchanged, {counts[Status.FAILED]} failed, {counts[Status.REMOVED]} "
        f"removed; {report.chunks} chunks embedded; {report.seconds:.1f} s"
    )


def check_folders(folders: Sequence[str]) -> list[str]:
    """Why each folder cannot be watched; empty when all can."""
    problems = []
    for folder in folders:
        if not os.path.isdir(folder):
            problems.append(f"not a folder: {terminal_safe(folder)}")
    return problems
