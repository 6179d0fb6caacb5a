"""What counts as a full disk, and how the web layer answers a refused write (issue 19, "disk full")."""

import errno
import sqlite3
from pathlib import Path

import pytest

from app.engine.conversations import ConversationStore
from app.engine.memory import Turn
from app.web.errors import error_status
from core import sqlite
from core.errors import StorageError, storage_full
from core.settings import Settings
from tests.quick.webapp import served


def full(db: sqlite3.Connection) -> None:
    """`core.sqlite.transaction` on a full disk: every transaction (a turn's, the answer cache's) is refused."""
    raise sqlite3.OperationalError("database or disk is full")


def test_a_refused_write_is_told_from_other_errors_through_its_causes():
    assert storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert storage_full(OSError(errno.EFBIG, "File too large"))
    assert storage_full(sqlite3.OperationalError("database or disk is full"))
    try:
        try:
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        except OSError as exc:
            raise RuntimeError("compaction failed") from exc
    except RuntimeError as wrapped:
        assert storage_full(wrapped)
    assert not storage_full(ValueError("bad page"))
    assert not storage_full(OSError(errno.ENOENT, "No such file"))


def test_a_refused_write_is_a_507_not_the_requests_fault():
    assert error_status(StorageError("could not write to the data dir")) == 507


def test_a_full_conversation_store_refuses_each_write_whole_and_takes_the_next_once_there_is_room(tmp_path: Path):
    """Real SQLite, full: its page cap (`max_page_count`) fails a write that needs a new page with SQLITE_FULL,
    as a full disk does. Before, the turn's transaction then failed again on its ROLLBACK (SQLite had already
    rolled back), and the user read "cannot rollback - no transaction is active"."""
    store = ConversationStore(tmp_path / "conversations.sqlite3")
    chat = store.create("kb")
    store.append(chat.id, Turn("q1", "a1"))
    db = store._db  # the store's own connection: the cap is per connection
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")

    big = "扭矩 60 N·m。" * 20_000
    with pytest.raises(StorageError, match=r"this turn was not saved to conversation .*disk full.*database or disk"):
        store.append(chat.id, Turn("q2", big), detail={"sources": [big]})
    with pytest.raises(StorageError, match="was not renamed"):
        store.rename(chat.id, big)
    with pytest.raises(StorageError, match="was not created"):
        store.create("kb", title=big)
    assert [t.question for t in store.turns(chat.id)] == ["q1"] and store.get(chat.id).title == "q1"  # type: ignore[union-attr]
    assert len(store.list()) == 1 and not db.in_transaction

    db.execute("PRAGMA max_page_count = 1073741823")  # space freed
    store.append(chat.id, Turn("q3", big))
    assert [t.question for t in store.turns(chat.id)] == ["q1", "q3"]


def test_the_api_gives_the_answer_in_a_507_when_its_turn_cannot_be_saved(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    with served(settings) as api:
        done = api.post("/api/ingest", files=[("files", ("pump.txt", b"The impeller clearance of P-7 is 0.3 mm."))])
        assert done.json()["ingested"] == 1
        monkeypatch.setattr(sqlite, "transaction", full)
        asked = api.post("/api/ask", json={"question": "What is the impeller clearance of P-7?", "session": "s1"})
        assert asked.status_code == 507, asked.text[:300]
        body = asked.json()
        assert set(body) == {"error", "answer"} and body["error"]["type"] == "server_error"
        assert "this turn was not saved to conversation 's1'" in body["error"]["message"]
        assert "0.3 mm" in body["answer"]["answer"] and body["answer"]["session"] == "s1"


def test_the_page_shows_the_answer_and_says_its_turn_was_not_saved(
    settings: Settings, docs: Path, monkeypatch: pytest.MonkeyPatch
):
    from app.engine.sessions import Sessions
    from app.engine.workspace import Workspace
    from app.web.page.context import PageContext
    from app.web.page.layout import Handlers
    from core.kb import open_kb
    from ingest.pipeline import ingest_paths

    assert ingest_paths(open_kb(settings), [str(docs)], settings.ingest, 32).ok
    store = ConversationStore.in_data_dir(settings.data_dir)
    page = Handlers(PageContext(settings, Workspace(settings), Sessions(store), "en"))
    monkeypatch.setattr(sqlite, "transaction", full)
    *_, (chat, conversation, *_) = page.asking.respond("主轴最大扭矩是多少？", [], "", "browser-1")
    shown = chat[-1]["content"]
    assert "60 N·m" in shown and "this turn was not saved to conversation" in shown and "disk full" in shown
    assert store.turns(conversation, "browser-1") == []


def test_a_question_not_found_is_answered_when_its_note_for_the_feedback_report_cannot_be_written(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """An answer that is "not found" notes the question for `feedback report` (issue 22): on a full disk that
    note, like the answer cache, is a saving, not the answer (before: a 500)."""
    with served(settings) as api:
        done = api.post("/api/ingest", files=[("files", ("pump.txt", b"The impeller clearance of P-7 is 0.3 mm."))])
        assert done.json()["ingested"] == 1
        monkeypatch.setattr(sqlite, "transaction", full)
        asked = api.post("/api/ask", json={"question": "What is the warranty period of robot RX-9?"})
        assert asked.status_code == 200, asked.text[:300]
        assert asked.json()["grounded"] == "not_found"
