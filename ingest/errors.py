"""Why one file could not be ingested; the message names the reason in plain words."""

from core.errors import ZhikuError

_MAX_CHARS = 300


def one_line(text: str, limit: int = _MAX_CHARS) -> str:
    """Library messages can span lines or quote whole objects; a report shows one short line per file."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class FileIngestError(ZhikuError):
    """One file failed; the rest of the batch goes on. The message is always a single line."""

    def __init__(self, reason: str) -> None:
        super().__init__(one_line(reason))
