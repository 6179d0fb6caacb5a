"""Why one file could not be ingested; the message names the reason in plain words."""

from core.errors import ZhikuError


class FileIngestError(ZhikuError):
    """One file failed; the rest of the batch goes on."""
