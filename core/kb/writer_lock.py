"""One writer per knowledge base at a time, whichever thread or process it is in (an upload, a delete, a CLI
ingestion): `flock` on the knowledge base's lock file. A lock belongs to an open file, so two threads of one
process exclude each other as two processes do, and the kernel releases a killed writer's. Another writer waits
its turn, trying again every _POLL_S (issue 19, found by bench/soak.py: before, it failed at once, and four
clients uploading together got 400s)."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import BusyError

_POLL_S = 0.05


@contextmanager
def writer_lock(path: Path, kb: str, wait_s: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Held for the block; waits up to `wait_s` (0: not at all) then raises BusyError. `on_wait` is called once
    when the lock is not free at first (the CLI says it is waiting rather than seem to hang)."""
    with path.open("w") as lock:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    said = f"another ingestion into knowledge base {kb!r} is running"
                    if wait_s:
                        said += f" (waited {wait_s:g} s, ingest.writer_wait_s): try again when it is done"
                    raise BusyError(said) from None
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                time.sleep(_POLL_S)
        yield
