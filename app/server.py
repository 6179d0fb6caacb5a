"""The chat page (Gradio Blocks): streamed answers with sources, persisted conversations, upload into the KB."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing leaves 127.0.0.1

import html
import re
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from app.answer import Answer, AnswerService
from app.conversations import ConversationStore, Entry
from app.export import conversation_markdown
from app.memory import Turn
from app.render import answer_markdown, finished_markdown
from app.services import ensure_sample_kb, open_kb
from app.ui_text import LABELS
from core.errors import ZhikuError
from core.settings import Settings
from ingest.pipeline import FileResult, FileTask, IngestReport, ingest_files

ChatHistory = list[dict[str, Any]]


def safe_filename(name: str) -> str:
    """Keep the visible name (Chinese included) but never a path: uploads cannot escape the upload folder."""
    base = Path(name).name.strip().lstrip(".")
    return re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", base) or "upload"


class ChatPage:
    """The page's behaviour, one method per event, so each can be driven without a browser (gradio_client)."""

    def __init__(self, settings: Settings, service: AnswerService, conversations: ConversationStore) -> None:
        self.settings = settings
        self.service = service
        self.store = conversations
        self.labels = LABELS[settings.server.ui_language]

    # -- conversations: persisted per owner, so memory follows the conversation, not the tab -------------
    def start(self, remembered: str | None) -> tuple[str, str, gr.Radio]:
        """Page load: this browser's owner id (kept in its localStorage) and its conversations."""
        owner = remembered or new_owner()
        return owner, owner, self.conversation_list(owner, "")

    def conversation_list(self, owner: str, selected: str) -> gr.Radio:
        found = self.store.list(owner, kb=self.service.kb.name) if owner else []
        choices = [(c.title or self.labels["untitled"], c.id) for c in found]
        return gr.Radio(choices=choices, value=selected or None)

    def open_conversation(self, conversation_id: str | None, owner: str) -> tuple[ChatHistory, str]:
        if not conversation_id:
            return [], ""
        chat: ChatHistory = []
        for entry in self.store.entries(conversation_id, owner):
            chat += [{"role": "user", "content": entry.question}, {"role": "assistant", "content": self._shown(entry)}]
        return chat, conversation_id

    def _shown(self, entry: Entry) -> str:
        if not entry.detail:
            return html.escape(entry.answer)
        return finished_markdown(Answer.from_json(entry.detail), self.labels)

    def new_chat(self, owner: str) -> tuple[ChatHistory, str, str, gr.Radio]:
        return [], "", "", self.conversation_list(owner, "")

    def rename(self, conversation_id: str, title: str, owner: str) -> tuple[str, gr.Radio]:
        if conversation_id and title.strip():
            self.store.rename(conversation_id, title.strip(), owner)
        return "", self.conversation_list(owner, conversation_id)

    def delete(self, conversation_id: str, owner: str) -> tuple[ChatHistory, str, gr.Radio]:
        if conversation_id:
            self.store.delete(conversation_id, owner)
        return [], "", self.conversation_list(owner, "")

    def export(self, conversation_id: str, owner: str) -> str | None:
        """A Markdown file of the conversation, in a fresh temporary folder (Gradio serves files from there)."""
        conversation = self.store.get(conversation_id, owner) if conversation_id else None
        if conversation is None:
            return None
        text = conversation_markdown(conversation, self.store.entries(conversation.id, owner), self.labels)
        path = Path(tempfile.mkdtemp(prefix="zhiku-export-")) / safe_filename(f"{conversation.title or 'chat'}.md")
        path.write_text(text, encoding="utf-8")
        return str(path)

    # -- asking ------------------------------------------------------------------------------------
    def respond(
        self, message: str, chat: ChatHistory, conversation_id: str, owner: str
    ) -> Iterator[tuple[ChatHistory, str, str, str, Any]]:
        """Streams the answer; the turn is stored with its sources once done, and the list shows it."""
        message = (message or "").strip()
        owner = owner or new_owner()  # an API client has no browser storage: one owner per session
        if not message:
            yield chat, conversation_id, owner, "", gr.skip()
            return
        if not conversation_id:
            conversation_id = self.store.create(self.service.kb.name, owner).id
        history = self.store.turns(conversation_id, owner)
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        text, sources, query = "", [], message
        try:
            for event in self.service.stream(message, history):
                if event.kind == "sources":
                    sources, query = event.data.sources, event.data.query
                elif event.kind == "token":
                    text += event.data
                elif event.kind == "replace":
                    text = event.data
                else:
                    done = event.data
                    self.store.append(conversation_id, Turn(message, done.answer), owner, done.to_json())
                    chat[-1]["content"] = finished_markdown(done, self.labels)
                    yield chat, conversation_id, owner, "", self.conversation_list(owner, conversation_id)
                    return
                chat[-1]["content"] = answer_markdown(text, sources, self.labels, query, None)
                yield chat, conversation_id, owner, "", gr.skip()
        except ZhikuError as exc:
            chat[-1]["content"] = self.labels["error"].format(error=html.escape(str(exc)))
            yield chat, conversation_id, owner, "", gr.skip()

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        """Uploads go through the same pipeline as `python -m ingest`, with its progress shown in the page."""
        folder = self.settings.data_dir / "uploads" / self.service.kb.name
        folder.mkdir(parents=True, exist_ok=True)
        tasks = []
        for tmp in files or []:
            stored = folder / safe_filename(Path(tmp).name)
            shutil.copyfile(tmp, stored)
            tasks.append(FileTask(stored.name, stored))

        def show(report: IngestReport, result: FileResult | None) -> None:
            done = len(report.results)
            progress((done, report.files_total), desc=f"{done}/{report.files_total} · {report.chunks} chunks")

        try:
            report = ingest_files(
                self.service.kb, tasks, self.settings.ingest, self.settings.embedding.batch_size, show
            )
        except ZhikuError as exc:
            return self.labels["error"].format(error=exc), self.documents_markdown()
        lines = []
        for result in report.results:
            detail = f": {result.error}" if result.error else f" ({result.pages} p., {result.chunks} chunks)"
            detail = f": {result.note}" if result.status == "skipped" and result.note else detail
            lines.append(f"- {result.source} — {self.labels[result.status]}{detail}")
        return "\n".join(lines), self.documents_markdown()

    def documents_markdown(self) -> str:
        docs = self.service.kb.sources()
        return "\n".join(f"- {d}" for d in docs) if docs else self.labels["empty_docs"]

    def build(self) -> gr.Blocks:
        L = self.labels
        secret = browser_secret(self.settings.data_dir)
        with gr.Blocks(title=L["title"]) as demo:
            gr.Markdown(f"# {L['title']}\n{L['subtitle'].format(kb=self.service.kb.name)}")
            remembered = gr.BrowserState("", storage_key="zhiku-owner", secret=secret)
            owner, conversation = gr.State(""), gr.State("")
            with gr.Row():
                with gr.Column(scale=1, min_width=220):
                    new_chat = gr.Button(L["new_chat"], elem_id="new-chat")
                    conversations = gr.Radio(label=L["conversations"], choices=[], elem_id="conversations")
                    title = gr.Textbox(placeholder=L["rename_hint"], show_label=False, elem_id="rename-title")
                    with gr.Row():
                        rename = gr.Button(L["rename"], size="sm", elem_id="rename")
                        delete = gr.Button(L["delete"], size="sm", variant="stop", elem_id="delete-chat")
                    export = gr.DownloadButton(L["export"], size="sm", elem_id="export")
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=560, elem_id="chat", label=L["title"])
                    with gr.Row():
                        box = gr.Textbox(placeholder=L["placeholder"], show_label=False, scale=5, elem_id="question")
                        send = gr.Button(L["send"], variant="primary", scale=1, elem_id="send")
                with gr.Column(scale=1):
                    files = gr.File(label=L["upload"], file_count="multiple", elem_id="upload")
                    upload_status = gr.Markdown(elem_id="upload-status")
                    gr.Markdown(f"**{L['documents']}**")
                    docs = gr.Markdown(self.documents_markdown, elem_id="documents")
            demo.load(self.start, [remembered], [remembered, owner, conversations], api_name=False)
            asked = [chatbot, conversation, owner, box, conversations]
            send.click(self.respond, [box, chatbot, conversation, owner], asked, api_name="chat")
            box.submit(self.respond, [box, chatbot, conversation, owner], asked, api_name=False)
            new_chat.click(self.new_chat, [owner], [chatbot, conversation, box, conversations], api_name="new_chat")
            opened = [chatbot, conversation]
            conversations.input(self.open_conversation, [conversations, owner], opened, api_name="open_conversation")
            rename.click(self.rename, [conversation, title, owner], [title, conversations], api_name="rename")
            delete.click(self.delete, [conversation, owner], [chatbot, conversation, conversations], api_name="delete")
            export.click(self.export, [conversation, owner], [export], api_name="export")
            files.upload(self.upload, files, [upload_status, docs], api_name="upload")
        return demo


def new_owner() -> str:
    return uuid.uuid4().hex


def browser_secret(data_dir: Path) -> str:
    """The key the owner id is encrypted with in the browser's storage; kept in the data dir so a restart
    does not make every browser a stranger to its own conversations."""
    path = data_dir / "browser_secret"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build_app(settings: Settings) -> gr.Blocks:
    kb = open_kb(settings)
    report = ensure_sample_kb(settings, kb)
    if report is not None:
        print(f"sample knowledge base: {len(report.by_status('ingested'))} documents ingested into '{kb.name}'")
    conversations = ConversationStore.in_data_dir(settings.data_dir)
    return ChatPage(settings, AnswerService(settings, kb), conversations).build()


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=1).launch(
        server_name=host or settings.server.host, server_port=port or settings.server.port, share=False
    )
