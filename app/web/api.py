"""The HTTP API beside the chat page: the same answering engine, for scripts and other tools.

Every route names its knowledge base and goes through the engine's `Workspace`, so a private knowledge base
is refused here exactly as in the page. The JSON of `/api/ask` and `/api/search` is that of
`python -m app ask|search --json`; errors have one shape (`errors.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.engine.answer import Answer, AskOptions, Event
from app.engine.query import Filter
from app.engine.sessions import Sessions, UnsavedTurnError
from app.engine.workspace import Workspace
from app.web.errors import error_body
from app.web.page.documents import page_caches
from app.web.relay import last, relay
from core.errors import UnknownKBError, ZhikuError
from core.kb import check_kb_name
from core.limits import TooLargeError, check_items, check_question
from core.settings import LimitSettings, Settings
from ingest.pipeline import ingest_files
from ingest.report import FileTask, Status
from ingest.uploads import (
    delete_with_copies,
    name_refusal,
    safe_filename,
    shown_name,
    stage_uploads,
    staging,
    upload_folder,
)

API_OWNER = "api"  # conversations started through the API (`session`) belong to API callers, not page users
KB_NAME = 64  # characters: longer cannot name a knowledge base (core.kb.check_kb_name), and is not repeated back
KbName = Annotated[str, PathParam(max_length=KB_NAME)]
Target = Annotated[str, PathParam(max_length=1000)]


class SearchRequest(BaseModel):
    question: str = Field(min_length=1, description="at most limits.question_chars characters")
    kb: str | None = Field(None, max_length=KB_NAME)
    k: int | None = Field(None, ge=1, le=100)
    documents: list[str] = Field(default_factory=list, description="paths, file names or document ids")
    types: list[str] = Field(default_factory=list, description='file types, e.g. "pdf"')
    tags: list[str] = Field(default_factory=list, description="ingest tags")

    def checked(self, limits: LimitSettings) -> None:
        """The configured limits, before any work: the length is known before the question is embedded."""
        check_question(self.question, limits)
        for field in ("documents", "types", "tags"):
            check_items(field, getattr(self, field), limits)

    def options(self, **more: Any) -> AskOptions:
        where = Filter(tuple(self.documents), tuple(self.types), tuple(self.tags))
        return AskOptions(k=self.k, where=where or None, **more)


class AskRequest(SearchRequest):
    session: str | None = Field(None, max_length=200, description="continue (or start) this conversation")
    evidence_only: bool | None = None
    use_cache: bool = True
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    language: Literal["zh", "en"] | None = None


class Api:
    """The routes' behaviour; one method per route."""

    def __init__(self, settings: Settings, workspace: Workspace, sessions: Sessions) -> None:
        self.settings, self.workspace, self.sessions = settings, workspace, sessions

    def kbs(self) -> dict[str, Any]:
        return {"default": self.settings.kb, "kbs": [{"name": name} for name in self.workspace.names()]}

    def documents(self, kb: KbName) -> dict[str, Any]:
        return {"kb": kb, "documents": self.workspace.existing(kb).kb.listing()}

    def delete_document(self, kb: KbName, target: Target) -> dict[str, Any]:
        """`target`: a path as listed, or a document id (all of its names go), with every copy of it."""
        knowledge_base = self.workspace.existing(kb).kb
        paths = delete_with_copies(knowledge_base, [target], self.settings.dirs, page_caches())[target]
        if not paths:
            raise UnknownKBError(f"not in knowledge base '{kb}': {target}")
        return {"kb": kb, "deleted": paths}

    def ingest(self, kb: str | None, files: list[UploadFile], tags: list[str]) -> dict[str, Any]:
        most = self.settings.api.max_upload_files
        if len(files) > most:
            raise TooLargeError(f"{len(files):,} files, at most {most} per upload (api.max_upload_files)")
        if not files:
            raise HTTPException(400, f"send 1 to {most} files in the field 'files'")
        check_items("tags", tags, self.settings.limits)
        name = check_kb_name(kb or self.settings.kb)
        with staging() as tmp:
            received, refused = self._receive(files, tmp)
            if not received:  # nothing to ingest: refused before a knowledge base is made for nothing
                raise refusal(refused)
            knowledge_base = self.workspace.get(name).kb
            folder = upload_folder(self.settings.dirs, knowledge_base.name)
            tasks = refused + stage_uploads(folder, received, self.settings.ingest.max_file_mb)
            batch_size = self.settings.embedding.batch_size
            report = ingest_files(knowledge_base, tasks, self.settings.ingest, batch_size, tags=tags)
        counts = {s.value: len(report.by_status(s)) for s in (Status.INGESTED, Status.SKIPPED, Status.FAILED)}
        return {"kb": knowledge_base.name, **counts, "results": [asdict(r) for r in report.results]}

    def _receive(self, files: list[UploadFile], folder: Path) -> tuple[list[tuple[str, Path]], list[FileTask]]:
        """Each upload to a temporary file, copied in pieces and cut off past the size limit; a name the file
        system cannot hold is refused unread."""
        limit = int(self.settings.ingest.max_file_mb * 2**20)
        received, refused = [], []
        for i, upload in enumerate(files):
            name, path, size = safe_filename(upload.filename or "upload"), folder / str(i), 0
            if reason := name_refusal(name):
                refused.append(FileTask(shown_name(name), None, reason))
                continue
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
        body.checked(self.settings.limits)
        return self.workspace.existing(body.kb).search(body.question, options=body.options()).to_json(body.question)

    async def ask(self, body: AskRequest, request: Request) -> Any:
        """Async, so the answer runs in a thread of its own (`relay.py`): a client that goes away stops it. An
        answer whose turn the conversation could not keep (a full disk) is a 507 that still carries the answer."""
        body.checked(self.settings.limits)
        options = body.options(
            evidence_only=body.evidence_only, use_cache=body.use_cache, temperature=body.temperature,
            language=body.language,
        )  # fmt: skip
        session: list[str] = []

        def answering() -> Iterator[Event]:
            service = self.workspace.existing(body.kb)
            if body.session is None:
                yield from service.stream(body.question, None, options)
                return
            session.append(self.sessions.open(body.session, service.kb.name, API_OWNER))
            yield from self.sessions.stream(service, session[0], body.question, options, API_OWNER)

        try:
            done = await last(relay(answering(), request.is_disconnected))
        except UnsavedTurnError as exc:
            message = f"{exc} (the answer is in `answer`)"
            return JSONResponse(
                {**error_body(507, message), "answer": {**exc.answer.to_json(), "session": session[0]}}, 507
            )
        answer: Answer = done.data
        return {**answer.to_json(), "session": session[0]} if session else answer.to_json()


