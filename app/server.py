"""The web service: one FastAPI application with the chat page mounted once per interface language.

The configured language is served at `/`, the other at `/zh` or `/en`, and each page links to the other:
switching is a link, and both pages share the answering service, the conversations and the browser's owner id.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing leaves 127.0.0.1

import gradio as gr
import uvicorn
from fastapi import FastAPI

from app.api import install_api
from app.auth import Authenticator
from app.chat_page import ChatPage
from app.conversations import ConversationStore
from app.services import AnswerServices, ensure_sample_kb
from app.ui_text import LABELS
from core.settings import Settings


def page_paths(default: str) -> dict[str, str]:
    """Interface language -> where its page is served; the configured one at the root."""
    return {lang: "/" if lang == default else f"/{lang}" for lang in LABELS}


def create_app(settings: Settings) -> FastAPI:
    services = AnswerServices(settings)
    kb = services.get(settings.kb).kb
    report = ensure_sample_kb(settings, kb)
    if report is not None:
        print(f"sample knowledge base: {len(report.by_status('ingested'))} documents ingested into '{kb.name}'")
    conversations = ConversationStore.in_data_dir(settings.data_dir)
    app = FastAPI(title="Zhiku", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "kb": kb.name}

    auth = Authenticator(settings.auth) if settings.auth.enabled else None
    install_api(app, settings, services, conversations)  # before the page: a mount at "/" takes every path
    paths = page_paths(settings.server.ui_language)
    # The root page last: a mount at "/" would shadow every path mounted after it.
    for lang in sorted(paths, key=lambda code: paths[code] == "/"):
        other = next(p.rstrip("/") + "/" for code, p in paths.items() if code != lang)
        blocks = ChatPage(settings, services, conversations, lang).build(other_language_url=other)
        blocks.queue(default_concurrency_limit=1)
        gr.mount_gradio_app(app, blocks, path=paths[lang], footer_links=[], auth=auth)
    return app


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    host = host or settings.server.host
    port = port or settings.server.port
    print(f"Zhiku: http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
