"""The one way Zhiku opens its SQLite files (manifest, keyword index, conversations, answer cache).

Autocommit mode with explicit `transaction()` blocks, WAL so readers never wait for the writer, a 30 s busy
timeout so two processes on one data dir take turns instead of failing, and rows readable by column name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


def connect(path: Path, schema: str, *pragmas: str) -> sqlite3.Connection:
    """Opens (creating the folder and tables if needed); `pragmas` are extra `PRAGMA` statements."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    for pragma in pragmas:
        db.execute(f"PRAGMA {pragma}")
    db.executescript(schema)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing; IMMEDIATE takes the write lock at once, so a read-then-write cannot be overtaken.

    A COMMIT that fails (a full disk, a file-size limit) may leave the transaction open, or SQLite may already
    have rolled it back: either way it ends rolled back, so the connection's next write starts afresh instead of
    failing "cannot start a transaction within a transaction" for the rest of the process."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with suppress(sqlite3.Error):  # the error that got here is the one to report
                db.execute("ROLLBACK")
        raise
