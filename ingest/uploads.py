"""Where uploaded files are kept and under which names: the chat page and the HTTP API store them alike.

Uploads live under `data_dir/uploads/<kb>/`, named by the file name the user gave (Chinese included), never
by a path: a name like `../../etc/passwd` cannot leave the folder. The type is not taken from the name: the
pipeline sniffs the content (`ingest/loaders/sniff.py`).

Issue 19 (item 8): a name the file system cannot hold (over 255 bytes) fails that file alone, with a reason;
two files of one upload that lose their folders to the same name (`a/x.txt`, `b/x.txt`) are both kept, the
second as `x (2).txt`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from core.datadir import DataDir
from ingest.report import FileTask

NAME_MAX = 255  # bytes in one file name: ext4, XFS, Btrfs, tmpfs
SHOWN_CHARS = 60  # of a refused over-long name, in its result


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
