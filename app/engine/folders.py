"""The folders the service keeps in step (`ingest.watch`): each watched in a thread of the service, writing through
the knowledge base the service answers from (`Workspace.get`), so the page and the API see each pass at once,
and through the same writer lock as an upload or a CLI ingestion (`docs/decisions/processes.md`)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from app.engine.workspace import Workspace
from core.errors import ZhikuError
from core.kb.catalog import kb_info
from core.settings import Settings
from ingest.watch import FolderWatch, check_folders

log = logging.getLogger(__name__)


class FolderWatches:
    """One `FolderWatch` per (knowledge base, polling interval, tags): folders that share them share a pass."""

    def __init__(self, settings: Settings, workspace: Workspace) -> None:
        self.settings = settings
        self.workspace = workspace
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """A folder that does not exist, or a knowledge base that cannot be opened, is reported and left out;
        the service starts anyway."""
        groups: dict[tuple[str, float, tuple[str, ...]], list[str]] = defaultdict(list)
        for folder in self.settings.ingest.watch:
            if problems := check_folders([folder.dir]):
                _say(f"ingest.watch: {problems[0]}, not watched")
                continue
            groups[(folder.kb or self.settings.kb, folder.poll_s, tuple(folder.tags))].append(folder.dir)
        for (kb, poll_s, tags), dirs in groups.items():
            try:
                info = kb_info(self.settings.dirs, kb)  # the configuration is the admin's: a private one's owner writes
                service = self.workspace.get(kb, info.owner if info else None)
            except ZhikuError as exc:
                _say(f"ingest.watch: knowledge base '{kb}' not watched: {exc}")
                continue
            watch = FolderWatch(
                service.kb, dirs, self.settings.ingest, self.settings.embedding.batch_size, poll_s=poll_s, tags=tags,
                excluded=[self.settings.data_dir], say=_say,
            )  # fmt: skip
            thread = threading.Thread(target=_run, args=(watch, self._stop), name=f"watch-{kb}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 60.0) -> None:
        """Each watch stops after the file it is storing; one that takes longer is left to the process's exit
        (a kill at any moment leaves a consistent knowledge base)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)


def _run(watch: FolderWatch, stop: threading.Event) -> None:
    try:
        watch.run(stop)
    except ZhikuError as exc:  # the folders cannot be watched: said once, the service goes on
        _say(str(exc))


def _say(line: str) -> None:
    print(f"watch: {line}", flush=True)
