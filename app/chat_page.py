"""The chat page (Gradio Blocks): streamed answers with sources and the cited page, persisted conversations,
per-question settings, knowledge bases (pick or create one) and their documents (upload with per-file progress,
delete, re-ingest, restrict a question)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing leaves 127.0.0.1

import html
import logging
import queue
import secrets
import tempfile
import threading
import time
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
from app.services import AnswerServices, check_kb_name
from app.ui_text import LABELS
from app.uploads import safe_filename, stage_uploads, upload_folder
from core.errors import ZhikuError
from core.settings import Settings
from core.store import KnowledgeBase
from ingest.pipeline import FileTask, IngestReport, ingest_files

log = logging.getLogger(__name__)
ChatHistory = list[dict[str, Any]]
LANGUAGES = ("auto", "zh", "en")


class ChatPage:
    """The page's behaviour, one method per event, so each can be driven without a browser (gradio_client)."""

    def __init__(
        self, settings: Settings, services: AnswerServices, conversations: ConversationStore, language: str
    ) -> None:
        self.settings = settings
        self.services = services
        self.store = conversations
        self.language = language
        self.labels = LABELS[language]

    def service(self, kb: str, request: gr.Request | None) -> AnswerService:
        """The session's knowledge base (a `gr.State`, so each browser tab may work in its own), for the
        signed-in user: another user's private one raises AccessDeniedError, whatever the page shows."""
        return self.services.get(kb or self.settings.kb, user_of(request))

    def kb(self, kb: str, request: gr.Request | None) -> KnowledgeBase:
        return self.service(kb, request).kb

    def who(self, owner: str, request: gr.Request | None) -> str:
        """Whose conversations: the signed-in user's, else this browser's id (kept in its storage)."""
        user = user_of(request)
        return f"user:{user}" if user else owner

    # -- knowledge bases -------------------------------------------------------------------------------
    def kb_choices(self, selected: str, request: gr.Request | None) -> gr.Dropdown:
        return gr.Dropdown(choices=self.services.names(user_of(request)), value=selected)

    def open_kb(
        self, name: str | None, owner: str, current: str, private: bool = False, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """Switch this session to another knowledge base (created when new, owned by the signed-in user and
        private if asked): its conversations and documents; a fresh chat. One that cannot be opened (built
        with another embedding model, another user's private one) is explained and the session stays."""
        try:
            knowledge_base = self.services.create(check_kb_name(name or ""), user_of(request), bool(private)).kb
        except ZhikuError as exc:
            return (current, self._error(str(exc)), self.kb_choices(current, request), *(gr.skip(),) * 10)
        kb, owner = knowledge_base.name, self.who(owner, request)
        cleared = ([], "", self.conversation_list(owner, "", kb), self.source_choices(None), None)
        shown = (self.kb_choices(kb, request), "", self.header(kb))
        return (kb, "", *shown, *cleared, *self._documents(knowledge_base))

    def header(self, kb: str) -> str:
        return f"# {self.labels['title']}\n{self.labels['subtitle'].format(kb=kb)}"

    # -- conversations: persisted per owner, so memory follows the conversation, not the tab -------------
    def start(
        self, remembered: str | None, kb: str, request: gr.Request | None = None
    ) -> tuple[str, str, gr.Radio, gr.Dropdown]:
        """Page load: this browser's owner id (kept in its localStorage), or the signed-in user; their
        conversations and the knowledge bases they may open."""
        remembered = remembered or new_owner()
        owner = self.who(remembered, request)
        return remembered, owner, self.conversation_list(owner, "", kb), self.kb_choices(kb, request)

    def conversation_list(self, owner: str, selected: str, kb: str) -> gr.Radio:
        found = self.store.list(owner, kb=kb or self.settings.kb) if owner else []
        choices = [(c.title or self.labels["untitled"], c.id) for c in found]
        return gr.Radio(choices=choices, value=selected or None)

    def open_conversation(
        self, conversation_id: str | None, owner: str, request: gr.Request | None = None
    ) -> tuple[ChatHistory, str, Any, Any]:
        if not conversation_id:
            return [], "", self.source_choices(None), None
        owner = self.who(owner, request)
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

    def new_chat(
        self, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[ChatHistory, str, str, gr.Radio, Any, None]:
        owner = self.who(owner, request)
        return [], "", "", self.conversation_list(owner, "", kb), self.source_choices(None), None

    def rename(
        self, conversation_id: str, title: str, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[str, gr.Radio]:
        owner = self.who(owner, request)
        if conversation_id and title.strip():
            self.store.rename(conversation_id, title.strip(), owner)
        return "", self.conversation_list(owner, conversation_id, kb)

    def delete(
        self, conversation_id: str, owner: str, kb: str, request: gr.Request | None = None
    ) -> tuple[ChatHistory, str, gr.Radio]:
        owner = self.who(owner, request)
        if conversation_id:
            self.store.delete(conversation_id, owner)
        return [], "", self.conversation_list(owner, "", kb)

    def export(self, conversation_id: str, owner: str, request: gr.Request | None = None) -> str | None:
        """A Markdown file of the conversation, in a fresh temporary folder (Gradio serves files from there)."""
        owner = self.who(owner, request)
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
        language: str | None = None, restrict: list[str] | None = None, kb: str = "",
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:  # fmt: skip
        """Streams the answer; the turn is stored with its sources once done, and the list shows it."""
        message = (message or "").strip()
        owner = self.who(owner, request) or new_owner()  # an API client has no browser storage: one per session
        if not message:
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
            return
        options = self.options(top_k, evidence_only, temperature, language, restrict)
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        text, sources, query = "", [], message
        try:
            service = self.service(kb, request)
            if not conversation_id:
                conversation_id = self.store.create(service.kb.name, owner).id
            history = self.store.turns(conversation_id, owner)
            for event in service.stream(message, history, options):
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
                    listed = self.conversation_list(owner, conversation_id, kb)
                    yield chat, conversation_id, owner, "", listed, self.source_choices(detail), detail
                    return
                chat[-1]["content"] = answer_markdown(text, sources, self.labels, query, None)
                yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()
        except Exception as exc:  # in words, never a traceback; the passages found so far stay readable
            if not isinstance(exc, ZhikuError):
                log.exception("answering %r failed", message)
            shown = answer_markdown("", sources, self.labels, query, None) if sources else ""
            chat[-1]["content"] = self._error(plain_error(exc)) + shown
            yield chat, conversation_id, owner, "", gr.skip(), gr.skip(), gr.skip()

    # -- the cited page ------------------------------------------------------------------------------
    def source_choices(self, detail: dict[str, Any] | None) -> gr.Dropdown:
        """The last answer's sources, to open one beside the chat."""
        answer = Answer.from_json(detail) if detail else None
        choices = [(f"[{i}] {s.label()}", i) for i, s in enumerate(answer.sources, 1)] if answer else []
        return gr.Dropdown(choices=choices, value=None)

    def show_source(
        self, citation: int | None, detail: dict[str, Any] | None, kb: str, request: gr.Request | None = None
    ) -> tuple[Any, str]:
        """The page image (PDFs, when the file is still there) and the passage with its evidence marked."""
        if not citation or not detail:
            return None, ""
        answer = Answer.from_json(detail)
        if not 1 <= citation <= len(answer.sources):
            return None, ""
        src = answer.sources[citation - 1]
        text = passage_html(src, answer.evidence, citation)
        path = locate(src.source, [self.upload_folder(self.kb(kb, request))])
        image = None
        if path is not None and src.page and path.suffix.lower() == ".pdf":
            image = render_pdf_page(path, src.page, self.settings.server.page_image_width, self.settings.ingest)
        if image is None:
            text = f"<p><i>{html.escape(self.labels['no_page_image'])}</i></p>" + text
        return image, text

    # -- documents -----------------------------------------------------------------------------------
    def upload_folder(self, knowledge_base: KnowledgeBase) -> Path:
        return upload_folder(self.settings.data_dir, knowledge_base.name)

    def upload(self, files: list[str] | None, kb: str, request: gr.Request | None = None) -> Iterator[tuple[Any, ...]]:
        """Uploads go through the same pipeline as `python -m ingest`; each file's row shows its progress and
        result as it comes (ingested, skipped, failed and why)."""
        try:
            knowledge_base = self.kb(kb, request)
        except ZhikuError as exc:
            yield self._error(str(exc)), *(gr.skip(),) * 3
            return
        uploaded = [(Path(tmp).name, Path(tmp)) for tmp in files or []]
        tasks = stage_uploads(self.upload_folder(knowledge_base), uploaded, self.settings.ingest.max_file_mb)
        unchanged = (gr.skip(),) * 3
        for status in self._ingest(tasks, knowledge_base):
            yield status, *unchanged
        yield status, *self._documents(knowledge_base)

    def _ingest(self, tasks: list[FileTask], knowledge_base: KnowledgeBase) -> Iterator[str]:
        """Runs the ingestion in a thread and yields the per-file table whenever a file finishes (and at most
        twice a second in between, for the page and chunk counts)."""
        events: queue.Queue[IngestReport | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["report"] = ingest_files(
                    knowledge_base, tasks, self.settings.ingest, self.settings.embedding.batch_size,
                    lambda report, result: events.put(report),
                )  # fmt: skip
            except Exception as exc:  # shown in the page in words, never as a traceback
                if not isinstance(exc, ZhikuError):
                    log.exception("ingesting %d uploaded files failed", len(tasks))
                outcome["error"] = plain_error(exc)
            finally:
                events.put(None)

        threading.Thread(target=run, name="page-ingest", daemon=True).start()
        shown, report = 0.0, IngestReport(files_total=len(tasks))
        while (event := events.get()) is not None:
            finished = len(event.results) != len(report.results)
            report = event
            if finished or time.monotonic() - shown > 0.5:
                shown = time.monotonic()
                yield self._file_rows(tasks, report, done=False)
        if "error" in outcome:
            yield self._error(outcome["error"])
            return
        yield self._file_rows(tasks, outcome["report"], done=True)

    def _file_rows(self, tasks: list[FileTask], report: IngestReport, done: bool) -> str:
        L = self.labels
        results = {r.source: r for r in report.results}
        lines = [] if done else [L["upload_progress"].format(
            done=len(results), total=len(tasks), pages=report.pages_read, chunks=report.chunks
        ) + "\n"]  # fmt: skip
        for task in tasks:
            result = results.get(task.source)
            if result is None:
                lines.append(f"- {html.escape(task.source)} — {L['waiting']}")
                continue
            detail = f": {result.error}" if result.error else f" ({result.pages} p., {result.chunks} chunks)"
            detail = f": {result.note}" if result.status == "skipped" and result.note else detail
            lines.append(f"- {html.escape(result.source)} — {L[result.status]}{html.escape(detail)}")
        return "\n".join(lines)

    def documents(self, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        try:
            return self._documents(self.kb(kb, request))
        except ZhikuError:  # another user's private knowledge base: nothing to list
            return [], gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[], value=[])

    def _documents(self, knowledge_base: KnowledgeBase) -> tuple[list[list[Any]], gr.Dropdown, gr.Dropdown]:
        """The table of documents, and the same names offered to delete / re-ingest and to restrict questions."""
        files = [f for f in knowledge_base.manifest.files() if f.status == "ingested"]
        rows = [[f.path, f.pages, f.chunks, f.ingested_at[:16].replace("T", " ")] for f in files]
        names = [f.path for f in files]
        return rows, gr.Dropdown(choices=names, value=None), gr.Dropdown(choices=names, value=[])

    def delete_document(self, path: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        try:
            knowledge_base = self.kb(kb, request)
        except ZhikuError as exc:
            return self._error(str(exc)), *(gr.skip(),) * 3
        forgotten = self._forget(path, knowledge_base) if path else ""
        status = (forgotten or self.labels["deleted"].format(name=html.escape(path))) if path else ""
        return (status, *self._documents(knowledge_base))

    def reingest_document(self, path: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Read the file again from where it was ingested, even if unchanged (a new parser, new settings)."""
        try:
            knowledge_base = self.kb(kb, request)
        except ZhikuError as exc:
            return self._error(str(exc)), *(gr.skip(),) * 3
        if not path:
            return ("", *self._documents(knowledge_base))
        found = locate(path, [self.upload_folder(knowledge_base)])
        status = self._error(f"{path}: file not found") if found is None else self._forget(path, knowledge_base)
        if not status and found is not None:
            *_, status = self._ingest([FileTask(path, found)], knowledge_base)
        return (status, *self._documents(knowledge_base))

    def _forget(self, path: str, knowledge_base: KnowledgeBase) -> str:
        """`python -m ingest delete` for one name, under the KB's writer lock: "" when done, else the error."""
        try:
            with knowledge_base.writing():
                knowledge_base.forget_file(path)
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
                header = gr.Markdown(self.header(s.kb), elem_id="header")
                gr.HTML(  # the same tab: Markdown links open a new one
                    f'<a href="{html.escape(other_language_url)}" target="_self" id="switch-language">'
                    f"{html.escape(L['other_language'])}</a>",
                    elem_id="language",
                )
            remembered = gr.BrowserState("", storage_key="zhiku-owner", secret=secret)
            owner, conversation, last_answer = gr.State(""), gr.State(""), gr.State(None)
            kb = gr.State(s.kb)
            with gr.Row():
                with gr.Column(scale=1, min_width=220):
                    kb_pick = gr.Dropdown(label=L["kb"], choices=self.services.names(), value=s.kb, elem_id="kb")
                    with gr.Row():
                        kb_name = gr.Textbox(placeholder=L["new_kb"], show_label=False, elem_id="kb-name", scale=3)
                        kb_create = gr.Button(L["create_kb"], size="sm", elem_id="kb-create", scale=2)
                    kb_private = gr.Checkbox(  # only signed-in users own knowledge bases
                        False, label=L["private_kb"], elem_id="kb-private", visible=s.auth.enabled
                    )
                    kb_status = gr.Markdown(elem_id="kb-status")
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
                    doc_pick = gr.Dropdown(label=L["document"], choices=[], elem_id="doc-pick")
                    with gr.Row():
                        delete_doc = gr.Button(L["delete_document"], size="sm", variant="stop", elem_id="delete-doc")
                        reingest = gr.Button(L["reingest"], size="sm", elem_id="reingest-doc")
                    restrict = gr.Dropdown(label=L["restrict"], choices=[], multiselect=True, elem_id="restrict")
            # Full width: four columns in the side column showed only the file name on a narrow screen.
            docs = gr.Dataframe(
                headers=L["doc_columns"].split("|"), label=L["documents"], interactive=False,
                elem_id="documents", wrap=True, column_widths=["55%", "12%", "13%", "20%"],
            )  # fmt: skip
            listed_docs = [docs, doc_pick, restrict]
            demo.load(self.start, [remembered, kb], [remembered, owner, conversations, kb_pick], api_name=False)
            demo.load(self.documents, [kb], listed_docs, api_name="documents")
            switched = [
                kb, kb_status, kb_pick, kb_name, header,
                chatbot, conversation, conversations, source_pick, last_answer, *listed_docs,
            ]  # fmt: skip
            kb_pick.input(self.open_kb, [kb_pick, owner, kb, kb_private], switched, api_name="open_kb")
            kb_create.click(self.open_kb, [kb_name, owner, kb, kb_private], switched, api_name="create_kb")
            kb_name.submit(self.open_kb, [kb_name, owner, kb, kb_private], switched, api_name=False)
            ask_in = [box, chatbot, conversation, owner, top_k, evidence_only, temperature, language, restrict, kb]
            asked = [chatbot, conversation, owner, box, conversations, source_pick, last_answer]
            send.click(self.respond, ask_in, asked, api_name="chat")
            box.submit(self.respond, ask_in, asked, api_name=False)
            new_chat.click(
                self.new_chat, [owner, kb], [chatbot, conversation, box, conversations, source_pick, last_answer],
                api_name="new_chat",
            )  # fmt: skip
            opened = [chatbot, conversation, source_pick, last_answer]
            conversations.input(self.open_conversation, [conversations, owner], opened, api_name="open_conversation")
            rename.click(self.rename, [conversation, title, owner, kb], [title, conversations], api_name="rename")
            delete.click(
                self.delete, [conversation, owner, kb], [chatbot, conversation, conversations], api_name="delete"
            )
            export.click(self.export, [conversation, owner], [export], api_name="export")
            source_pick.input(
                self.show_source, [source_pick, last_answer, kb], [page_image, passage], api_name="source"
            )
            files.upload(self.upload, [files, kb], [upload_status, *listed_docs], api_name="upload")
            delete_doc.click(self.delete_document, [doc_pick, kb], [upload_status, *listed_docs], api_name="delete_doc")
            reingest.click(self.reingest_document, [doc_pick, kb], [upload_status, *listed_docs], api_name="reingest")
        return demo


def plain_error(exc: Exception) -> str:
    """Zhiku's own errors are written for users; anything else is named by its type, never a traceback."""
    return str(exc) if isinstance(exc, ZhikuError) else f"{type(exc).__name__}: {exc}"


def user_of(request: gr.Request | None) -> str | None:
    """The signed-in user's name; None when sign-in is off (or outside a request)."""
    return getattr(request, "username", None) or None


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
