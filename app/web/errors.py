"""One error shape for every response, OpenAI's `{"error": {"message", "type"}}`, with a status that says whose
fault it was: 400 bad input, 401 no key, 403 someone else's private knowledge base (or a cross-site request),
404 no such knowledge base, document or route, 405 wrong method, 409 built with another embedding model, 413 over
a configured limit, 422 a malformed body, 429 locked out after wrong keys or passwords, 503 the model cannot be
loaded or a write waited longer than `ingest.writer_wait_s` behind another, 507 the data dir refused a write (a
full disk; `/api/ask` then adds the answer it produced beside `error`).

FastAPI's own errors (404, 405, 422, HTTPException) answer `{"detail": ...}` unless told otherwise, and a 422
repeats the input it refused; here they are all rewritten, and a validation error names each field and reason,
never the value. Gradio's protocol paths (the page's own calls) keep Gradio's shapes, which its clients read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import (
    AccessDeniedError,
    BusyError,
    EmbeddingMismatchError,
    ModelNotFoundError,
    StorageError,
    UnknownKBError,
    ZhikuError,
)  # fmt: skip
from core.limits import TooLargeError

_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    405: "invalid_request_error", 409: "conflict_error", 413: "invalid_request_error", 422: "invalid_request_error",
    429: "rate_limit_error", 503: "service_unavailable_error", 507: "server_error",
}  # fmt: skip
_STATUSES = {
    UnknownKBError: 404, AccessDeniedError: 403, EmbeddingMismatchError: 409, ModelNotFoundError: 503,
    TooLargeError: 413, StorageError: 507, BusyError: 503,
}  # fmt: skip
_SHOWN_ERRORS = 5  # validation errors named in one message; a list of 260k bad tags is not 260k lines
_SHOWN_CHARS = 60  # of each part of a field's location (a dict key in the body is the sender's text)
_MESSAGE_CHARS = 1000  # of a rewritten error's message
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def error_status(exc: ZhikuError) -> int:
    return next((code for kind, code in _STATUSES.items() if isinstance(exc, kind)), 400)


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": _TYPES.get(status, "error")}}


def error_json(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """OpenAI's shape, so an OpenAI client shows the message."""
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def validation_message(errors: Iterable[dict[str, Any]]) -> str:
    """Each refused field and why, without the value given: `body.question: Field required`."""
    errors = list(errors)
    parts = [
        f"{'.'.join(str(p)[:_SHOWN_CHARS] for p in e.get('loc', ()))}: {str(e.get('msg', 'invalid'))[:200]}"
        for e in errors[:_SHOWN_ERRORS]
    ]
    more = f"; and {len(errors) - _SHOWN_ERRORS:,} more" if len(errors) > _SHOWN_ERRORS else ""
    return "invalid request: " + "; ".join(parts) + more


def install_error_handlers(app: FastAPI) -> None:
    """The handlers, and a last route under `/api` and `/v1` so an unknown path or a wrong method is answered
    here (404, 405) rather than by the page mounted at `/`. Call it after the API routes, before the page."""

    @app.exception_handler(ZhikuError)
    def zhiku_error(request: Request, exc: ZhikuError) -> JSONResponse:
        return error_json(error_status(exc), str(exc))

    @app.exception_handler(HTTPException)  # Starlette's: FastAPI's is a subclass, the router raises Starlette's
    def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error_json(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_json(422, validation_message(exc.errors()))

    def unrouted(request: Request) -> JSONResponse:
        routes = [
            r for r in app.router.routes if not isinstance(r, Mount) and getattr(r, "endpoint", None) is not unrouted
        ]
        allowed = [
            method for method in _ALL_METHODS
            if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
        ]  # fmt: skip
        if allowed:
            return error_json(405, f"method {request.method} not allowed here", {"Allow": ", ".join(allowed)})
        return error_json(404, "no such route")

    for prefix in ("/api", "/v1"):
        app.add_api_route(f"{prefix}/{{rest:path}}", unrouted, methods=_ALL_METHODS, include_in_schema=False)


def gradio_protocol(path: str) -> bool:
    """The page's own calls to Gradio, whose error bodies Gradio's clients read (`detail` of a 422, a 401)."""
    return "/gradio_api/" in path or path.rstrip("/").rsplit("/", 1)[-1] in ("config", "login", "logout")


class ErrorShape:
    """ASGI middleware: a JSON error `{"detail": ...}` from anywhere else (the page mounted at `/` answers an
    unknown path with one) is rewritten to the one shape. Only small error bodies are held back to do it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or gradio_protocol(scope["path"]):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def reshape(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                json_error = message["status"] >= 400 and headers.get("content-type", "").startswith("application/json")
                if json_error and "content-encoding" not in headers:
                    held.append(message)
                    return
            elif held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                await self._send_reshaped(held, send)
                return
            await send(message)

        await self.app(scope, receive, reshape)

    @staticmethod
    async def _send_reshaped(held: list[Message], send: Send) -> None:
        start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
        try:
            found = json.loads(body)
        except ValueError:
            found = None
        if isinstance(found, dict) and "detail" in found and "error" not in found:
            detail = found["detail"]
            if isinstance(detail, list):
                message = validation_message(e for e in detail if isinstance(e, dict))
            else:
                message = str(detail.get("error", detail) if isinstance(detail, dict) else detail)[:_MESSAGE_CHARS]
            body = json.dumps(error_body(start["status"], message), ensure_ascii=False).encode()
            headers = MutableHeaders(raw=start["headers"])
            headers["content-length"] = str(len(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})
