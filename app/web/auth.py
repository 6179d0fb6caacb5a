"""Optional sign-in: users and their password hashes live in the configuration, never the passwords.

Hashes are scrypt (Python's standard library) with a random salt, written as `scrypt$n$r$p$salt$hash` by
`python -m app hash-password`, so a leaked config.yaml does not give the passwords away.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from core.errors import ConfigError
from core.settings import AuthSettings

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


class Authenticator:
    """Gradio's `auth` callable: (user, password) -> allowed."""

    def __init__(self, settings: AuthSettings) -> None:
        if not settings.users:
            raise ConfigError("auth.enabled but auth.users is empty: add users with `python -m app hash-password`")
        malformed = [name for name, stored in settings.users.items() if not stored.startswith("scrypt$")]
        if malformed:
            names = ", ".join(malformed)
            raise ConfigError(f"auth.users: {names}: give a hash from `python -m app hash-password`, not a password")
        self.users = dict(settings.users)

    def __call__(self, user: str, password: str) -> bool:
        stored = self.users.get(user)
        if stored is None:
            verify_password(password, hash_password("timing"))  # an unknown name costs the same time
            return False
        return verify_password(password, stored)
