"""The HTTP API beside the chat page: the same answering services, for scripts and other tools.

Every route names its knowledge base and goes through `AnswerServices`, so a private knowledge base is refused
here exactly as in the page. The JSON of `/api/ask` and `/api/search` is that of `python -m app ask|search
--json`. Errors are JSON `{"error": ...}` with a status that says whose fault it was: 400 bad input, 401 no
key, 403 someone else's private knowledge base, 404 no such knowledge base or document, 409 built with another
embedding model, 503 the model cannot be loaded.
"""

from __future__ import annotations

import hmac
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.answer import AnswerService, AskOptions
from app.conversations import ConversationStore
from app.memory import Turn
from app.openai_api import openai_router
from app.retrieval import Filter
from app.services import AnswerServices, check_kb_name
from app.uploads import safe_filename, stage_uploads, upload_folder
from core.errors import AccessDeniedError, EmbeddingMismatchError, ModelNotFoundError, ZhikuError
from core.settings import Settings
from core.store import kb_exists
from ingest.pipeline import FileTask, ingest_files

API_OWNER = "api"  # conversations started through the API (`session`) belong to API callers, not page users
_ERRORS = {  # status, and the error type in OpenAI's shape: {"error": {"message", "type"}}
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    409: "conflict_error", 503: "service_unavailable_error",
}  # fmt: skip


class UnknownKBError(ZhikuError):
    """A read from a knowledge base, or of a document, that does not exist (a write creates the KB)."""


def error_status(exc: ZhikuError) -> int:
    statuses = {UnknownKBError: 404, AccessDeniedError: 403, EmbeddingMismatchError: 409, ModelNotFoundError: 503}
    return next((code for kind, code in statuses.items() if isinstance(exc, kind)), 400)


def error_json(status: int, message: str) -> JSONResponse:
    """One shape for every error, OpenAI's, so an OpenAI client shows the message."""
    return JSONResponse({"error": {"message": message, "type": _ERRORS.get(status, "error")}}, status_code=status)


class SearchRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    kb: str | None = None
    k: int | None = Field(None, ge=1, le=100)
    documents: list[str] = Field(default_factory=list, description="paths, file names or document ids")
    types: list[str] = Field(default_factory=list, description='file types, e.g. "pdf"')
    tags: list[str] = Field(default_factory=list, description="ingest tags")

    def options(self, **more: Any) -> AskOptions:
        where = Filter(tuple(self.documents), tuple(self.types), tuple(self.tags))
        return AskOptions(k=self.k, where=where or None, **more)


class AskRequest(SearchRequest):
    session: str | None = Field(None, max_length=200, description="continue (or start) this conversation")
    evidence_only: bool | None = None
    use_cache: bool = True
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    language: Literal["zh", "en"] | None = None


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


