"""File names as the file system gives them, made safe to store and to print (issue 19, item 6).

Linux names are bytes. A folder copied from a Chinese Windows machine or unpacked from an old zip holds
names in GBK, which Python hands over with the undecodable bytes as lone surrogates ('\\udcc0'): SQLite,
Chroma and JSON refuse those, so one such name used to stop a whole folder. And any name may hold control
characters: an ESC sequence in a name printed raw recolours or rewrites the user's terminal.

Two functions, used at the two edges: `display_name` when a path enters (the name that is stored, cited and
listed), `terminal_safe` when a name or an error leaves for a terminal.
"""

from __future__ import annotations

import os
import unicodedata

_ESCAPED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}  # controls (C0, C1, DEL), lone surrogates, line separators
# Bidirectional overrides and isolates reorder what follows them on screen: "txt.exe" shown as "exe.txt".
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def display_name(path: str) -> str:
    """`path` itself when it is valid UTF-8 (almost always), so it stays the path on disk. Otherwise each
    component that is not UTF-8 is read as GB18030 (the GBK family: what such names nearly always are), or,
    when that fails too, shown with its bytes escaped ('\\xc0'). The file is still read through its real
    path; this is the name stored, cited and listed."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(path)
    return "/".join(_component(part) for part in raw.split(b"/"))


def _component(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if not any(unicodedata.category(c) in {"Cc", "Co", "Cn"} for c in text):
            return text
    except UnicodeDecodeError:
        pass
    return raw.decode("utf-8", "backslashreplace")


def storable(text: str) -> str:
    """Any text (an error message quoting a path) without lone surrogates, so SQLite and JSON accept it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def terminal_safe(text: str) -> str:
    """Control characters, lone surrogates, line separators and bidi overrides as visible escapes ('\\x1b',
    '\\u202e'): a name can neither drive the terminal nor break the one-line-per-file output."""
    return "".join(_escape(c) if _unsafe(c) else c for c in text)


def json_safe(line: str) -> str:
    """A JSON text with the characters `terminal_safe` escapes written as \\uXXXX (json.dumps escapes C0
    controls itself, but not C1 ones such as U+009B, which some terminals read as ESC [)."""
    return "".join(f"\\u{ord(c):04x}" if _unsafe(c) and ord(c) <= 0xFFFF else c for c in line)


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _ESCAPED_CATEGORIES or ord(char) in _BIDI


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
