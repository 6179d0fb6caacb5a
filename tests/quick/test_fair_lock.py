"""The model's lock serves waiting requests in arrival order (real threads, no model needed)."""

from __future__ import annotations

import threading
import time

from app.engine.llm.fair_lock import FairLock


def test_waiting_threads_take_their_turn_in_arrival_order():
    lock, order = FairLock(), []

    def worker(name: str) -> None:
        with lock:
            order.append(name)
            time.sleep(0.01)  # a greedy thread would re-take a plain lock here

    with lock:
        threads = []
        for name in "ABCDE":
            thread = threading.Thread(target=worker, args=(name,))
            thread.start()
            threads.append(thread)
            while lock.waiting < len(threads):  # queued before the next one arrives
                time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert order == list("ABCDE")


def test_a_failure_inside_releases_the_lock():
    lock = FairLock()
    try:
        with lock:
            raise RuntimeError("generation failed")
    except RuntimeError:
        pass
    acquired = threading.Event()
    threading.Thread(target=lambda: (lock.__enter__(), acquired.set())).start()
    assert acquired.wait(timeout=5)


def test_a_request_whose_client_went_away_leaves_the_queue_and_the_others_keep_their_turn():
    """Issue 19, item 4: an answer waiting for the model under `cancellable` gives up when its stop is set,
    instead of taking the model for nobody; the requests behind it move up."""
    from app.engine.llm.cancel import Cancelled, cancellable

    lock, order, outcome = FairLock(), [], {}
    stop = threading.Event()

    def gone() -> None:
        with cancellable(stop):
            try:
                with lock:
                    order.append("gone")
            except Cancelled:
                outcome["gone"] = "cancelled"

    def staying() -> None:
        with lock:
            order.append("staying")

    with lock:
        threads = [threading.Thread(target=gone), threading.Thread(target=staying)]
        for count, thread in enumerate(threads, 1):
            thread.start()
            while lock.waiting < count:
                time.sleep(0.001)
        stop.set()
        while lock.waiting > 1:  # the cancelled one left the queue while the lock was still held
            time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert outcome == {"gone": "cancelled"} and order == ["staying"]
