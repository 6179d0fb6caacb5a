"""The knowledge bases of a data dir: their names, which exist, and who owns them (read without opening Chroma)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from core.datadir import DataDir
from core.errors import ZhikuError
from core.kb.manifest import Manifest

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,60}[A-Za-z0-9]$|^[A-Za-z0-9]$")
_FORBIDDEN_IN_NAME = set('/\\:*?"<>|')
_HASH_LIKE = re.compile(r"^[0-9a-f]{24}$")  # what a hashed name becomes


def collection_name(kb: str) -> str:
    """Chroma allows only [A-Za-z0-9._-] names; a KB may be called "工艺卡", so such names are hashed. A name
    that looks like a hash ("757af14b4377895f4336d2f6" is 工艺卡's) is hashed too: kept as it is, it would open
    the knowledge base whose name hashes to it (issue 19, item 10). Before that rule such a name was kept as it
    is, so a knowledge base named by 24 lowercase hex digits made by an older Zhiku is no longer found."""
    if not kb.strip():
        raise ZhikuError("a knowledge base name cannot be empty")
    if _SAFE_NAME.match(kb) and not _HASH_LIKE.match(kb):
        return f"kb-{kb}"
    return "kb-" + hashlib.sha256(kb.encode("utf-8")).hexdigest()[:24]


def check_kb_name(name: str) -> str:
    """A new knowledge base's name: any language, but no path characters (it names the upload folder)."""
    name = name.strip()
    if not name or len(name) > 64 or any(c in _FORBIDDEN_IN_NAME or ord(c) < 32 for c in name) or name[0] == ".":
        raise ZhikuError(f'{name!r} cannot name a knowledge base: 1–64 characters, no / \\ : * ? " < > |')
    return name


@dataclass(frozen=True)
class KBInfo:
    """Who a knowledge base belongs to. `owner` is "" for one made without sign-in (the CLI, sign-in off):
    shared. A private one is for its owner only; the answering engine enforces it (app/engine/workspace.py)."""

    name: str
    owner: str = ""
    private: bool = False


def read_info(manifest: Manifest, fallback: str) -> KBInfo:
    name, owner = manifest.get_meta("name") or fallback, manifest.get_meta("owner")
    return KBInfo(name, owner, manifest.get_meta("private") == "1")


def kb_info(data_dir: DataDir, kb: str) -> KBInfo | None:
    """Who owns an existing knowledge base, read without opening it (nothing is written); None when new."""
    path = data_dir.manifest(collection_name(kb))
    if not path.is_file():
        return None
    manifest = Manifest(path)
    try:
        return read_info(manifest, kb)
    finally:
        manifest.close()


def kb_exists(data_dir: DataDir, kb: str) -> bool:
    """Without opening anything: reads must not create a knowledge base, nor open every manifest to find one."""
    return data_dir.manifest(collection_name(kb)).is_file()


def knowledge_bases(data_dir: DataDir) -> list[KBInfo]:
    """The knowledge bases in a data dir, by name (one manifest each)."""
    found = []
    for path in sorted(data_dir.manifests.glob("kb-*.sqlite3")):
        manifest = Manifest(path)
        try:
            found.append(read_info(manifest, path.stem.removeprefix("kb-")))
        finally:
            manifest.close()
    return sorted(found, key=lambda info: info.name)


def half_done(data_dir: DataDir) -> list[str]:
    """The knowledge bases holding a document a killed process left half written or half deleted."""
    found = []
    for path in sorted(data_dir.manifests.glob("kb-*.sqlite3")):
        manifest = Manifest(path)
        try:
            name = read_info(manifest, path.stem.removeprefix("kb-")).name
            if manifest.unfinished() and data_dir.manifest(collection_name(name)) == path:
                found.append(name)
        finally:
            manifest.close()
    return found
