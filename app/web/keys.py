"""API keys, checked by every API route (`/api`, `/v1`) before anything else runs."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException

from core.settings import Settings


def key_guard(settings: Settings) -> Any:
    """API keys when configured; with sign-in on and no keys, the API stays shut rather than open."""
    keys = [k.encode() for k in settings.api.keys]

    def check(
        authorization: Annotated[str | None, Header()] = None, x_api_key: Annotated[str | None, Header()] = None
    ) -> None:
        if not keys:
            if settings.auth.enabled:
                raise HTTPException(401, "sign-in is on: the API needs keys (api.keys in config.yaml)")
            return
        given = (x_api_key or (authorization or "").removeprefix("Bearer ").strip()).encode()
        if not any(hmac.compare_digest(given, key) for key in keys):
            raise HTTPException(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})

    return Depends(check)
