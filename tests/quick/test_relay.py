"""The web layer's relay between an answer and a client that may go away (issue 19, item 4): real threads and a
real event loop, a generator holding the real model lock (`FairLock`) in place of the model."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from app.engine.llm.fair_lock import FairLock
from app.web.relay import ClientGone, last, relay


def answering(lock: FairLock, closed: threading.Event, started: threading.Event | None = None) -> Iterator[int]:
    """Holds the model between its tokens, as `LocalLLM.stream_completion` does, and never ends by itself."""
    with lock:
        try:
            if started is not None:
                started.set()
            for token in itertools.count():
                time.sleep(0.005)
                yield token
        finally:
            closed.set()


def test_a_stream_left_half_way_closes_the_answer_and_frees_the_model():
    lock, closed = FairLock(), threading.Event()

    async def read_three() -> None:
        events = relay(answering(lock, closed))
        async for token in events:
            if token == 2:
                break
        await events.aclose()

    asyncio.run(read_three())
    assert closed.wait(5)
    acquired = threading.Event()
    threading.Thread(target=lambda: (lock.__enter__(), acquired.set()), daemon=True).start()
    assert acquired.wait(5)


def test_a_client_gone_before_the_answer_is_done_stops_it():
    lock, closed, asked = FairLock(), threading.Event(), []

    async def gone() -> bool:
        asked.append(time.monotonic())
        return len(asked) >= 2

    async def wait_for_all() -> int:
        return await last(relay(answering(lock, closed), gone))

    with pytest.raises(ClientGone):
        asyncio.run(wait_for_all())
    assert closed.wait(5)


def test_an_answer_waiting_for_the_model_leaves_the_queue_when_its_client_goes():
    lock, closed, started = FairLock(), threading.Event(), threading.Event()

    async def give_up() -> None:
        events = relay(answering(lock, closed, started))
        reading = asyncio.ensure_future(events.__anext__())
        while lock.waiting < 1:  # queued behind the holder below
            await asyncio.sleep(0.01)
        reading.cancel()  # the client went away (Starlette cancels the stream)
        with pytest.raises(asyncio.CancelledError):
            await reading
        await events.aclose()

    with lock:
        asyncio.run(give_up())
        deadline = time.monotonic() + 5
        while lock.waiting and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lock.waiting == 0  # it left while the model was still busy
    assert not started.is_set()  # and never took the model
