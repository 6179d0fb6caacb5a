"""Bytes to clean text, shared by every text-bearing loader: any common encoding in, collapsed spaces out."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from ingest.errors import FileIngestError

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BOM = b"\xef\xbb\xbf"


def clean_text(text: str) -> str:
    """PDF extraction pads Latin runs inside Chinese with several spaces ("运行  300  小时"); one is enough."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def decode_text(data: bytes) -> str:
    """UTF-8 first (the common case, and charset detection can misread short UTF-8); then a file whose lines
    are partly UTF-8 and partly another encoding line by line; then detection over the whole file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data.removeprefix(_BOM))
    return mixed if mixed is not None else _detect(data)


def _detect(data: bytes) -> str:
    best = from_bytes(data).best()
    if best is None:
        raise FileIngestError("not a text file (unknown encoding)")
    return str(best)


def _decode_mixed(data: bytes) -> str | None:
    """A log or notes file appended to from a UTF-8 machine and a GBK one: each line is in one encoding, and
    no detector names the whole. Lines that are UTF-8 stay UTF-8; the others are decoded with the encoding
    detected over all of them together (one line alone is too little to tell GBK from Big5). None when no line
    is non-ASCII UTF-8, so a file in one legacy encoding is detected whole, as before, and for UTF-16 or
    binary data (NUL bytes: a line split would cut its characters)."""
    if b"\x00" in data:
        return None
    lines = data.splitlines(keepends=True)  # GBK, GB18030 and Big5 never use a line-break byte inside a character
    texts = [_utf8(line) for line in lines]
    if not any(text is not None and not text.isascii() for text in texts):
        return None
    others = [line for line, text in zip(lines, texts, strict=True) if text is None]
    guess = from_bytes(b"".join(others)).best()
    encoding = guess.encoding if guess is not None else None
    return "".join(
        text if text is not None else _legacy(line, encoding) for line, text in zip(lines, texts, strict=True)
    )


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _legacy(line: bytes, encoding: str | None) -> str:
    """A non-UTF-8 line in the encoding the others were detected in, else in its own detected encoding."""
    try:
        return line.decode(encoding) if encoding else _detect(line)
    except UnicodeDecodeError:
        return _detect(line)
