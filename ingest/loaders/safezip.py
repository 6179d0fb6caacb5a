"""Check an Office (OOXML) zip before any library unpacks it: a zip bomb is refused from its directory alone.

The central directory declares each member's uncompressed size, and Python's zipfile never returns more
bytes than declared (it cuts the stream there), so checking the declared sizes bounds what parsing can unpack.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from core.settings import IngestSettings
from ingest.errors import FileIngestError

MAX_MEMBERS = 10_000
# Deflate of real XML rarely beats 50:1; a run of zeros reaches ~1000:1. Small members cannot hurt, whatever the ratio.
MAX_RATIO = 200
RATIO_MIN_BYTES = 4 << 20
_MB = 1 << 20
# The folder each OOXML kind keeps its parts in; another kind's folder means a misnamed file.
_PART_DIRS = {"DOCX": "word/", "XLSX": "xl/", "PPTX": "ppt/"}


def check_ooxml(path: Path, settings: IngestSettings, kind: str) -> None:
    """Raise FileIngestError unless `path` is a zip of Office kind `kind` whose members unpack within limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_bomb(infos, settings.max_unpacked_mb)
            names = {info.filename for info in infos}
            mimetype = _read_head(archive, "mimetype") if "mimetype" in names else ""
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise FileIngestError(f"corrupt {kind}: not a readable ZIP archive ({exc})") from exc
    _check_kind(names, mimetype, kind)


def _read_head(archive: zipfile.ZipFile, name: str) -> str:
    with archive.open(name) as member:
        return member.read(200).decode("ascii", "replace")


def _check_bomb(infos: list[zipfile.ZipInfo], max_unpacked_mb: float) -> None:
    if len(infos) > MAX_MEMBERS:
        raise FileIngestError(f"zip bomb: more than {MAX_MEMBERS:,} members")
    total = sum(info.file_size for info in infos)
    if total > max_unpacked_mb * _MB:
        raise FileIngestError(
            f"zip bomb: unpacks to more than {max_unpacked_mb:g} MB ({total / _MB:,.0f} MB declared; "
            "raise ingest.max_unpacked_mb if the file is genuine)"
        )
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise FileIngestError(f"zip bomb: member {info.filename!r} expands {ratio:,}:1")


def _check_kind(names: set[str], mimetype: str, kind: str) -> None:
    if "[Content_Types].xml" not in names:
        if "opendocument" in mimetype:
            raise FileIngestError(f"not a {kind} (looks like OpenDocument {mimetype.rsplit('.', 1)[-1]})")
        raise FileIngestError(f"not a {kind} (a ZIP archive without Office parts)")
    if not any(name.startswith(_PART_DIRS[kind]) for name in names):
        other = next((k for k, d in _PART_DIRS.items() if any(n.startswith(d) for n in names)), None)
        raise FileIngestError(f"not a {kind} (looks like {other})" if other else f"corrupt {kind}: no {kind} parts")
