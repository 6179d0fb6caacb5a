"""`POST /v1/chat/completions`: any OpenAI client (Open WebUI, a LangChain `ChatOpenAI`, curl) asks a knowledge
base as if it were a model, and gets the sources too.

The knowledge base is the `model` field (or the `X-Zhiku-KB` header, which wins; "zhiku" means the default).
The last user message is the question; earlier user/assistant pairs are the conversation's memory. The reply
is a normal chat completion plus `sources` and `zhiku` (evidence, grounding, timings): the anchors that offer
this endpoint drop the sources. Streamed (SSE), the sources come in the first chunk, then the lead answer
(quoted from the documents) as content at once, then, once the model's draft is checked, the sentences of it
that passed; the draft itself is never streamed as content. The last chunk's `zhiku.answer` is the whole content.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.engine.answer import Answer, AskOptions, Event, EventKind
from app.engine.memory import Turn
from app.engine.workspace import Workspace
from app.web.relay import ClosingStreamingResponse, last, relay
from core.errors import ZhikuError
from core.limits import check_conversation, check_question
from core.settings import LimitSettings

DEFAULT_MODEL = "zhiku"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """Plain text, also from the list-of-parts form newer clients send."""
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # OpenAI clients send many knobs that do not apply here

    model: str = Field(DEFAULT_MODEL, max_length=200)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0.0, le=2.0)

    def question_and_history(self, limits: LimitSettings) -> tuple[str, list[Turn]]:
        """Checked against the limits first: how many messages, how long together, how long the question."""
        check_conversation([m.text() for m in self.messages], limits)
        said = [(m.role, m.text()) for m in self.messages if m.role in ("user", "assistant")]
        if not said or said[-1][0] != "user" or not said[-1][1].strip():
            raise ZhikuError("the last message must be the user's question")
        history, asked = [], None
        for role, text in said[:-1]:
            if role == "user":
                asked = text
            elif asked is not None:
                history.append(Turn(asked, text))
                asked = None
        return check_question(said[-1][1].strip(), limits), history


def completion(answer: Answer, model: str, reply_id: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": answer.answer}
    return {
        "id": reply_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage(answer),
        "sources": [s.to_json() for s in answer.sources], "zhiku": extras(answer),
    }  # fmt: skip


def usage(answer: Answer) -> dict[str, int]:
    """The model's tokens, as OpenAI clients count cost: 0 when no model ran (evidence only, not found, verified,
    cached); a draft the checks held back counts (the model ran, though none of its text is shown)."""
    found = answer.usage
    return {**found, "total_tokens": found["prompt_tokens"] + found["completion_tokens"]}


def extras(answer: Answer) -> dict[str, Any]:
    found = answer.to_json()
    keys: tuple[str, ...] = ("answer", "evidence", "grounded", "flagged", "query", "cached", "timings", "lead")
    keys += ("verified", "supported", "checks")
    return {key: found[key] for key in keys}


def chunk(reply_id: str, model: str, delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
    body = {
        "id": reply_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more,
    }  # fmt: skip
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def openai_router(workspace: Workspace, guard: Any, limits: LimitSettings) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[guard])

    @router.get("/models", summary="The knowledge bases, as models")
    def models() -> dict[str, Any]:
        names = [DEFAULT_MODEL, *workspace.names()]
        return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "zhiku"} for n in names]}

    @router.post("/chat/completions", summary="Answer from a knowledge base, OpenAI-style, with sources")
    async def chat(
        body: ChatRequest, request: Request, x_zhiku_kb: Annotated[str | None, Header(max_length=200)] = None
    ) -> Any:
        """Async, so the answer runs in a thread of its own (`relay.py`): a client that goes away stops it."""
        question, history = body.question_and_history(limits)
        kb = x_zhiku_kb or (None if body.model == DEFAULT_MODEL else body.model)
        service = await run_in_threadpool(workspace.existing, kb)  # a 404 before any stream starts
        options = AskOptions(temperature=body.temperature)
        reply_id, model = f"chatcmpl-{uuid.uuid4().hex}", body.model
        events = relay(service.stream(question, history, options), request.is_disconnected)
        if not body.stream:
            done: Event = await last(events)
            return completion(done.data, model, reply_id)

        async def sse() -> AsyncIterator[str]:
            yield chunk(reply_id, model, {"role": "assistant", "content": ""})
            try:
                async for event in events:
                    if event.kind == EventKind.SOURCES:
                        yield chunk(reply_id, model, {}, sources=[s.to_json() for s in event.data.sources])
                    elif event.kind == EventKind.TOKEN:
                        yield chunk(reply_id, model, {"content": event.data})
                    elif event.kind == EventKind.DONE:
                        done: Answer = event.data
                        sources = [s.to_json() for s in done.sources]
                        yield chunk(reply_id, model, {}, "stop", sources=sources, zhiku=extras(done), usage=usage(done))
            except ZhikuError as exc:  # the status line is sent already: the error travels as an event
                yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n"
            finally:
                await events.aclose()  # the answer's thread stops with the stream
            yield "data: [DONE]\n\n"

        return ClosingStreamingResponse(sse(), media_type="text/event-stream")

    return router
