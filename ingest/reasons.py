"""What a file's error or note is about, by its kind: the loaders write one English line per file (the CLI, the
manifest and the API show it as it is); a page in another language shows its own words for the kind instead, with
the figures the line carries.

A registry, not a chain of tests: each kind is one pattern on the start of the line, written next to the messages
it reads (this package), so a new message of a known kind needs no change elsewhere. A line no pattern fits has no
kind, and is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REASONS: dict[str, re.Pattern[str]] = {
    kind: re.compile(pattern)
    for kind, pattern in {
        # PDFs with a password (ingest/loaders/pdf.py), and Office files with one (ingest/loaders/sniff.py)
        "encrypted": r"encrypted: needs a password",
        "wrong_password": r"wrong password",
        "encrypted_method": r"encrypted with an unsupported method",
        "encrypted_office": r"encrypted (?P<type>\S+): password-protected",
        # sizes and volumes (ingest/loaders/__init__.py, ingest/volume.py, loaders/html.py, loaders/image.py)
        "too_large": r"too large \((?P<size>[\d.,e+-]+) MB > max_file_mb (?P<limit>[\d.,]+)\)",
        "html_too_large": r"HTML too large to parse \((?P<size>[\d.,e+-]+) MB",
        "image_too_large": r"image too large to decode",
        "too_much_text": r"too much text",
        "too_many_chunks": r"too many chunks: (?P<chunks>[\d,]+) > ingest\.max_chunks \((?P<limit>[\d,]+)\)",
        "too_slow": r"parsing took longer than ingest\.max_parse_s \((?P<limit>[\d.]+) s\)",
        "out_of_memory": r"out of memory while parsing|the parser process died",
        "zip_bomb": r"zip bomb",
        # what the file is, or is not
        "empty": r"empty file",
        "no_text": r"no text (?:found|layer)",
        "ocr_off": r"image needs OCR, which is off",
        "ocr_missing": r"OCR engine not available",
        "corrupt": r"corrupt (?P<type>\S+?)[:\s(]",
        "not_regular": r"not a regular file",
        "not_text": r"not a text file",
        "not_type": r"not a (?P<type>\S+)",
        "unsupported": r"unsupported file type '?(?P<type>[^']*)'?",
        "turned_off": r"file type '(?P<type>[^']*)' is turned off",
        # reading and storing (ingest/pipeline.py, ingest/uploads.py, loaders/__init__.py)
        "unreadable": r"unreadable:|cannot read the file|could not read ",
        "not_found": r"not found$|broken link",
        "name_too_long": r"file name too long",
        "not_stored": r"cannot be stored",
        "same_failed": r"failed with the same content as (?P<name>.+)$",
        # notes on a file skipped or stored in part (ingest/pipeline.py)
        "unchanged": r"unchanged$",
        "unchanged_content": r"unchanged content$",
        "same_content": r"same content as (?P<name>.+)$",
        "near_duplicates": r"(?P<count>\d+) near-duplicate chunks not stored",
    }.items()
}

PASSWORD_KINDS = frozenset({"encrypted", "wrong_password"})
"""The kinds a password given for the file may cure."""


@dataclass(frozen=True)
class Reason:
    kind: str  # a key of REASONS, or "" when no pattern fits
    fields: dict[str, str] = field(default_factory=dict)  # the figures and names the line carries


def reason_of(line: str) -> Reason:
    """The kind of an error or note line and what it carries; kind "" for a line of no known kind."""
    for kind, pattern in REASONS.items():
        if match := pattern.match(line):
            return Reason(kind, {k: v for k, v in match.groupdict().items() if v is not None})
    return Reason("")
