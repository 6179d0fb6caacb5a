"""The chat page (Gradio Blocks): streamed answers with sources and the cited page, persisted conversations,
per-question settings, and the knowledge base's documents (upload, delete, re-ingest, restrict a question)."""

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

from app.answer import Answer, AnswerService, AskOptions
from app.conversations import ConversationStore, Entry
from app.export import conversation_markdown
from app.memory import Turn
from app.page_view import locate, passage_html, render_pdf_page
from app.render import answer_markdown, finished_markdown
from app.retrieval import Filter
from app.ui_text import LABELS
from core.errors import ZhikuError
from core.settings import Settings
from core.store import KnowledgeBase
from ingest.pipeline import FileResult, FileTask, IngestReport, ingest_files

ChatHistory = list[dict[str, Any]]
LANGUAGES = ("auto", "zh", "en")


def safe_filename(name: str) -> str:
    """Keep the visible name (Chinese included) but never a path: uploads cannot escape the upload folder."""
    base = Path(name).name.strip().lstrip(".")
    return re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", base) or "upload"


class ChatPage:
    """The page's behaviour, one method per event, so each can be driven without a browser (gradio_client)."""

    def __init__(
        self, settings: Settings, service: AnswerService, conversations: ConversationStore, language: str
    ) -> None:
        self.settings = settings
        self.service = service
        self.store = conversations
        self.language = language
        self.labels = LABELS[language]

    @property
    def kb(self) -> KnowledgeBase:
        return self.service.kb

    # -- conversations: persisted per owner, so memory follows the conversation, not the tab -------------
    def start(self, remembered: str | None) -> tuple[str, str, gr.Radio]:
        """Page load: this browser's owner id (kept in its localStorage) and its conversations."""
        owner = remembered or new_owner()
        return owner, owner, self.conversation_list(owner, "")

    def conversation_list(self, owner: str, selected: str) -> gr.Radio:
        found = self.store.list(owner, kb=self.kb.name) if owner else []
        choices = [(c.title or self.labels["untitled"], c.id) for c in found]
        return gr.Radio(choices=choices, value=selected or None)

    def open_conversation(self, conversation_id: str | None, owner: str) -> tuple[ChatHistory, str, Any, Any]:
        if not conversation_id:
            return [], "", self.source_choices(None), None
        chat: ChatHistory = []
        last: dict[str, Any] | None = None
        for entry in self.store.entries(conversation_id, owner):
            chat += [{"role": "user", "content": entry.question}, {"role": "assistant", "content": self._shown(entry)}]
            last = entry.detail or None
        return chat, conversation_id, self.source_choices(last), last

    def _shown(self, entry: Entry) -> str:
        if not entry.detail:
            return html.escape(entry.answer)
        return finished_markdown(Answer.from_json(entry.detail), self.labels)

    def new_chat(self, owner: str) -> tuple[ChatHistory, str, str, gr.Radio, Any, None]:
        return [], "", "", self.conversation_list(owner, ""), self.source_choices(None), None

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
    def options(
        self, top_k: float | None, evidence_only: bool | None, temperature: float | None, language: str | None,
        restrict: list[str] | None,
    ) -> AskOptions:  # fmt: skip
        """The settings panel's choices for one question; an unset control keeps the configured value."""
        return AskOptions(
            k=int(top_k) if top_k else None,
            evidence_only=evidence_only,
            temperature=temperature,
            language=language if language in ("zh", "en") else None,
            where=Filter(documents=tuple(restrict)) if restrict else None,
        )

    def respond(
        self, message: str, chat: ChatHistory, conversation_id: str, owner: str,
        top_k: float | None = None, evidence_only: bool | None = None, temperature: float | None = None,
        language: str | None = None, restrict: list[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:  # fmt: skip
        """Streams the answer; the turn is stored with its sources once done, and the list shows it."""
        message = (message or "").strip()
        owner = owner or new_owner()  # an API client has no browser storage: one owner per session
        if not message:
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
            return
        if not conversation_id:
            conversation_id = self.store.create(self.kb.name, owner).id
        history = self.store.turns(conversation_id, owner)
        options = self.options(top_k, evidence_only, temperature, language, restrict)
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        text, sources, query = "", [], message
        try:
            for event in self.service.stream(message, history, options):
                if event.kind == "sources":
                    sources, query = event.data.sources, event.data.query
                elif event.kind == "token":
                    text += event.data
                elif event.kind == "replace":
                    text = event.data
                else:
                    done: Answer = event.data
                    detail = done.to_json()
                    self.store.append(conversation_id, Turn(message, done.answer), owner, detail)
                    chat[-1]["content"] = finished_markdown(done, self.labels)
                    listed = self.conversation_list(owner, conversation_id)
                    yield chat, conversation_id, owner, "", listed, self.source_choices(detail), detail
                    return
                chat[-1]["content"] = answer_markdown(text, sources, self.labels, query, None)
                yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
        except ZhikuError as exc:
            chat[-1]["content"] = self._error(str(exc))
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()

    # -- the cited page ------------------------------------------------------------------------------
    def source_choices(self, detail: dict[str, Any] | None) -> gr.Dropdown:
        """The last answer's sources, to open one beside the chat."""
        answer = Answer.from_json(detail) if detail else None
        choices = [(f"[{i}] {s.label()}", i) for i, s in enumerate(answer.sources, 1)] if answer else []
        return gr.Dropdown(choices=choices, value=None)

    def show_source(self, citation: int | None, detail: dict[str, Any] | None) -> tuple[Any, str]:
        """The page image (PDFs, when the file is still there) and the passage with its evidence marked."""
        if not citation or not detail:
            return None, ""
        answer = Answer.from_json(detail)
        if not 1 <= citation <= len(answer.sources):
            return None, ""
        src = answer.sources[citation - 1]
        text = passage_html(src, answer.evidence, citation)
        path = locate(src.source, [self.upload_folder])
        image = None
        if path is not None and src.page and path.suffix.lower() == ".pdf":
            image = render_pdf_page(path, src.page, self.settings.server.page_image_width, self.settings.ingest)
        if image is None:
            text = f"<p><i>{html.escape(self.labels['no_page_image'])}</i></p>" + text
        return image, text

    # -- documents -----------------------------------------------------------------------------------
    @property
    def upload_folder(self) -> Path:
        return self.settings.data_dir / "uploads" / self.kb.name

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        """Uploads go through the same pipeline as `python -m ingest`, with its progress shown in the page."""
        self.upload_folder.mkdir(parents=True, exist_ok=True)
        tasks = []
        for tmp in files or []:
            stored = self.upload_folder / safe_filename(Path(tmp).name)
            shutil.copyfile(tmp, stored)
            tasks.append(FileTask(stored.name, stored))
        return (self._ingest(tasks, progress), *self.documents())

    def _ingest(self, tasks: list[FileTask], progress: gr.Progress | None) -> str:
        def show(report: IngestReport, result: FileResult | None) -> None:
            done = len(report.results)
            if progress is not None:
                progress((done, report.files_total), desc=f"{done}/{report.files_total} · {report.chunks} chunks")

        try:
            report = ingest_files(self.kb, tasks, self.settings.ingest, self.settings.embedding.batch_size, show)
        except ZhikuError as exc:
            return self._error(str(exc))
        lines = []
        for result in report.results:
            detail = f": {result.error}" if result.error else f" ({result.pages} p., {result.chunks} chunks)"
            detail = f": {result.note}" if result.status == "skipped" and result.note else detail
            lines.append(f"- {html.escape(result.source)} — {self.labels[result.status]}{html.escape(detail)}")
        return "\n".join(lines)

    def documents(self) -> tuple[list[list[Any]], gr.Dropdown, gr.Dropdown]:
        """The table of documents, and the same names offered to delete / re-ingest and to restrict questions."""
        files = [f for f in self.kb.manifest.files() if f.status == "ingested"]
        rows = [[f.path, f.pages, f.chunks, f.ingested_at[:16].replace("T", " ")] for f in files]
        names = [f.path for f in files]
        return rows, gr.Dropdown(choices=names, value=None), gr.Dropdown(choices=names, value=[])

    def delete_document(self, path: str | None) -> tuple[Any, ...]:
        status = (self._forget(path) or self.labels["deleted"].format(name=html.escape(path))) if path else ""
        return (status, *self.documents())

    def reingest_document(self, path: str | None) -> tuple[Any, ...]:
        """Read the file again from where it was ingested, even if unchanged (a new parser, new settings)."""
        if not path:
            return ("", *self.documents())
        found = locate(path, [self.upload_folder])
        status = self._error(f"{path}: file not found") if found is None else self._forget(path)
        return (status or self._ingest([FileTask(path, found)], None), *self.documents())

    def _forget(self, path: str) -> str:
        """`python -m ingest delete` for one name, under the KB's writer lock: "" when done, else the error."""
        try:
            with self.kb.writing():
                self.kb.forget_file(path)
        except ZhikuError as exc:
            return self._error(str(exc))
        return ""

    def _error(self, message: str) -> str:
        return self.labels["error"].format(error=html.escape(message))

    # -- layout --------------------------------------------------------------------------------------
    def build(self, other_language_url: str) -> gr.Blocks:
        L, s = self.labels, self.settings
        secret = browser_secret(s.data_dir)
        with gr.Blocks(title=L["title"]) as demo:
            with gr.Row():
                gr.Markdown(f"# {L['title']}\n{L['subtitle'].format(kb=self.kb.name)}", elem_id="header")
                gr.HTML(  # the same tab: Markdown links open a new one
                    f'<a href="{html.escape(other_language_url)}" target="_self" id="switch-language">'
                    f"{html.escape(L['other_language'])}</a>",
                    elem_id="language",
                )
            remembered = gr.BrowserState("", storage_key="zhiku-owner", secret=secret)
            owner, conversation, last_answer = gr.State(""), gr.State(""), gr.State(None)
            with gr.Row():
                with gr.Column(scale=1, min_width=220):
                    new_chat = gr.Button(L["new_chat"], elem_id="new-chat")
                    conversations = gr.Radio(label=L["conversations"], choices=[], elem_id="conversations")
                    title = gr.Textbox(placeholder=L["rename_hint"], show_label=False, elem_id="rename-title")
                    with gr.Row():
                        rename = gr.Button(L["rename"], size="sm", elem_id="rename")
                        delete = gr.Button(L["delete"], size="sm", variant="stop", elem_id="delete-chat")
                    export = gr.DownloadButton(L["export"], size="sm", elem_id="export")
                    with gr.Accordion(L["settings"], open=False, elem_id="settings"):
                        top_k = gr.Slider(1, 20, value=s.retrieval.top_k, step=1, label=L["top_k"], elem_id="top-k")
                        evidence_only = gr.Checkbox(
                            value=s.answer.evidence_only, label=L["evidence_only_mode"], elem_id="evidence-only"
                        )
                        temperature = gr.Slider(
                            0.0, 1.5, value=s.llm.temperature, step=0.1, label=L["temperature"], elem_id="temperature"
                        )
                        language = gr.Radio(
                            [(L[f"lang_{code}"], code) for code in LANGUAGES], value="auto",
                            label=L["answer_language"], elem_id="answer-language",
                        )  # fmt: skip
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=520, elem_id="chat", label=L["title"])
                    with gr.Row():
                        box = gr.Textbox(placeholder=L["placeholder"], show_label=False, scale=5, elem_id="question")
                        send = gr.Button(L["send"], variant="primary", scale=1, elem_id="send")
                    source_pick = gr.Dropdown(label=L["open_source"], choices=[], elem_id="source-pick")
                    with gr.Row():
                        page_image = gr.Image(
                            label=L["page"], type="pil", interactive=False, elem_id="page-image", height=520
                        )
                        passage = gr.HTML(elem_id="passage")
                with gr.Column(scale=1, min_width=260):
                    files = gr.File(label=L["upload"], file_count="multiple", elem_id="upload")
                    upload_status = gr.Markdown(elem_id="upload-status")
                    docs = gr.Dataframe(
                        headers=L["doc_columns"].split("|"), label=L["documents"], interactive=False,
                        elem_id="documents", wrap=True,
                    )  # fmt: skip
                    doc_pick = gr.Dropdown(label=L["document"], choices=[], elem_id="doc-pick")
                    with gr.Row():
                        delete_doc = gr.Button(L["delete_document"], size="sm", variant="stop", elem_id="delete-doc")
                        reingest = gr.Button(L["reingest"], size="sm", elem_id="reingest-doc")
                    restrict = gr.Dropdown(label=L["restrict"], choices=[], multiselect=True, elem_id="restrict")
            listed_docs = [docs, doc_pick, restrict]
            demo.load(self.start, [remembered], [remembered, owner, conversations], api_name=False)
            demo.load(self.documents, None, listed_docs, api_name="documents")
            ask_in = [box, chatbot, conversation, owner, top_k, evidence_only, temperature, language, restrict]
            asked = [chatbot, conversation, owner, box, conversations, source_pick, last_answer]
            send.click(self.respond, ask_in, asked, api_name="chat")
            box.submit(self.respond, ask_in, asked, api_name=False)
            new_chat.click(
                self.new_chat, [owner], [chatbot, conversation, box, conversations, source_pick, last_answer],
                api_name="new_chat",
            )  # fmt: skip
            opened = [chatbot, conversation, source_pick, last_answer]
            conversations.input(self.open_conversation, [conversations, owner], opened, api_name="open_conversation")
            rename.click(self.rename, [conversation, title, owner], [title, conversations], api_name="rename")
            delete.click(self.delete, [conversation, owner], [chatbot, conversation, conversations], api_name="delete")
            export.click(self.export, [conversation, owner], [export], api_name="export")
            source_pick.input(self.show_source, [source_pick, last_answer], [page_image, passage], api_name="source")
            files.upload(self.upload, files, [upload_status, *listed_docs], api_name="upload")
            delete_doc.click(self.delete_document, [doc_pick], [upload_status, *listed_docs], api_name="delete_doc")
            reingest.click(self.reingest_document, [doc_pick], [upload_status, *listed_docs], api_name="reingest")
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