class Api:
    """The routes' behaviour; one method per route."""

    def __init__(self, settings: Settings, services: AnswerServices, conversations: ConversationStore) -> None:
        self.settings, self.services, self.store = settings, services, conversations

    def existing(self, kb: str | None) -> AnswerService:
        """A knowledge base to read from: one that does not exist is not created by asking it."""
        name = kb or self.settings.kb
        if not kb_exists(self.settings.data_dir, name):
            raise UnknownKBError(f"no knowledge base '{name}'")
        return self.services.get(name)

    def kbs(self) -> dict[str, Any]:
        return {"default": self.settings.kb, "kbs": [{"name": name} for name in self.services.names()]}

    def documents(self, kb: str) -> dict[str, Any]:
        return {"kb": kb, "documents": self.existing(kb).kb.listing()}

    def delete_document(self, kb: str, target: str) -> dict[str, Any]:
        """`target`: a path as listed, or a document id (all of its names go)."""
        knowledge_base = self.existing(kb).kb
        with knowledge_base.writing():
            paths = knowledge_base.names_of(target)
            if not paths:
                raise UnknownKBError(f"not in knowledge base '{kb}': {target}")
            for path in paths:
                knowledge_base.forget_file(path)
        return {"kb": kb, "deleted": paths}

    def ingest(self, kb: str | None, files: list[UploadFile], tags: list[str]) -> dict[str, Any]:
        if not files or len(files) > self.settings.api.max_upload_files:
            raise HTTPException(400, f"send 1 to {self.settings.api.max_upload_files} files in the field 'files'")
        knowledge_base = self.services.get(check_kb_name(kb or self.settings.kb)).kb
        with tempfile.TemporaryDirectory(prefix="zhiku-upload-") as tmp:
            received, refused = self._receive(files, Path(tmp))
            folder = upload_folder(self.settings.data_dir, knowledge_base.name)
            tasks = refused + stage_uploads(folder, received, self.settings.ingest.max_file_mb)
            batch_size = self.settings.embedding.batch_size
            report = ingest_files(knowledge_base, tasks, self.settings.ingest, batch_size, tags=tags)
        counts = {status: len(report.by_status(status)) for status in ("ingested", "skipped", "failed")}
        return {"kb": knowledge_base.name, **counts, "results": [asdict(r) for r in report.results]}

    def _receive(self, files: list[UploadFile], folder: Path) -> tuple[list[tuple[str, Path]], list[FileTask]]:
        """Each upload to a temporary file, copied in pieces and cut off past the size limit."""
        limit = int(self.settings.ingest.max_file_mb * 2**20)
        received, refused = [], []
        for i, upload in enumerate(files):
            name, path, size = safe_filename(upload.filename or "upload"), folder / str(i), 0
            with path.open("wb") as out:
                while size <= limit and (piece := upload.file.read(1 << 20)):
                    out.write(piece)
                    size += len(piece)
            if size > limit:
                mb = self.settings.ingest.max_file_mb
                refused.append(FileTask(name, None, f"too large (more than max_file_mb {mb:g})"))
            else:
                received.append((name, path))
        return received, refused

    def search(self, body: SearchRequest) -> dict[str, Any]:
        return self.existing(body.kb).search(body.question, options=body.options()).to_json(body.question)

    def ask(self, body: AskRequest) -> dict[str, Any]:
        service = self.existing(body.kb)
        options = body.options(
            evidence_only=body.evidence_only, use_cache=body.use_cache, temperature=body.temperature,
            language=body.language,
        )  # fmt: skip
        if body.session is None:
            return service.ask(body.question, None, options).to_json()
        self.store.open(body.session, service.kb.name, API_OWNER)
        answer = service.ask(body.question, self.store.turns(body.session, API_OWNER), options)
        self.store.append(body.session, Turn(body.question, answer.answer), API_OWNER, answer.to_json())
        return {**answer.to_json(), "session": body.session}


def api_router(api: Api) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"], dependencies=[key_guard(api.settings)])
    router.add_api_route("/kbs", api.kbs, methods=["GET"], summary="Knowledge bases (shared ones)")
    router.add_api_route("/kbs/{kb}/documents", api.documents, methods=["GET"], summary="A knowledge base's files")
    router.add_api_route(
        "/kbs/{kb}/documents/{target:path}", api.delete_document, methods=["DELETE"],
        summary="Delete a document by its path or id",
    )  # fmt: skip

    @router.post("/ingest", summary="Upload files into a knowledge base (created when new)")
    def ingest(
        files: Annotated[list[UploadFile], File()], kb: Annotated[str | None, Form()] = None,
        tags: Annotated[list[str] | None, Form()] = None,
    ) -> dict[str, Any]:  # fmt: skip
        return api.ingest(kb, files, tags or [])

    router.add_api_route("/search", api.search, methods=["POST"], summary="Retrieval only")
    router.add_api_route("/ask", api.ask, methods=["POST"], summary="Answer with sources and evidence")
    return router


def install_api(app: FastAPI, settings: Settings, services: AnswerServices, conversations: ConversationStore) -> None:
    """Adds the routes, the key check, CORS (closed unless origins are configured) and the error mapping."""
    api = Api(settings, services, conversations)
    app.include_router(api_router(api))
    app.include_router(openai_router(api, key_guard(settings)))
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.api.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )  # fmt: skip

    @app.exception_handler(ZhikuError)
    def zhiku_error(request: Request, exc: ZhikuError) -> JSONResponse:
        return error_json(error_status(exc), str(exc))

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        response = error_json(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response
