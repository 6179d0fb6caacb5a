"""Passwords given on the page for encrypted PDFs, kept in this process's memory only, by the stored file's path.

A password typed on the page opens its file for that ingestion, and afterwards for the viewer, which renders a
cited page from the PDF itself: it is never written to the config, the manifest, a log or the disk. After a restart
the viewer shows the passage's text instead of the page image (docs/decisions/chat-page.md).
"""

from __future__ import annotations

import threading
from pathlib import Path


class Unlocked:
    """The passwords that opened stored uploads, for as long as the process lives (or the document is deleted)."""

    def __init__(self) -> None:
        self._by_path: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember(self, path: Path, password: str) -> None:
        with self._lock:
            self._by_path[_key(path)] = password

    def password(self, path: Path) -> str | None:
        with self._lock:
            return self._by_path.get(_key(path))

    def forget(self, path: Path) -> None:
        with self._lock:
            self._by_path.pop(_key(path), None)


def _key(path: Path) -> str:
    return str(path.resolve())


UNLOCKED = Unlocked()
"""One per process: the Chinese and the English page (each a page of its own) open the same files."""
