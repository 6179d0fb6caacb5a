"""Errors a user can act on: their message is shown as-is, never a traceback."""

import errno


class ZhikuError(Exception):
    """Base class for errors whose message is meant for the user."""


class ConfigError(ZhikuError):
    """The configuration asks for something that cannot be had."""


class EmbeddingMismatchError(ZhikuError):
    """A knowledge base was built with a different embedding model than the one configured."""


class ModelNotFoundError(ZhikuError):
    """A configured model file or package is missing."""


class AccessDeniedError(ZhikuError):
    """A private knowledge base asked for by someone other than its owner."""


class UnknownKBError(ZhikuError):
    """A read from a knowledge base, or of a document, that does not exist (a write creates the KB)."""


class BusyError(ZhikuError):
    """A write into a knowledge base waited its turn behind another one (an ingestion, an upload, a delete)
    longer than `ingest.writer_wait_s`: nothing is wrong with the request; try it again later."""


class StorageError(ZhikuError):
    """The knowledge base's store refused a write (its disk full, a quota or file-size limit, unwritable
    files). Not one file's fault, so an ingestion stops instead of failing every file after it."""


_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
# What SQLite (the manifest, the keyword index, Chroma's own) says when a write finds no room: SQLITE_FULL, and
# SQLITE_IOERR, which is what a write refused by a file-size limit or a full disk mid-page becomes.
_FULL_MESSAGES = ("database or disk is full", "disk i/o error", "no space left on device", "file too large")


def storage_full(exc: BaseException) -> bool:
    """Whether an exception, or one it was raised from, is a write refused for want of room."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS:
            return True
        if any(m in str(seen).lower() for m in _FULL_MESSAGES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
