"""First come, first served access to a model that serves one answer at a time."""

from __future__ import annotations

import threading
from collections import deque

from app.engine.llm.cancel import Cancelled, stop_signal

CANCEL_POLL_S = 0.1  # how soon a waiting answer whose client went away leaves the queue


class FairLock:
    """With a plain `threading.Lock` the thread that just released it may take it again at once, so one busy
    client could starve the others; here requests take turns in arrival order. A request waiting under
    `cancel.cancellable` leaves the queue when its client goes (`Cancelled`) instead of taking its turn."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def __enter__(self) -> FairLock:
        ticket, stop = object(), stop_signal()
        with self._turn:
            self._waiting.append(ticket)
            try:
                while self._held or self._waiting[0] is not ticket:
                    if stop is not None and stop.is_set():
                        raise Cancelled("the client went away while waiting for the model")
                    self._turn.wait(CANCEL_POLL_S if stop is not None else None)
            except BaseException:
                self._waiting.remove(ticket)
                self._turn.notify_all()  # the next in line may be first now
                raise
            self._waiting.popleft()
            self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()
