"""What counts as a full disk, and how the web layer answers a refused write (issue 19, "disk full")."""

import errno
import sqlite3

from app.web.errors import error_status
from core.errors import StorageError, storage_full


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
