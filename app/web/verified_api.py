"""The API of issue 22: a knowledge base's verified answers (`/api/kbs/{kb}/verified`) and feedback on answers
(`POST /api/feedback`). Thin over the engine: every route reaches its knowledge base through the `Workspace`, so a
private one is refused here as everywhere; behind the same key check as the rest of `/api`. A key holder may
verify (a key is the service's own trust); the page's users as `verified.editors` says (docs/decisions/verified.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from app.engine.verified.files import MAX_SOURCES, Row, add_verified, check_texts, resolve_source
from app.engine.verified.manage import check_feedback, record_feedback
from app.engine.workspace import Workspace
from core.errors import UnknownKBError
from core.kb.feedback import Rating
from core.kb.verified import VerifiedStatus
from core.settings import Settings

KbName = Annotated[str, PathParam(max_length=64)]
VerifiedId = Annotated[str, PathParam(max_length=64)]
API_BY = "api"


class SourceIn(BaseModel):
    document: str = Field(min_length=1, max_length=1000, description="path, file name or document id")
    page: int | None = Field(None, ge=0, le=1_000_000)
    text: str = Field("", max_length=20_000, description="the passage ticked; only its hash is kept")


class VerifiedIn(BaseModel):
    question: str = Field(min_length=1, description="at most limits.question_chars characters")
    answer: str = Field(min_length=1, description="at most limits.answer_chars characters")
    sources: list[SourceIn] = Field(default_factory=list, max_length=MAX_SOURCES)
    by: str = Field("", max_length=100, description="who vouches for it (default: 'api')")


class ConfirmIn(BaseModel):
    by: str = Field("", max_length=100)


class FeedbackIn(BaseModel):
    kb: str | None = Field(None, max_length=64)
    rating: Literal["up", "down"]
    question: str = Field(min_length=1)
    answer: str = Field("", description="the answer as it was shown")
    reason: str = ""
    sources: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    by: str = Field("", max_length=100)


class VerifiedApi:
    def __init__(self, settings: Settings, workspace: Workspace) -> None:
        self.settings, self.workspace = settings, workspace

    def listing(self, kb: KbName, status: VerifiedStatus | None = None) -> dict[str, Any]:
        store = self.workspace.existing(kb).kb.verified
        return {"kb": kb, "verified": [v.to_json() for v in store.answers(status)]}

    def add(self, kb: KbName, body: VerifiedIn) -> dict[str, Any]:
        check_texts(body.question, body.answer, self.settings.limits)
        knowledge_base = self.workspace.existing(kb).kb
        sources = tuple(resolve_source(knowledge_base, s.document, s.page, s.text) for s in body.sources)
        (item,) = add_verified(knowledge_base, [Row(body.question, body.answer, sources)], body.by or API_BY)
        return {"kb": kb, "verified": item.to_json()}

    def delete(self, kb: KbName, verified_id: VerifiedId) -> dict[str, Any]:
        if not self.workspace.existing(kb).kb.verified.delete(verified_id):
            raise UnknownKBError(f"no verified answer '{verified_id}' in knowledge base '{kb}'")
        return {"kb": kb, "deleted": verified_id}

    def confirm(self, kb: KbName, verified_id: VerifiedId, body: ConfirmIn) -> dict[str, Any]:
        store = self.workspace.existing(kb).kb.verified
        if not store.confirm(verified_id, body.by or API_BY):
            raise UnknownKBError(f"no verified answer '{verified_id}' in knowledge base '{kb}'")
        item = store.get(verified_id)
        return {"kb": kb, "verified": item.to_json() if item else None}

    def feedback(self, body: FeedbackIn) -> dict[str, Any]:
        check_feedback(body.question, body.answer, body.reason, self.settings.limits)  # before opening the KB
        service = self.workspace.existing(body.kb)
        entry = record_feedback(
            service.feedback, Rating(body.rating), body.question, body.answer, body.sources, body.reason,
            body.by or API_BY, self.settings.limits,
        )  # fmt: skip
        return {"kb": service.kb.name, "id": entry}


def verified_router(api: VerifiedApi, guard: Any) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["verified"], dependencies=[guard])
    base = "/kbs/{kb}/verified"
    router.add_api_route(base, api.listing, methods=["GET"], summary="Verified answers (?status=to_review)")
    router.add_api_route(base, api.add, methods=["POST"], summary="Add a verified answer")
    router.add_api_route(base + "/{verified_id}", api.delete, methods=["DELETE"], summary="Delete a verified answer")
    router.add_api_route(
        base + "/{verified_id}/confirm", api.confirm, methods=["POST"], summary="Serve a flagged answer again"
    )
    router.add_api_route("/feedback", api.feedback, methods=["POST"], summary="👍/👎 on an answer")
    return router
