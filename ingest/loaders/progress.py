"""Page-by-page progress out of a loader, so a 1,000-page manual never looks stuck.

Loaders keep their simple signature (path, settings); the parse step sets a hook for the file it is
reading (one file at a time per process), and the PDF loader calls `page_done` after each page, with the
number of characters it read: the parse step counts them against `ingest.max_chars` (`ingest/volume.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

PageHook = Callable[[str, int], None]  # called with "text" or "ocr", and the page's characters
_hook: PageHook | None = None


def page_done(kind: str = "text", chars: int = 0) -> None:
    if _hook is not None:
        _hook(kind, chars)


@contextmanager
def page_progress(hook: PageHook | None) -> Iterator[None]:
    global _hook
    previous, _hook = _hook, hook
    try:
        yield
    finally:
        _hook = previous
