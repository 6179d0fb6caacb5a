"""Tell what a file really is from its first bytes, so a misnamed file fails with what it is, not a parser trace.

A ".pdf" saved from a browser is often the HTML error page; a ".docx" may be a legacy Word file or an
encrypted one (both are OLE containers). Misnamed files are refused, not parsed as their real type: the
user renames them and the citation then shows the right extension.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import FileIngestError

HEAD_BYTES = 8192
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"RIFF", "RIFF (WebP/AVI/WAV)"),
    (_OLE, "OLE"),
    (b"\x1f\x8b", "GZIP"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"Rar!", "RAR"),
    (b"\x7fELF", "an executable"),
    (b"{\\rtf", "RTF"),
]
_HTML = re.compile(rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_NAMES = {
    ".pdf": "PDF", ".docx": "DOCX", ".xlsx": "XLSX", ".pptx": "PPTX", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG",
    ".txt": "text file", ".md": "Markdown file", ".markdown": "Markdown file", ".csv": "CSV file",
    ".html": "HTML file", ".htm": "HTML file",
}  # fmt: skip
_EXPECTED = {".pdf": {"PDF"}, ".docx": {"ZIP"}, ".xlsx": {"ZIP"}, ".pptx": {"ZIP"}}
_IMAGES = {"PNG", "JPEG", "GIF", "TIFF"}


def sniff(head: bytes) -> str:
    """The real type of content starting with `head`: a name from _MAGIC, "PDF", "HTML" or "text"."""
    if b"%PDF-" in head[:1024]:  # the spec lets junk precede the header
        return "PDF"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    body = head.removeprefix(b"\xef\xbb\xbf")
    if _HTML.match(body[:2048]):
        return "HTML"
    return "text" if b"\x00" not in body or body[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary data"


def check_type(path: Path, head: bytes) -> None:
    """Raise FileIngestError when the content contradicts the extension; text types only refuse binaries."""
    suffix = path.suffix.lower()
    kind = sniff(head)
    name = _NAMES.get(suffix, suffix)
    if suffix in _EXPECTED:
        if kind == "OLE" and suffix != ".pdf":
            _refuse_ole(path, name)
        if kind not in _EXPECTED[suffix]:
            if kind in ("text", "binary data"):  # nothing recognisable: a damaged file of the named type
                raise FileIngestError(
                    "corrupt PDF: no %PDF header" if suffix == ".pdf" else f"corrupt {name}: not a ZIP archive"
                )
            raise FileIngestError(f"not a {name} (looks like {_article(kind)})")
    elif suffix in (".png", ".jpg", ".jpeg"):
        if kind not in _IMAGES:
            raise FileIngestError(f"not a {name} image (looks like {_article(kind)})")
    elif _starts_with_signature(head) and _is_binary(head):
        raise FileIngestError(f"not a {name} (looks like {_article(kind)})")


def _starts_with_signature(head: bytes) -> bool:
    """Text types trust only a signature at byte 0 (a note may well mention "%PDF-" further down)."""
    return head.startswith(b"%PDF-") or any(head.startswith(magic) for magic, _ in _MAGIC)


def _is_binary(head: bytes) -> bool:
    """A text file may start like a signature by chance ("RIFF raff"); real binaries have NULs or invalid UTF-8."""
    if b"\x00" in head:
        return True
    try:
        head[:-4].decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _refuse_ole(path: Path, name: str) -> None:
    """Password-protected DOCX/XLSX/PPTX are OLE containers holding an "EncryptionInfo" stream."""
    if "EncryptionInfo".encode("utf-16-le") in path.read_bytes():
        raise FileIngestError(
            f"encrypted {name}: password-protected Office files are not supported; save a copy without the password"
        )
    raise FileIngestError(f"not a {name} (looks like a legacy .doc/.xls/.ppt file; save it as {name})")


def _article(kind: str) -> str:
    labels = {"OLE": "a legacy Office file", "ZIP": "a ZIP archive", "text": "plain text", "binary data": "binary data"}
    return labels.get(kind, kind)
