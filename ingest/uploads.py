"""Where uploaded files are kept and under which names: the chat page and the HTTP API store them alike.

Uploads live under `data_dir/uploads/<kb>/`, named by the file name the user gave (Chinese included), never
by a path: a name like `../../etc/passwd` cannot leave the folder. The type is not taken from the name: the
pipeline sniffs the content (`ingest/loaders/sniff.py`).

Issue 19 (items 8 and 9): a name the file system cannot hold (over 255 bytes) fails that file alone, with a
reason; two files of one upload that lose their folders to the same name (`a/x.txt`, `b/x.txt`) are both kept,
the second as `x (2).txt`; the API's temporary folders are locked while in use, so those a killed server left
behind can be told apart and removed at the next start; and a deleted name takes its stored copy with it, and
the copies of the same file in the page's upload cache.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core.datadir import DataDir
from core.kb import KnowledgeBase
from ingest.pipeline import sha256_file
from ingest.report import FileTask

NAME_MAX = 255  # bytes in one file name: ext4, XFS, Btrfs, tmpfs
SHOWN_CHARS = 60  # of a refused over-long name, in its result
STAGING_PREFIX = "zhiku-upload-"  # the API's temporary folders, one per request, under the system's temp dir
_LOCK = ".lock"  # in a staging folder, locked (flock) by the process using it for as long as it does
# A staging folder without a lock is being made (a moment), or was made by a Zhiku from before the lock, which
# may still be using it: left alone this long.
_UNLOCKED_GRACE_S = 3600.0


def safe_filename(name: str) -> str:
    """Keep the visible name but never a path or a hidden file."""
    base = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    return re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", base) or "upload"


def name_refusal(name: str) -> str:
    """Why the file system cannot hold this file name; "" when it can."""
    size = len(name.encode("utf-8", "surrogateescape"))
    return f"file name too long ({size:,} bytes; at most {NAME_MAX})" if size > NAME_MAX else ""


def shown_name(name: str) -> str:
    """A name for a result line: a refused over-long one is cut, not repeated whole."""
    return name if not name_refusal(name) else name[:SHOWN_CHARS] + "…"


def distinct_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2).ext`, `name (3).ext`... : one not taken yet by another file of the same upload."""
    if name not in taken:
        return name
    suffix = Path(name).suffix
    stem = name[: len(name) - len(suffix)] if suffix else name
    number = 2
    while True:
        tail = f" ({number}){suffix}"
        room = NAME_MAX - len(tail.encode("utf-8", "surrogateescape"))
        cut = stem.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
        if (candidate := cut + tail) not in taken:
            return candidate
        number += 1


def upload_folder(data_dir: DataDir, kb: str) -> Path:
    return data_dir.uploads / safe_filename(kb)


def stage_uploads(folder: Path, files: Iterable[tuple[str, Path]], max_file_mb: float) -> list[FileTask]:
    """(name as given, temporary file) → tasks for `ingest_files`, each copied into `folder` under its safe
    name, distinct within this upload. A file over the size limit is not kept: its task points at the temporary
    file, so the pipeline reports it as too large and nothing of it stays in the data dir. A name the file
    system cannot hold, or a copy that fails, is a failed task of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks, limit, taken = [], max_file_mb * 2**20, set[str]()
    for given, tmp in files:
        name = safe_filename(given)
        if refusal := name_refusal(name):
            tasks.append(FileTask(shown_name(name), None, refusal))
            continue
        name = distinct_name(name, taken)
        taken.add(name)
        if tmp.stat().st_size > limit:
            tasks.append(FileTask(name, tmp))
            continue
        try:
            shutil.copyfile(tmp, folder / name)
        except OSError as exc:
            (folder / name).unlink(missing_ok=True)
            tasks.append(FileTask(name, None, f"cannot be stored: {exc.strerror or exc}"))
            continue
        tasks.append(FileTask(name, folder / name))
    return tasks


# -- the API's temporary folders ------------------------------------------------------------------------
@contextmanager
def staging(root: Path | None = None) -> Iterator[Path]:
    """A temporary folder for one request's files, locked for as long as it is used and removed after. The
    lock is taken before the lock file gets its name, so a folder whose lock file can be locked by another
    process belongs to a process that died (`sweep_staging`)."""
    folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        with (folder / f"{_LOCK}.new").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.rename(folder / f"{_LOCK}.new", folder / _LOCK)
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_staging(root: Path | None = None) -> list[Path]:
    """Remove the temporary upload folders of processes that died (kill -9, a power cut): at start-up. Those of
    running processes (another service on this machine) are locked, and kept."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(STAGING_PREFIX + "*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
                shutil.rmtree(folder)
                removed.append(folder)
        except OSError:
            continue  # another user's, or gone meanwhile
    return removed


def _abandoned(folder: Path) -> bool:
    lock_path = folder / _LOCK
    if not lock_path.exists():  # made before locks were used, or being made right now
        return time.time() - folder.stat().st_mtime > _UNLOCKED_GRACE_S
    with lock_path.open("r") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


# -- copies of a deleted document ----------------------------------------------------------------------
def remove_copies(folder: Path, names: Sequence[str], caches: Sequence[Path] = ()) -> list[Path]:
    """After `names` were deleted from a knowledge base: their stored uploads in `folder`, and every file in
    `caches` (the page's upload cache, `<cache>/<hash>/<name>`) with the same content or the same name (an
    older version of the file, uploaded before). Returns what was removed."""
    removed, digests, sizes = [], set[str](), set[int]()
    for name in names:
        stored = folder / name
        if name != safe_filename(name) or not stored.is_file():
            continue  # not an upload: a file ingested from where it lies (the CLI) is the user's own
        digests.add(sha256_file(stored))
        sizes.add(stored.stat().st_size)
        stored.unlink()
        removed.append(stored)
    gone = {n for n in names if n == safe_filename(n)}
    for cache in caches:
        for copy in _cached_files(cache):
            try:
                same = copy.name in gone or (copy.stat().st_size in sizes and sha256_file(copy) in digests)
                if same:
                    copy.unlink()
                    removed.append(copy)
                    if copy.parent != cache and not any(copy.parent.iterdir()):
                        copy.parent.rmdir()
            except OSError:
                continue
    return removed


def remove_unnamed(folder: Path, named: set[str]) -> list[Path]:
    """Uploaded files no name of the knowledge base holds: copied by a process killed before it ingested them."""
    removed = []
    for stored in folder.iterdir() if folder.is_dir() else []:
        if stored.is_file() and not stored.is_symlink() and stored.name not in named:
            stored.unlink()
            removed.append(stored)
    return removed


def _cached_files(cache: Path) -> Iterator[Path]:
    """The files in a Gradio cache: at its top and one folder down (`<hash>/<name>`)."""
    if not cache.is_dir():
        return
    for entry in cache.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_file():
            yield entry
        elif entry.is_dir():
            yield from (f for f in entry.iterdir() if f.is_file() and not f.is_symlink())


def delete_with_copies(
    kb: KnowledgeBase, targets: Sequence[str], data_dir: DataDir, caches: Sequence[Path] = ()
) -> dict[str, list[str]]:
    """`KnowledgeBase.delete`, and the copies of what it deleted (`remove_copies`): users delete a document to
    have it gone, so no copy of it stays in the data dir or in the page's cache (issue 19, item 9)."""
    removed = kb.delete(targets)
    remove_copies(upload_folder(data_dir, kb.name), [p for paths in removed.values() for p in paths], caches)
    return removed
