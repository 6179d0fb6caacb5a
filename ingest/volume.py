"""How much one file may cost to parse: characters, chunks, seconds, memory (issue 19, item 7).

A 50 MB one-line text file was 154,203 chunks, a minute of splitting at 1 GB, then hours of embedding with the
knowledge base's writer lock held. Each limit (`ingest.max_chars`, `max_chunks`, `max_parse_s`, `max_parse_mb`)
is checked as early as what it counts is known, and a file over one fails alone with a message naming it:

- characters: plain text by its size before it is read (a character takes at most 4 bytes), every file after
  each PDF page and once its text is extracted, before it is split;
- chunks: after splitting, before anything is embedded;
- seconds: a timer (SIGALRM, where parsing runs on a process's main thread: the worker processes and the CLI)
  interrupts the parser wherever it is (once a call into C returns); elsewhere (an upload parsed on a server
  thread) the clock is read after each page and each step;
- memory: the parse worker processes run under an address-space limit for data (RLIMIT_DATA); a parser that
  passes it gets MemoryError, or its process dies and the pipeline reports that file and goes on.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from core.settings import IngestSettings
from ingest.errors import FileIngestError

PLAIN_TEXT = (".txt", ".md", ".markdown")  # formats whose text is their bytes, decoded
BYTES_PER_CHAR = 4  # the most UTF-8 (or any supported encoding) spends on one character


class OverLimit(BaseException):
    """A file passed one of its volume limits. A BaseException, like KeyboardInterrupt, so that the loaders'
    own `except Exception` guards (one bad PDF page must not lose the document) cannot swallow it."""


class Budget:
    """One file's parse: the characters read so far, and the seconds spent parsing it. Time spent waiting for
    the main process to let parsing go on (`ingest.parse_while_embedding: false`) is not parsing, so it is not
    counted: `paused` stops the clock and the timer."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self.chars = 0
        self.pages = 0
        self._spent = 0.0  # seconds of parsing before the current stretch
        self._since: float | None = None  # when the current stretch began; None while paused or done
        self._timer = threading.current_thread() is threading.main_thread()  # signals reach the main thread only

    def page(self, chars: int) -> None:
        """After each page a loader reads (`ingest.loaders.progress.page_done`)."""
        self.pages += 1
        self.chars += chars
        if self.chars > self.settings.max_chars:
            raise OverLimit(
                f"too much text: over ingest.max_chars ({self.settings.max_chars:,} characters) by page {self.pages:,}"
            )
        self.check_time()

    def check_chars(self, chars: int) -> None:
        if chars > self.settings.max_chars:
            raise OverLimit(f"too much text: {chars:,} characters > ingest.max_chars ({self.settings.max_chars:,})")
        self.check_time()

    def check_chunks(self, chunks: int) -> None:
        if chunks > self.settings.max_chunks:
            raise OverLimit(f"too many chunks: {chunks:,} > ingest.max_chunks ({self.settings.max_chunks:,})")
        self.check_time()

    def check_time(self) -> None:
        if self.seconds() > self.settings.max_parse_s:
            raise OverLimit(self._too_slow())

    def seconds(self) -> float:
        return self._spent + (time.monotonic() - self._since if self._since is not None else 0.0)

    @contextmanager
    def running(self) -> Iterator[Budget]:
        """The parse: on the main thread a timer interrupts it when its time is up, wherever it is."""
        previous = signal.getsignal(signal.SIGALRM)
        if self._timer:
            signal.signal(signal.SIGALRM, self._expire)
        try:
            self._start()
            yield self
        finally:
            self._stop()
            if self._timer:
                signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Waiting for our turn: neither the clock nor the timer runs."""
        if self._since is None:
            yield
            return
        self._stop()
        try:
            yield
        finally:
            self._start()

    def _start(self) -> None:
        self._since = time.monotonic()
        left = self.settings.max_parse_s - self._spent
        if left <= 0:
            raise OverLimit(self._too_slow())
        if self._timer:
            signal.setitimer(signal.ITIMER_REAL, left)

    def _stop(self) -> None:
        if self._timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self._since is not None:
            self._spent += time.monotonic() - self._since
            self._since = None

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        raise OverLimit(self._too_slow())

    def _too_slow(self) -> str:
        return f"parsing took longer than ingest.max_parse_s ({self.settings.max_parse_s:g} s)"


def check_plain_text_size(suffix: str, size: int, settings: IngestSettings) -> None:
    """A plain text file holds at least size / 4 characters: one that must be over the limit is not read."""
    if suffix in PLAIN_TEXT and size > BYTES_PER_CHAR * settings.max_chars:
        raise FileIngestError(
            f"too much text: {size:,} bytes of plain text hold more than ingest.max_chars "
            f"({settings.max_chars:,} characters)"
        )
