"""File system changes gathered into passes, and what one pass must read and remove (`ingest/watch.py`).

Kept apart from the watching so the rules can be tested without a watcher or a clock: a burst (a copy of 1,000
files, an unzip, a `git pull`) is one pass, not 1,000, and a pass never needs the order the changes came in,
because it looks at the disk as it is when it runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change

FileChange = tuple[Change, str]  # as watchfiles reports it: what happened, and the absolute path


@dataclass(frozen=True)
class Batch:
    """The changes one pass applies; `rescan`: the whole of every watched folder (at start, like `--sync`)."""

    changes: frozenset[FileChange] = frozenset()
    rescan: bool = False


@dataclass
class Batcher:
    """Changes wait until none came for `quiet_s`, or `max_wait_s` after the first of them (a folder that never
    stops changing is still applied). Changes that come while a pass runs wait for the next one. `clock` is
    `time.monotonic`, or a fake one in tests."""

    quiet_s: float
    max_wait_s: float
    clock: Callable[[], float] = time.monotonic
    pending: set[FileChange] = field(default_factory=set)
    rescan: bool = False
    first: float | None = None  # when the oldest change waiting came
    last: float | None = None  # when the newest did
    not_before: float = 0.0  # a refused pass is not tried again before this

    def add(self, changes: Iterable[FileChange]) -> None:
        new = set(changes) - self.pending
        if not new:
            return
        now = self.clock()
        self.pending |= new
        self.first = now if self.first is None else self.first
        self.last = now

    def rescan_all(self) -> None:
        """Every watched folder is read whole at the next pass, which is due at once."""
        self.rescan = True

    def due(self) -> bool:
        now = self.clock()
        if now < self.not_before:
            return False
        if self.rescan:
            return True
        if self.first is None or self.last is None:
            return False
        return now - self.last >= self.quiet_s or now - self.first >= self.max_wait_s

    def take(self) -> Batch:
        batch = Batch(frozenset(self.pending), self.rescan)
        self.pending, self.rescan, self.first, self.last = set(), False, None, None
        return batch

    def put_back(self, batch: Batch, delay_s: float) -> None:
        """A pass that could not run (another process writing into the knowledge base, a full disk) is tried
        again, with whatever came since, after `delay_s`."""
        now = self.clock()
        self.pending |= batch.changes
        self.rescan = self.rescan or batch.rescan
        self.first = now if self.first is None else self.first
        self.last = now if self.last is None else self.last
        self.not_before = now + delay_s


@dataclass(frozen=True)
class Root:
    """A watched folder: `given` as the user gave it (the names stored start with it, as `ingest DIR` stores
    them, so watching a folder first ingested by hand finds its files unchanged), `absolute` as events name it."""

    given: str
    absolute: str

    @classmethod
    def of(cls, given: str) -> Root:
        return cls(given, os.path.abspath(given))

    def name(self, path: str) -> str | None:
        """The stored name of a path an event reports; None when it is not under this folder."""
        rel = os.path.relpath(path, self.absolute)
        if rel == os.curdir:
            return self.given
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return None
        return os.path.join(self.given, rel)


@dataclass(frozen=True)
class Plan:
    """One pass: `read` (files, and folders that appeared) is ingested as `ingest PATH` ingests it, unchanged
    files skipped by the manifest; `gone` (paths no longer on disk) are sync roots, as `ingest --sync` removes
    what is gone: their names, and every name under them."""

    read: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    changes: int = 0

    def __bool__(self) -> bool:
        return bool(self.read or self.gone)


def plan(
    batch: Batch,
    roots: Sequence[Root],
    extensions: Iterable[str],
    known: Callable[[str], bool],
    excluded: Sequence[str] = (),
) -> Plan:
    """What a batch asks for, judged by the disk as it is now. A file counts when its type is ingested; a folder
    when it appeared (a folder that only "changed" had a file in it change, which has its own event); a path
    that is gone when the knowledge base holds a name at or under it (`known`). Paths under `excluded` (the data
    dir, when it lies inside a watched folder) are not looked at."""
    allowed = {e.lower() for e in extensions}
    read: set[str] = {r.given for r in roots} if batch.rescan else set()
    gone: set[str] = set(read)
    for change, path in batch.changes:
        if any(path == e or path.startswith(e.rstrip(os.sep) + os.sep) for e in excluded):
            continue
        name = next((n for root in roots if (n := root.name(path)) is not None), None)
        if name is None:
            continue
        if os.path.isdir(path):
            if change == Change.added:
                read.add(name)
        elif os.path.isfile(path):
            if Path(path).suffix.lower() in allowed:
                read.add(name)
        elif known(name):
            gone.add(name)
    return Plan(tuple(sorted(read)), tuple(sorted(gone)), len(batch.changes))


def holds(names: Iterable[str]) -> Callable[[str], bool]:
    """`known` for `plan`: whether a path is one of `names` or a folder above one of them."""
    held: set[str] = set()
    for name in names:
        held.add(name)
        parent = os.path.dirname(name)
        while parent and parent not in held:
            held.add(parent)
            parent = os.path.dirname(parent)
    return lambda path: path.rstrip(os.sep) in held
