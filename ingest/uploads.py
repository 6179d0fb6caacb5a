"""Where uploaded files are kept and under which names: the chat page and the HTTP API store them alike.

Uploads live under `data_dir/uploads/<kb>/`, named by the file name the user gave (Chinese included), never
by a path: a name like `../../etc/passwd` cannot leave the folder. The type is not taken from the name: the
pipeline sniffs the content (`ingest/loaders/sniff.py`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from core.datadir import DataDir
from ingest.report import FileTask


def safe_filename(name: str) -> str:
    """Keep the visible name but never a path or a hidden file."""
    base = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    return re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", base) or "upload"


def upload_folder(data_dir: DataDir, kb: str) -> Path:
    return data_dir.uploads / safe_filename(kb)


def stage_uploads(folder: Path, files: Iterable[tuple[str, Path]], max_file_mb: float) -> list[FileTask]:
    """(name as given, temporary file) → tasks for `ingest_files`, each copied into `folder` under its safe
    name. A file over the size limit is not kept: its task points at the temporary file, so the pipeline
    reports it as too large and nothing of it stays in the data dir."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks, limit = [], max_file_mb * 2**20
    for given, tmp in files:
        name = safe_filename(given)
        if tmp.stat().st_size > limit:
            tasks.append(FileTask(name, tmp))
            continue
        shutil.copyfile(tmp, folder / name)
        tasks.append(FileTask(name, folder / name))
    return tasks
