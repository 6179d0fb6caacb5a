"""The chat page (Gradio Blocks): streamed answers with sources, per-session memory, upload into the KB."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing leaves 127.0.0.1

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from app.answer import AnswerService
from app.memory import Turn
from app.render import answer_markdown
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
    def __init__(self, settings: Settings, service: AnswerService) -> None:
        self.settings = settings
        self.service = service
        self.labels = LABELS[settings.server.ui_language]

    def respond(
        self, message: str, chat: ChatHistory, turns: list[Turn]
    ) -> Iterator[tuple[ChatHistory, list[Turn], str]]:
        message = (message or "").strip()
        if not message:
            yield chat, turns, ""
            return
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        text, sources, query = "", [], message
        try:
            for event in self.service.stream(message, turns):
                if event.kind == "sources":
                    sources, query = event.data.sources, event.data.query
                elif event.kind == "token":
                    text += event.data
                elif event.kind == "replace":
                    text = event.data
                else:
                    text = event.data.answer
                    turns = [*turns, Turn(message, text)]
                    chat[-1]["content"] = answer_markdown(
                        text, sources, self.labels, query, event.data.timings, event.data
                    )
                    yield chat, turns, ""
                    return
                chat[-1]["content"] = answer_markdown(text, sources, self.labels, query, None)
                yield chat, turns, ""
        except ZhikuError as exc:
            chat[-1]["content"] = self.labels["error"].format(error=exc)
            yield chat, turns, ""

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
        with gr.Blocks(title=L["title"]) as demo:
            gr.Markdown(f"# {L['title']}\n{L['subtitle'].format(kb=self.service.kb.name)}")
            turns = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=560, elem_id="chat", label=L["title"])
                    with gr.Row():
                        box = gr.Textbox(placeholder=L["placeholder"], show_label=False, scale=5, elem_id="question")
                        send = gr.Button(L["send"], variant="primary", scale=1, elem_id="send")
                    new_chat = gr.Button(L["new_chat"], elem_id="new-chat")
                with gr.Column(scale=1):
                    files = gr.File(label=L["upload"], file_count="multiple", elem_id="upload")
                    upload_status = gr.Markdown(elem_id="upload-status")
                    gr.Markdown(f"**{L['documents']}**")
                    docs = gr.Markdown(self.documents_markdown, elem_id="documents")
            outputs = [chatbot, turns, box]
            send.click(self.respond, [box, chatbot, turns], outputs, api_name="chat")
            box.submit(self.respond, [box, chatbot, turns], outputs, api_name=False)
            new_chat.click(lambda: ([], [], ""), None, outputs, api_name="new_chat")
            files.upload(self.upload, files, [upload_status, docs], api_name="upload")
        return demo


def build_app(settings: Settings) -> gr.Blocks:
    kb = open_kb(settings)
    report = ensure_sample_kb(settings, kb)
    if report is not None:
        print(f"sample knowledge base: {len(report.by_status('ingested'))} documents ingested into '{kb.name}'")
    return ChatPage(settings, AnswerService(settings, kb)).build()


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=1).launch(
        server_name=host or settings.server.host, server_port=port or settings.server.port, share=False
    )
