"""API keys: checked by every API route (`/api`, `/v1`) before anything else runs, and by the page's sign-in
while keys are set and sign-in is off, so the page's Gradio endpoints (upload, delete, documents) are no way
around them. Wrong keys count towards the client's lockout (`throttle.py`)."""

from __future__ import annotations

import hmac
import math
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request

from app.web.throttle import Throttle
from core.settings import Settings


def client_of(request: Request) -> str:
    """The client's address as the server saw it (a proxy's X-Forwarded-For only from `forwarded_allow_ips`)."""
    return request.client.host if request.client else "unknown"


def locked_out(wait_s: float) -> HTTPException:
    return HTTPException(
        429, f"too many wrong keys or passwords from this address: try again in {math.ceil(wait_s)} s",
        headers={"Retry-After": str(math.ceil(wait_s))},
    )  # fmt: skip


def is_key(given: str, keys: list[bytes]) -> bool:
    """Constant-time against every key, so the time taken says nothing about how much of a key was right."""
    encoded = given.encode()
    return any([hmac.compare_digest(encoded, key) for key in keys])


def key_guard(settings: Settings, throttle: Throttle) -> Any:
    """API keys when configured; with sign-in on and no keys, the API stays shut rather than open."""
    keys = [k.encode() for k in settings.api.keys]

    def check(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> None:
        if not keys:
            if settings.auth.enabled:
                raise HTTPException(401, "sign-in is on: the API needs keys (api.keys in config.yaml)")
            return
        client = client_of(request)
        if (wait := throttle.wait_s(client)) > 0:
            raise locked_out(wait)
        given = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
        if not is_key(given, keys):
            if given:  # no key at all is not a guess
                throttle.failed(client)
            raise HTTPException(401, "missing or wrong API key", headers={"WWW-Authenticate": "Bearer"})
        throttle.succeeded(client)

    return Depends(check)


class KeySignIn:
    """The page's sign-in while `api.keys` is set and sign-in (`auth.enabled`) is off: any name, an API key as
    the password. Gradio's `auth` callable; the name is not a user (the page treats this as no sign-in)."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = [k.encode() for k in keys]

    def __call__(self, user: str, password: str) -> bool:
        return is_key(password, self.keys)
