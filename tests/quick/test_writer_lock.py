"""One writer per knowledge base at a time: another waits its turn, up to `ingest.writer_wait_s` (issue 19, found
by bench/soak.py: four clients uploading at once got 400 "another ingestion … is running")."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.web.errors import error_status
from core.errors import BusyError
from core.kb import KnowledgeBase
from tests.quick.conftest import FakeEmbedder


def test_a_second_writer_waits_its_turn_and_gives_up_after_its_wait(tmp_path: Path):
    holder = KnowledgeBase(tmp_path, "default", FakeEmbedder(), writer_wait_s=5)
    waiter = KnowledgeBase(tmp_path, "default", FakeEmbedder(), writer_wait_s=5)
    told: list[str] = []
    waiter.on_wait = lambda: told.append("waiting")
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.writing():
            held.set()
            time.sleep(0.5)
        released.set()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    busy = r"another ingestion into knowledge base 'default' is running \(waited 0.1 s"
    with pytest.raises(BusyError, match=busy), waiter.writing(wait_s=0.1):
        pass
    with waiter.writing():  # waits for the holder, then writes
        assert released.is_set()
    thread.join()
    assert told == ["waiting", "waiting"]  # once per write that had to wait
    assert error_status(BusyError("busy")) == 503  # not the request's fault: try again later
