"""What every request passes before any route runs (docs/decisions/security.md): its Host, its Origin, the
sign-in lockout, and the size of its body.

- **Host** must be one the service is known by (localhost, 127.0.0.1, ::1, `server.host`, the `--host` given,
  `server.allowed_hosts`): a web page whose own name was pointed at 127.0.0.1 (DNS rebinding) is refused, though
  the browser thinks it talks to that page's site. `GET /health` is exempt: it tells nothing, and probes
  (Kubernetes, a load balancer) address the service by an IP address nobody listed.
- **Origin**: a state-changing request (anything but GET, HEAD, OPTIONS) that a browser sends from another site
  is refused (403): an `Origin` other than the service's own (or a trusted one), or, without `Origin`,
  `Sec-Fetch-Site` cross-site or same-site. Browsers set both and pages cannot forge them; other clients (curl,
  scripts, gradio_client) send neither and are left to the keys.
- **Sign-in lockout**: a POST to a page's `/login` from a locked-out client is refused (429) before Gradio checks
  the password; the answer's status counts a failure or clears the count.
- **Body size**: refused (413) by its Content-Length before a byte is read, or, without one, as soon as more
  than the limit has come; the route never sees the rest. Uploads have their own, larger limit.

Pure ASGI, not Starlette's BaseHTTPMiddleware, so streamed answers pass through untouched.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.errors import error_body
from app.web.keys import locked_out
from app.web.throttle import Throttle
from core.errors import ConfigError
from core.settings import Settings

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_MB = 2**20


def host_name(host: str) -> str:
    """`Host` without its port: `[::1]:7860` -> `::1`, `Example.com.:80` -> `example.com`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return (host.rsplit(":", 1)[0] if host.count(":") == 1 else host).rstrip(".")


def is_loopback(host: str) -> bool:
    name = host_name(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Refuse to serve beyond 127.0.0.1 with writes open to anyone (no keys, no sign-in) unless told to."""
    s = settings
    if is_loopback(host) or s.api.keys or s.auth.enabled or s.server.allow_open_network:
        return
    raise ConfigError(
        f"serving on {host} with neither api.keys nor sign-in (auth.enabled) would let anyone who reaches the port "
        "read, upload and delete documents: set one of them, or server.allow_open_network: true to accept that "
        "(docs/decisions/security.md)"
    )


class Doors:
    """ASGI middleware doing the checks above, in that order, before the application sees the request.
    `hosts`: names served besides the defaults (the address `serve` was given)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, throttle: Throttle, login_paths: set[str], upload_paths: set[str],
        hosts: set[str],
    ) -> None:  # fmt: skip
        self.app, self.settings, self.throttle = app, settings, throttle
        self.login_paths, self.upload_paths = login_paths, upload_paths
        server = settings.server
        self.hosts = None if "*" in server.allowed_hosts else {host_name(h) for h in (*LOOPBACK_NAMES, *hosts)}
        if self.hosts is not None:
            self.hosts.update(host_name(h) for h in (server.host, *server.allowed_hosts))
        trusted = (*server.trusted_origins, *settings.api.cors_origins)
        self.trusted_origins = {o.strip().rstrip("/").lower() for o in trusted}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] in ("http", "websocket") else None
        known = (
            headers is None or self.hosts is None or host_name(headers.get("host", "")) in self.hosts
            or (scope.get("method") in ("GET", "HEAD") and scope["path"] == "/health")
        )  # fmt: skip
        if scope["type"] == "websocket" and not known:
            return await send({"type": "websocket.close", "code": 1008})
        if headers is None or scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        method = scope["method"]
        if not known:
            message = "this host name is not served here: add it to server.allowed_hosts (DNS rebinding guard)"
            return await refuse(send, 400, message)
        if method not in SAFE_METHODS and self.settings.server.check_origin and not self.same_site(headers):
            return await refuse(send, 403, "cross-site request refused: it comes from a page of another site")
        client = scope["client"][0] if scope.get("client") else "unknown"
        login = method == "POST" and scope["path"].rstrip("/") in self.login_paths
        if login and (wait := self.throttle.wait_s(client)) > 0:
            refused = locked_out(wait)
            return await refuse(send, 429, refused.detail, refused.headers)
        await self._within_limit(scope, receive, send, headers, client if login else None)

    def same_site(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            own = urlsplit(origin).netloc.lower() == headers.get("host", "").lower()
            return origin != "null" and (own or origin.rstrip("/").lower() in self.trusted_origins)
        return headers.get("sec-fetch-site") in (None, "same-origin", "none")

    async def _within_limit(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, login: str | None
    ) -> None:
        limits = self.settings.limits
        upload = scope["path"].rstrip("/") in self.upload_paths
        limit, key = (limits.upload_mb, "limits.upload_mb") if upload else (limits.body_mb, "limits.body_mb")
        cap = int(limit * _MB)
        message = f"request body over {limit:g} MB ({key})"
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            return await refuse(send, 413, message)
        state = {"read": 0, "over": False, "started": False}

        async def counted() -> Message:
            received = await receive()
            if received["type"] == "http.request":
                state["read"] += len(received.get("body", b""))
                if state["read"] > cap:
                    state["over"] = True
                    raise _TooLarge
            return received

        async def sent(message_out: Message) -> None:
            if state["over"]:
                return  # whatever the route made of the cut body, the answer is the 413 below
            if message_out["type"] == "http.response.start":
                state["started"] = True
                if login is not None and message_out["status"] == 200:
                    self.throttle.succeeded(login)
                elif login is not None and message_out["status"] in (400, 401):  # Gradio: "Incorrect credentials"
                    self.throttle.failed(login)
            await send(message_out)

        try:
            await self.app(scope, counted, sent)
        except _TooLarge:
            pass
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await refuse(send, 413, message)
        elif state["over"]:  # the route had begun to answer before the body ran over: end that answer here
            await send({"type": "http.response.body", "body": b"", "more_body": False})


class _TooLarge(Exception):
    """Raised into the route's body reading when the body passes its limit."""


async def refuse(send: Send, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
    body = json.dumps(error_body(status, message), ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
