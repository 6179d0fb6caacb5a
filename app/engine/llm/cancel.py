"""Stopping an answer nobody waits for any more (issue 19, item 4).

Whoever runs an answer for a client that may go away (the web layer's relay) runs it under `cancellable(stop)`
and sets `stop` when the client is gone. The model's queue (`FairLock`) then gives up waiting for its turn
instead of reading a prompt for nobody; the relay closes the answer's generator, whose `finally` and `with`
blocks release the model at once. Outside `cancellable` nothing is ever cancelled (the CLI, the tests).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_STOP: ContextVar[threading.Event | None] = ContextVar("zhiku_answer_stop", default=None)


class Cancelled(Exception):
    """The client of this answer went away: the work stopped, there is nobody to tell."""


@contextmanager
def cancellable(stop: threading.Event) -> Iterator[None]:
    """Work done in this thread (and generators advanced from it) may be cancelled by setting `stop`."""
    token = _STOP.set(stop)
    try:
        yield
    finally:
        _STOP.reset(token)


def stop_signal() -> threading.Event | None:
    """The current work's stop signal; None where nothing can cancel it."""
    return _STOP.get()
