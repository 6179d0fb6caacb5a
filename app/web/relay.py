"""Answers for clients that may go away (issue 19, item 4).

The engine answers in a generator that holds the one in-process model between tokens. Driven straight from a
route, a client that hangs up left it suspended, or running on for nobody, until the garbage collector found
it: the next question waited minutes for the model. Here every answer runs in a thread of its own, which pulls
its events, hands them to the request, and watches for the request to end: when the client disconnects (the
stream is cancelled, or `request.is_disconnected()` says so) the thread stops after the current event and closes
the engine's generator itself, in the thread that ran it, so its `finally` blocks release the model at once. An
answer still waiting for its turn at the model leaves the queue (`app/engine/llm/cancel.py`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.engine.llm.cancel import Cancelled, cancellable

T = TypeVar("T")
POLL_S = 0.25  # how often a waiting answer asks whether its client is still there
_END = object()


class ClientGone(HTTPException):
    """The client disconnected before its answer was done: the work stopped; the 499 (nginx's "client closed
    request") goes nowhere, but says so in the server's log."""

    def __init__(self) -> None:
        super().__init__(499, "the client closed the request before the answer was done")


async def relay(events: Iterator[T], gone: Callable[[], Awaitable[bool]] | None = None) -> AsyncGenerator[T, None]:
    """`events`, advanced in a thread of its own. `gone`: the request's `is_disconnected`, asked every POLL_S
    (a stream is also cancelled by Starlette when its client goes). However this generator ends (done,
    cancelled, closed, or the client gone), the thread stops and `events` is closed."""
    loop = asyncio.get_running_loop()
    handed: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    stop = threading.Event()

    def hand(ok: bool, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(handed.put_nowait, (ok, value))
        except RuntimeError:  # the event loop has closed: the server is stopping
            stop.set()

    def pump() -> None:
        try:
            with cancellable(stop):
                for event in events:
                    if stop.is_set():
                        break
                    hand(True, event)
        except Cancelled:
            pass
        except BaseException as exc:  # the request raises it (a 404, a ZhikuError in the stream)
            hand(False, exc)
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()  # here, in the thread that ran it: the engine's finally blocks release the model
            hand(True, _END)

    threading.Thread(target=pump, name="answer", daemon=True).start()
    asked = time.monotonic()
    try:
        while True:
            if gone is not None and time.monotonic() - asked >= POLL_S:
                asked = time.monotonic()
                if await gone():
                    raise ClientGone()
            try:
                ok, value = await asyncio.wait_for(handed.get(), POLL_S)
            except TimeoutError:
                continue
            if value is _END:
                return
            if not ok:
                raise value
            yield value
    finally:
        stop.set()


async def last(events: AsyncGenerator[T, None]) -> T:
    """The last event (the finished answer); ClientGone when the client went away first."""
    found: list[T] = []
    try:
        async for event in events:
            found[:] = [event]
    finally:
        await events.aclose()
    if not found:
        raise ClientGone()
    return found[0]


class ClosingStreamingResponse(StreamingResponse):
    """A streamed response whose content is closed whenever the response ends, the client's disconnect
    included (Starlette leaves an abandoned async generator to the garbage collector)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()
