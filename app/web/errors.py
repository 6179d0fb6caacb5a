"""One error shape for every route, OpenAI's `{"error": {"message", "type"}}`, with a status that says whose
fault it was: 400 bad input, 401 no key, 403 someone else's private knowledge base, 404 no such knowledge
base or document, 409 built with another embedding model, 503 the model cannot be loaded."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from core.errors import AccessDeniedError, EmbeddingMismatchError, ModelNotFoundError, UnknownKBError, ZhikuError

_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    409: "conflict_error", 503: "service_unavailable_error",
}  # fmt: skip
_STATUSES = {UnknownKBError: 404, AccessDeniedError: 403, EmbeddingMismatchError: 409, ModelNotFoundError: 503}


def error_status(exc: ZhikuError) -> int:
    return next((code for kind, code in _STATUSES.items() if isinstance(exc, kind)), 400)


def error_json(status: int, message: str) -> JSONResponse:
    """OpenAI's shape, so an OpenAI client shows the message."""
    return JSONResponse({"error": {"message": message, "type": _TYPES.get(status, "error")}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ZhikuError)
    def zhiku_error(request: Request, exc: ZhikuError) -> JSONResponse:
        return error_json(error_status(exc), str(exc))

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        response = error_json(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response