def refusal(refused: list[FileTask]) -> ZhikuError:
    """Every file of an upload refused: 413 when all were too large, else 400; each file named with its reason."""
    said = "; ".join(f"{task.source}: {task.error}" for task in refused[:5])
    more = f"; and {len(refused) - 5} more" if len(refused) > 5 else ""
    too_large = all(task.error.startswith("too large") for task in refused)
    return (TooLargeError if too_large else ZhikuError)(f"nothing ingested: {said}{more}")


def api_router(api: Api, guard: Any) -> APIRouter:
    """`guard`: the key check (`keys.key_guard`), run before each route."""
    router = APIRouter(prefix="/api", tags=["api"], dependencies=[guard])
    router.add_api_route("/kbs", api.kbs, methods=["GET"], summary="Knowledge bases (shared ones)")
    router.add_api_route("/kbs/{kb}/documents", api.documents, methods=["GET"], summary="A knowledge base's files")
    router.add_api_route(
        "/kbs/{kb}/documents/{target:path}", api.delete_document, methods=["DELETE"],
        summary="Delete a document by its path or id",
    )  # fmt: skip

    @router.post("/ingest", summary="Upload files into a knowledge base (created when new)")
    def ingest(
        files: Annotated[list[UploadFile], File()], kb: Annotated[str | None, Form(max_length=KB_NAME)] = None,
        tags: Annotated[list[str] | None, Form()] = None,
    ) -> dict[str, Any]:  # fmt: skip
        return api.ingest(kb, files, tags or [])

    router.add_api_route("/search", api.search, methods=["POST"], summary="Retrieval only")
    router.add_api_route("/ask", api.ask, methods=["POST"], summary="Answer with sources and evidence")
    return router
