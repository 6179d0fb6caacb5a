"""What every handler of the chat page shares: the engine, the labels of its language, and who is asking.

The page keeps no state of its own: a session's knowledge base, conversation and owner id travel in Gradio
state, and every read goes through the engine's `Workspace`, which enforces who may use which knowledge base.
"""

from __future__ import annotations

import html
import secrets
import uuid
from dataclasses import dataclass

import gradio as gr

from app.engine.service import AnswerService
from app.engine.sessions import Sessions
from app.engine.workspace import Workspace
from app.web.page.labels import LABELS
from core.datadir import DataDir
from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.settings import Settings


@dataclass(frozen=True)
class PageContext:
    settings: Settings
    workspace: Workspace
    sessions: Sessions
    language: str

    @property
    def labels(self) -> dict[str, str]:
        return LABELS[self.language]

    def service(self, kb: str, request: gr.Request | None) -> AnswerService:
        """The session's knowledge base (a `gr.State`, so each browser tab may work in its own), for the
        signed-in user: another user's private one raises AccessDeniedError, whatever the page shows."""
        return self.workspace.get(kb or self.settings.kb, self.user(request))

    def user(self, request: gr.Request | None) -> str | None:
        """The signed-in user, only when sign-in is on: signed in with an API key (`keys.KeySignIn`), the name
        typed is nobody's, and the page works as it does without sign-in."""
        return user_of(request) if self.settings.auth.enabled else None

    def kb(self, kb: str, request: gr.Request | None) -> KnowledgeBase:
        return self.service(kb, request).kb

    def who(self, owner: str, request: gr.Request | None) -> str:
        """Whose conversations: the signed-in user's, else this browser's id (kept in its storage)."""
        user = self.user(request)
        return f"user:{user}" if user else owner

    def kb_choices(self, selected: str, request: gr.Request | None) -> gr.Dropdown:
        """The knowledge bases this user may open, `selected` picked."""
        return gr.Dropdown(choices=self.workspace.names(self.user(request)), value=selected)

    def error(self, message: str) -> str:
        return self.labels["error"].format(error=html.escape(message))


def plain_error(exc: Exception) -> str:
    """Zhiku's own errors are written for users; anything else is named by its type, never a traceback."""
    return str(exc) if isinstance(exc, ZhikuError) else f"{type(exc).__name__}: {exc}"


def user_of(request: gr.Request | None) -> str | None:
    """The signed-in user's name; None when sign-in is off (or outside a request)."""
    return getattr(request, "username", None) or None


def new_owner() -> str:
    return uuid.uuid4().hex


def browser_secret(data_dir: DataDir) -> str:
    """The key the owner id is encrypted with in the browser's storage; kept in the data dir so a restart
    does not make every browser a stranger to its own conversations."""
    path = data_dir.browser_secret
    if not path.is_file():
        data_dir.root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
