"""The web service: one FastAPI application with the API routes and the chat page mounted once per interface
language.

The configured language is served at `/`, the other at `/zh` or `/en`, and each page links to the other:
switching is a link, and both pages share the answering engine, the conversations and the browser's owner id.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing leaves 127.0.0.1

import anyio
import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.engine.conversations import ConversationStore
from app.engine.folders import FolderWatches
from app.engine.sessions import Sessions
from app.engine.workspace import Workspace
from app.web.api import Api, api_router
from app.web.auth import Authenticator
from app.web.doors import Doors, check_exposure
from app.web.errors import ErrorShape, install_error_handlers
from app.web.keys import KeySignIn, key_guard
from app.web.openai_api import openai_router
from app.web.page import PAGE_CSS, PAGE_HEAD, build_page
from app.web.page.labels import LABELS
from app.web.throttle import Throttle
from app.web.verified_api import VerifiedApi, verified_router
from core.settings import Settings
from ingest.report import Status
from ingest.uploads import sweep_staging


def page_paths(default: str) -> dict[str, str]:
    """Interface language -> where its page is served; the configured one at the root."""
    return {lang: "/" if lang == default else f"/{lang}" for lang in LABELS}


def install_api(app: FastAPI, settings: Settings, workspace: Workspace, sessions: Sessions, throttle: Throttle) -> None:
    """The routes, the key check and the error mapping."""
    guard = key_guard(settings, throttle)
    app.include_router(api_router(Api(settings, workspace, sessions), guard))
    app.include_router(openai_router(workspace, guard, settings.limits))
    app.include_router(verified_router(VerifiedApi(settings, workspace), guard))  # issue 22
    install_error_handlers(app)


def install_middleware(
    app: FastAPI, settings: Settings, throttle: Throttle, mounts: list[str], host: str | None
) -> None:
    """Outermost first: CORS (closed unless origins are configured; outermost so a refusal below still carries
    its headers to an allowed origin), the doors (Host, Origin, lockout, body size), the one error shape."""
    app.add_middleware(ErrorShape)
    app.add_middleware(
        Doors, settings=settings, throttle=throttle, login_paths={f"{m}/login" for m in mounts},
        upload_paths={"/api/ingest", *(f"{m}/gradio_api/upload" for m in mounts)}, hosts={host} if host else set(),
    )  # fmt: skip
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.api.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )  # fmt: skip


def page_sign_in(settings: Settings) -> Authenticator | KeySignIn | None:
    """Who may use the page: users (sign-in on); else, while API keys are set, the holder of a key, so the
    page's Gradio endpoints are no way around the keys; else anyone who reaches it (127.0.0.1 by default)."""
    if settings.auth.enabled:
        return Authenticator(settings.auth)
    return KeySignIn(settings.api.keys) if settings.api.keys else None


def create_app(settings: Settings, host: str | None = None) -> FastAPI:
    """`host`: the address `serve` listens on, a name the Host check accepts besides the configured ones."""
    workspace = Workspace(settings)
    for name in workspace.recover():  # what a killed server left half done (issue 19, item 9)
        print(f"knowledge base '{name}': finished what an interrupted run left half done")
    sweep_staging()  # the upload folders a killed server left in the temp dir
    report = workspace.ensure_sample()
    kb = workspace.get().kb
    if report is not None:
        print(f"sample knowledge base: {len(report.by_status(Status.INGESTED))} documents ingested into '{kb.name}'")
    sessions = Sessions(ConversationStore.in_data_dir(settings.data_dir))
    watches = FolderWatches(settings, workspace)  # ingest.watch (issue 20, item 5)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watches.start()
        yield
        await anyio.to_thread.run_sync(watches.stop)

    app = FastAPI(title="Zhiku", docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "kb": kb.name}

    throttle = Throttle(settings.auth)
    auth = page_sign_in(settings)
    install_api(app, settings, workspace, sessions, throttle)  # before the page: a mount at "/" takes every path
    paths = page_paths(settings.server.ui_language)
    # The root page last: a mount at "/" would shadow every path mounted after it.
    for lang in sorted(paths, key=lambda code: paths[code] == "/"):
        other = next(p.rstrip("/") + "/" for code, p in paths.items() if code != lang)
        blocks = build_page(settings, workspace, sessions, lang, other_language_url=other)
        blocks.queue(default_concurrency_limit=1)
        message = LABELS[lang]["key_sign_in"] if isinstance(auth, KeySignIn) else None
        # No Gradio max_file_size: it would refuse the whole upload for one file over ingest.max_file_mb, where the
        # pipeline fails that file alone and ingests the others; limits.upload_mb bounds the request (doors.py).
        gr.mount_gradio_app(
            app, blocks, path=paths[lang], footer_links=[], auth=auth, auth_message=message,
            head=PAGE_HEAD, css=PAGE_CSS,
        )  # fmt: skip
    install_middleware(app, settings, throttle, [path.rstrip("/") for path in paths.values()], host)
    return app


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    host = host or settings.server.host
    port = port or settings.server.port
    check_exposure(settings, host)  # before anything listens
    print(f"Zhiku: http://{host}:{port}/")
    proxies = settings.server.forwarded_allow_ips
    uvicorn.run(
        create_app(settings, host), host=host, port=port, log_level="warning", proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )  # fmt: skip
