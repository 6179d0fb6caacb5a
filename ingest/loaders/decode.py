"""Bytes to clean text, shared by every text-bearing loader: any common encoding in, collapsed spaces out."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from ingest.errors import FileIngestError

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


def clean_text(text: str) -> str:
    """PDF extraction pads Latin runs inside Chinese with several spaces ("运行  300  小时"); one is enough."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def decode_text(data: bytes) -> str:
    """UTF-8 first (the common case, and charset detection can misread short UTF-8); then detection."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise FileIngestError("not a text file (unknown encoding)") from None
        return str(best)
