"""First come, first served access to a model that serves one answer at a time."""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """With a plain `threading.Lock` the thread that just released it may take it again at once, so one busy
    client could starve the others; here requests take turns in arrival order."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def __enter__(self) -> FairLock:
        ticket = object()
        with self._turn:
            self._waiting.append(ticket)
            self._turn.wait_for(lambda: not self._held and self._waiting[0] is ticket)
            self._waiting.popleft()
            self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()
