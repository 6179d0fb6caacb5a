"""Embedded Chroma shared by several processes on one data dir (`docs/decisions/processes.md`).

Chroma's embedded client keeps each collection's vector index (HNSW) in the memory of the process that opened
it, and reads the records themselves from its SQLite file. Another process's write reaches the SQLite file at
once but never the index this process holds, so a process that opened Chroma before another one wrote asks its
index for ids it has never heard of ("Error finding id"), and a process that writes through such an index
would save it over the other's.

So every Chroma call goes through `EmbeddedChroma`, one per Chroma folder in a process:
- calls take a lock on the data dir's `chroma.lock` (`flock`): shared to read, exclusive to write; a process
  killed while holding it releases it with its last breath;
- a write first stamps its collection with a new token in `chroma-writes.json`, under the exclusive lock;
- a read whose collection's token is not the one this process saw last (another process wrote since) closes
  this process's client and opens a new one, which loads the index from disk and replays Chroma's own log
  of what was not yet saved to it. A collection is opened and loaded (`count`, which replays the log)
  under the exclusive lock, since loading may save the index;
- a read that still fails with Chroma's InternalError is retried once on a new client.

With `vectorstore.mode: http` a Chroma server is the only process that opens its files: `DirectChroma`.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.datadir import DataDir

if TYPE_CHECKING:
    import chromadb

T = TypeVar("T")
Opener = Callable[["chromadb.ClientAPI"], Any]  # a collection from a client (get_or_create, as configured)


class DirectChroma:
    """A client used as it is: a Chroma server serialises its own callers."""

    def __init__(self, connect: Callable[[], chromadb.ClientAPI]) -> None:
        self._connect = connect
        self._client: chromadb.ClientAPI | None = None
        self._collections: dict[str, Any] = {}

    @property
    def client(self) -> chromadb.ClientAPI:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def collection(self, name: str, opener: Opener) -> Any:
        if name not in self._collections:
            self._collections[name] = opener(self.client)
        return self._collections[name]

    def read(self, name: str, opener: Opener, op: Callable[[Any], T]) -> T:
        return op(self.collection(name, opener))

    def write(self, name: str, opener: Opener, op: Callable[[Any], T]) -> T:
        return op(self.collection(name, opener))

    def read_client(self, op: Callable[[chromadb.ClientAPI], T]) -> T:
        return op(self.client)

    def write_client(self, name: str, op: Callable[[chromadb.ClientAPI], T]) -> T:
        self._collections.pop(name, None)
        return op(self.client)


_INSTANCES: dict[Path, EmbeddedChroma] = {}
_INSTANCES_LOCK = threading.Lock()


class EmbeddedChroma:
    """The one client of a Chroma folder in this process, kept coherent with other processes' writes."""

    @classmethod
    def of(cls, dirs: DataDir, connect: Callable[[], chromadb.ClientAPI]) -> EmbeddedChroma:
        """Every knowledge base of a data dir in this process shares one: Chroma itself keeps one client per
        folder, so reopening it reopens every collection in it."""
        key = dirs.chroma.resolve()
        with _INSTANCES_LOCK:
            if key not in _INSTANCES:
                _INSTANCES[key] = cls(dirs, connect)
            return _INSTANCES[key]

    def __init__(self, dirs: DataDir, connect: Callable[[], chromadb.ClientAPI]) -> None:
        self._connect = connect
        self._lock_path, self._writes_path = dirs.chroma_lock, dirs.chroma_writes
        self._client: chromadb.ClientAPI | None = None
        self._seen: dict[str, str | None] = {}  # collection -> its token when this client loaded it last
        self._collections: dict[str, Any] = {}  # opened on the current client
        self._held = threading.local()  # the lock this thread holds: None, "shared" or "exclusive"
        self.reopened = 0  # clients closed because another process wrote (or a read failed)

    # -- the calls -------------------------------------------------------------------------------------
    def read(self, name: str, opener: Opener, op: Callable[[Any], T]) -> T:
        """`op(collection)` on a view of `name` that holds every write made before it, by any process."""
        from chromadb.errors import InternalError

        try:
            return self._read(name, opener, op)
        except InternalError:
            if getattr(self._held, "mode", None):
                raise  # inside another call of this thread: that one retries
            with self._locked(exclusive=True):
                self._close()
            return self._read(name, opener, op)

    def write(self, name: str, opener: Opener, op: Callable[[Any], T]) -> T:
        with self._locked(exclusive=True):
            collection = self._fresh(name, opener)
            self._stamp(name)
            return self._guarded(lambda: op(collection))

    def read_client(self, op: Callable[[chromadb.ClientAPI], T]) -> T:
        """A call on the client itself (listing collections): what SQLite holds, always current."""
        with self._locked(exclusive=False):
            if self._client is not None:
                return op(self._client)
        with self._locked(exclusive=True):
            return op(self._open())

    def write_client(self, name: str, op: Callable[[chromadb.ClientAPI], T]) -> T:
        """A call that changes collection `name` through the client (deleting it)."""
        with self._locked(exclusive=True):
            client = self._open()
            self._stamp(name)
            self._collections.pop(name, None)
            return self._guarded(lambda: op(client))

    # -- inside ----------------------------------------------------------------------------------------
    def _read(self, name: str, opener: Opener, op: Callable[[Any], T]) -> T:
        with self._locked(exclusive=False):
            if self._client is not None and name in self._collections and self._seen[name] == self._token(name):
                collection = self._collections[name]
                return op(collection)
        with self._locked(exclusive=True):
            collection = self._fresh(name, opener)
            return self._guarded(lambda: op(collection))

    def _fresh(self, name: str, opener: Opener) -> Any:
        """Under the exclusive lock: `name` opened and loaded on a client that has seen its last write."""
        token = self._token(name)
        if self._client is not None and name in self._seen and self._seen[name] != token:
            self._close()  # another process wrote: this client's index of `name` is out of date
        client = self._open()
        if name not in self._collections:
            collection = self._guarded(lambda: opener(client))
            self._guarded(collection.count)  # loads the index now, under this lock, replaying Chroma's log
            self._collections[name] = collection
            self._seen[name] = token
        return self._collections[name]

    def _guarded(self, call: Callable[[], T]) -> T:
        """A failed call may leave the client's memory behind its files: the next call opens a new one."""
        try:
            return call()
        except BaseException:
            self._close()
            raise

    def _open(self) -> chromadb.ClientAPI:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _close(self) -> None:
        client, self._client = self._client, None
        self._collections.clear()
        self._seen.clear()
        if client is not None:
            self.reopened += 1
            with suppress(Exception):  # closing must not hide the error that made it close
                client.close()  # type: ignore[attr-defined]  # the folder's last client: Chroma forgets its indexes

    def _token(self, name: str) -> str | None:
        try:
            tokens = json.loads(self._writes_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return uuid.uuid4().hex  # unreadable: taken as changed, so this process reloads
        return tokens.get(name) if isinstance(tokens, dict) else None

    def _stamp(self, name: str) -> None:
        """Under the exclusive lock, before the write: a writer killed half-way has changed it too."""
        try:
            tokens = json.loads(self._writes_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tokens = {}
        token = uuid.uuid4().hex
        tokens = {**(tokens if isinstance(tokens, dict) else {}), name: token}
        temp = self._writes_path.with_name(f".{self._writes_path.name}.{os.getpid()}")
        temp.write_text(json.dumps(tokens), encoding="utf-8")
        os.replace(temp, self._writes_path)
        self._seen[name] = token

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        """`flock` on a descriptor of its own: threads of this process exclude each other as processes do.
        A thread already inside a call goes on under the lock it holds."""
        held = getattr(self._held, "mode", None)
        if held == "exclusive" or (held == "shared" and not exclusive):
            yield
            return
        if held == "shared":
            raise RuntimeError("a Chroma write inside a Chroma read of the same thread")
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._held.mode = "exclusive" if exclusive else "shared"
            yield
        finally:
            self._held.mode = held
            os.close(fd)
