"""The chat page's layout and its wiring: which component triggers which handler.

Three columns (knowledge bases and conversations with the settings; the chat and the cited page; the documents
panel) and the documents table under them. On a phone the chat comes alone, the rest behind a menu (script.py).
Every event that a test or a script drives has an `api_name`.
"""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.engine.sessions import Sessions
from app.engine.workspace import Workspace
from app.web.page.asking import LANGUAGES, Asking
from app.web.page.context import PageContext, browser_secret
from app.web.page.conversations import Conversations
from app.web.page.documents import Documents
from app.web.page.feedback import AnswerFeedback, build_feedback_panel, wire_feedback
from app.web.page.gradio_words import page_i18n
from app.web.page.kbs import KnowledgeBases, remembered_place
from app.web.page.sources import Sources
from app.web.page.verified import VerifiedPanel, build_verified_panel, wire_verified
from app.web.page.welcome import Welcome
from core.settings import LimitSettings, Settings
from ingest.loaders import LOADERS

SHOW_VIEWER = "() => window.zhikuShowViewer && window.zhikuShowViewer()"
# The load chain above restores this browser's place; a KB opened or a question asked before it ends is undone by
# it (on a loaded machine a test did both). The page marks the end, so a script (or a test) can wait for it.
LOADED = "() => { document.body.dataset.zhikuLoaded = '1'; }"


def accepted_formats(settings: Settings) -> str:
    """What the upload label lists: the types a loader reads and ingest.extensions leaves on, so the label
    never promises less (or more) than the product reads."""
    enabled = {e.lower() for e in settings.ingest.extensions}
    return ", ".join(dict.fromkeys(e.lstrip(".").upper() for e in LOADERS if e in enabled))


class Handlers:
    """One object per panel, over one context."""

    def __init__(self, ctx: PageContext) -> None:
        self.sources = Sources(ctx)
        self.documents = Documents(ctx)
        self.conversations = Conversations(ctx, self.sources)
        self.asking = Asking(ctx, self.conversations, self.sources)
        self.welcome = Welcome(ctx, accepted_formats(ctx.settings))
        self.kbs = KnowledgeBases(ctx, self.conversations, self.sources, self.documents, self.welcome)
        self.feedback, self.verified = AnswerFeedback(ctx), VerifiedPanel(ctx)  # issue 22


def build_page(
    settings: Settings, workspace: Workspace, sessions: Sessions, language: str, other_language_url: str
) -> gr.Blocks:
    ctx = PageContext(settings, workspace, sessions, language)
    handlers = Handlers(ctx)
    labels = ctx.labels
    with gr.Blocks(title=labels["title"]) as page:
        ui = SimpleNamespace()
        with gr.Row(elem_id="top-bar"):
            ui.header = gr.Markdown(handlers.kbs.header(settings.kb), elem_id="header")
            gr.HTML(  # the same tab: Markdown links open a new one
                f'<a href="{html.escape(other_language_url)}" target="_self" id="switch-language">'
                f"{html.escape(labels['other_language'])}</a>",
                elem_id="language",
            )
            _phone_menu(labels)
        ui.remembered = gr.BrowserState("", storage_key="zhiku-owner", secret=browser_secret(settings.dirs))
        # The knowledge base and conversation open in this browser, to come back to after a reload.
        ui.place = gr.BrowserState({}, storage_key="zhiku-place", secret=browser_secret(settings.dirs))
        ui.owner, ui.conversation, ui.last_answer = gr.State(""), gr.State(""), gr.State(None)
        ui.kb = gr.State(settings.kb)
        with gr.Row(elem_id="main-row"):
            _side_column(ui, ctx)
            _chat_column(ui, ctx)
            _documents_column(ui, labels, accepted_formats(settings), settings.limits)
        # Full width: four columns in the side column showed only the file name on a narrow screen.
        ui.docs = gr.Dataframe(
            headers=labels["doc_columns"].split("|"), label=labels["documents"], interactive=False,
            elem_id="documents", wrap=True, column_widths=["55%", "12%", "13%", "20%"],
        )  # fmt: skip
        build_verified_panel(ui, ctx)
        _wire(ui, handlers, page)
    # Read by Gradio's config (mount_gradio_app sets it only when given one): its own words in this page's language.
    page.i18n_instance = page_i18n(language)
    return page


def _phone_menu(labels: dict[str, str]) -> None:
    """On a phone (script.py's media query) the side panels are behind "menu", and "back to the chat" closes it;
    on a wider screen both buttons are hidden. The script toggles a class on the page, with no server call."""
    gr.Button(labels["menu"], size="sm", elem_id="menu-open", elem_classes=["zhiku-phone-only"])
    gr.Button(labels["back_to_chat"], size="sm", elem_id="menu-close", elem_classes=["zhiku-phone-only"])


def _side_column(ui: SimpleNamespace, ctx: PageContext) -> None:
    labels, s = ctx.labels, ctx.settings
    with gr.Column(scale=1, min_width=220, elem_id="side-panel"):
        ui.kb_pick = gr.Dropdown(label=labels["kb"], choices=ctx.workspace.names(), value=s.kb, elem_id="kb")
        with gr.Row():
            ui.kb_name = gr.Textbox(placeholder=labels["new_kb"], show_label=False, elem_id="kb-name", scale=3)
            ui.kb_create = gr.Button(labels["create_kb"], size="sm", elem_id="kb-create", scale=2)
        ui.kb_private = gr.Checkbox(  # only signed-in users own knowledge bases
            False, label=labels["private_kb"], elem_id="kb-private", visible=s.auth.enabled
        )
        ui.kb_status = gr.Markdown(elem_id="kb-status")
        ui.new_chat = gr.Button(labels["new_chat"], elem_id="new-chat")
        ui.conversations = gr.Radio(label=labels["conversations"], choices=[], elem_id="conversations")
        ui.title = gr.Textbox(placeholder=labels["rename_hint"], show_label=False, elem_id="rename-title")
        with gr.Row():
            ui.rename = gr.Button(labels["rename"], size="sm", elem_id="rename")
            ui.delete = gr.Button(labels["delete"], size="sm", variant="stop", elem_id="delete-chat")
        # Deleting takes a second click here: the first (or the chat's trash icon) only shows these two.
        with gr.Row(visible=False) as ui.confirm_row:
            ui.confirm_delete = gr.Button(
                labels["confirm_delete"], size="sm", variant="stop", elem_id="confirm-delete-chat"
            )
            ui.cancel_delete = gr.Button(labels["cancel"], size="sm", elem_id="cancel-delete-chat")
        ui.export = gr.DownloadButton(labels["export"], size="sm", elem_id="export")
        with gr.Accordion(labels["settings"], open=False, elem_id="settings"):
            ui.top_k = gr.Slider(1, 20, value=s.retrieval.top_k, step=1, label=labels["top_k"], elem_id="top-k")
            ui.evidence_only = gr.Checkbox(
                value=s.answer.evidence_only, label=labels["evidence_only_mode"], elem_id="evidence-only"
            )
            ui.temperature = gr.Slider(
                0.0, 1.5, value=s.llm.temperature, step=0.1, label=labels["temperature"], elem_id="temperature"
            )
            ui.language = gr.Radio(
                [(labels[f"lang_{code}"], code) for code in LANGUAGES], value="auto",
                label=labels["answer_language"], elem_id="answer-language",
            )  # fmt: skip


def _chat_column(ui: SimpleNamespace, ctx: PageContext) -> None:
    labels, limits = ctx.labels, ctx.settings.limits
    with gr.Column(scale=3, elem_id="chat-column"):
        # Autoscroll off: the page's script shows each new answer from its start (script.py).
        # No "share" button: it posts to Hugging Face Spaces (no document or answer leaves the machine).
        ui.chatbot = gr.Chatbot(
            height=520, elem_id="chat", label=labels["title"], autoscroll=False, buttons=["copy", "copy_all"]
        )
        with gr.Row():
            ui.box = gr.Textbox(
                placeholder=labels["placeholder"], show_label=False, scale=5, elem_id="question",
                max_length=limits.question_chars,  # the browser stops there; asking.py checks it again
            )  # fmt: skip
            ui.send = gr.Button(labels["send"], variant="primary", scale=1, elem_id="send")
        with gr.Row():
            # Usable only when they can do something: Stop while an answer runs, Regenerate once one is kept
            # (`_running`, and `settled` after every event that ends or changes a conversation).
            ui.stop = gr.Button(labels["stop"], size="sm", variant="stop", elem_id="stop", interactive=False)
            ui.regenerate = gr.Button(labels["regenerate"], size="sm", elem_id="regenerate", interactive=False)
        build_feedback_panel(ui, ctx)  # 👍/👎 and correcting an answer (issue 22)
        # What a click on [n] in an answer sends (script.py): rendered, so the script can reach them, never seen.
        ui.cite_key = gr.Textbox(elem_id="cite-key", elem_classes=["zhiku-hidden"], show_label=False)
        ui.cite_open = gr.Button("cite", elem_id="cite-open", elem_classes=["zhiku-hidden"])
        ui.source_pick = gr.Dropdown(label=labels["open_source"], choices=[], elem_id="source-pick")
        # The cited page at the column's full width (readable without full screen), the passage under it.
        ui.page_image = gr.HTML(elem_id="page-image")
        ui.passage = gr.HTML(elem_id="passage")


def _documents_column(ui: SimpleNamespace, labels: dict[str, str], formats: str, limits: LimitSettings) -> None:
    with gr.Column(scale=1, min_width=260, elem_id="docs-panel"):
        label = labels["upload"].format(formats=formats)
        ui.files = gr.File(label=label, file_count="multiple", elem_id="upload")
        ui.upload_status = gr.Markdown(elem_id="upload-status")
        # Shown while an upload failed for want of a password (documents.Documents.locked).
        with gr.Column(visible=False, elem_id="unlock") as ui.unlock_box:
            ui.locked_pick = gr.Dropdown(label=labels["locked_file"], choices=[], elem_id="locked-file")
            ui.password = gr.Textbox(
                label=labels["pdf_password"], type="password", max_length=limits.pdf_password_chars,
                elem_id="pdf-password",
            )  # fmt: skip
            ui.unlock = gr.Button(labels["unlock"], size="sm", elem_id="unlock-pdf")
        ui.doc_pick = gr.Dropdown(label=labels["document"], choices=[], elem_id="doc-pick")
        with gr.Row():
            ui.delete_doc = gr.Button(labels["delete_document"], size="sm", variant="stop", elem_id="delete-doc")
            ui.reingest = gr.Button(labels["reingest"], size="sm", elem_id="reingest-doc")
        with gr.Row(visible=False) as ui.confirm_doc_row:
            ui.confirm_delete_doc = gr.Button(
                labels["confirm_delete_doc"], size="sm", variant="stop", elem_id="confirm-delete-doc"
            )
            ui.cancel_delete_doc = gr.Button(labels["cancel"], size="sm", elem_id="cancel-delete-doc")
        ui.restrict = gr.Dropdown(label=labels["restrict"], choices=[], multiselect=True, elem_id="restrict")


def _wire(ui: SimpleNamespace, h: Handlers, page: gr.Blocks) -> None:
    listed_docs = [ui.docs, ui.doc_pick, ui.restrict]
    started = [ui.remembered, ui.owner, ui.conversations, ui.kb_pick]
    switched = [
        ui.kb, ui.kb_status, ui.kb_pick, ui.kb_name, ui.header,
        ui.chatbot, ui.conversation, ui.conversations, ui.source_pick, ui.last_answer, *listed_docs,
    ]  # fmt: skip

    # The export button always holds the open conversation's file, so one click downloads it.
    # After every event that may open another knowledge base or conversation (each chains this), the export
    # button gets the open conversation's file and the browser keeps its place for a reload (`h.kbs.restore`).
    # Chained, not on State.change: a change listener ran late under load and a reload came back to nothing.
    # Nothing runs then: Stop is off, Regenerate on when the conversation has a kept answer.
    def settled(conversation: str, owner: str, kb: str, request: gr.Request) -> tuple[Any, ...]:
        kept = h.conversations.has_turns(conversation, owner, request)
        export = h.conversations.export(conversation, owner, request)
        return export, remembered_place(kb, conversation), gr.Button(interactive=False), gr.Button(interactive=kept)

    fresh_export: dict[str, Any] = {
        "fn": settled, "inputs": [ui.conversation, ui.owner, ui.kb],
        "outputs": [ui.export, ui.place, ui.stop, ui.regenerate],
    }  # fmt: skip
    fresh_export["api_visibility"] = "private"
    fresh_export["api_name"] = "refresh_export"  # unnamed, Gradio would name it "export" and rename the real one
    # In turn: the owner first, then where this browser was (its KB and conversation), then that KB's documents.
    page.load(h.conversations.start, [ui.remembered, ui.kb], started, api_visibility="private").then(
        h.kbs.restore, [ui.place, ui.owner, ui.kb], switched, api_visibility="private"
    ).then(h.documents.documents, [ui.kb], listed_docs, api_name="documents").then(**fresh_export).then(
        h.documents.locked, [ui.kb], [ui.unlock_box, ui.locked_pick], api_visibility="private"
    ).then(js=LOADED)  # a reload still offers what waits for a password; then the page says it is in place
    kb_in = [ui.owner, ui.kb, ui.kb_private]
    ui.kb_pick.input(h.kbs.open, [ui.kb_pick, *kb_in], switched, api_name="open_kb").then(**fresh_export)
    ui.kb_create.click(h.kbs.open, [ui.kb_name, *kb_in], switched, api_name="create_kb").then(**fresh_export)
    ui.kb_name.submit(h.kbs.open, [ui.kb_name, *kb_in], switched, api_visibility="private").then(**fresh_export)
    settings = [ui.top_k, ui.evidence_only, ui.temperature, ui.language, ui.restrict]
    ask_in = [ui.box, ui.chatbot, ui.conversation, ui.owner, *settings, ui.kb]
    asked = [ui.chatbot, ui.conversation, ui.owner, ui.box, ui.conversations, ui.source_pick, ui.last_answer]
    controls = {"fn": _running, "outputs": [ui.stop, ui.regenerate], "api_visibility": "private"}
    for trigger in (ui.send.click, ui.box.submit, ui.chatbot.example_select, ui.regenerate.click):
        trigger(**controls, show_progress="hidden")  # first: sent before the answer's own request
    sent = ui.send.click(h.asking.respond, ask_in, asked, api_name="chat")
    submitted = ui.box.submit(h.asking.respond, ask_in, asked, api_visibility="private")
    for answering in (sent, submitted):
        answering.then(**fresh_export)
    _wire_answer_controls(ui, h, fresh_export, [sent, submitted], ask_in, asked)
    fresh = [ui.chatbot, ui.conversation, ui.box, ui.conversations, ui.source_pick, ui.last_answer]
    ui.new_chat.click(h.conversations.new, [ui.owner, ui.kb], fresh, api_name="new_chat").then(**fresh_export)
    opened = [ui.chatbot, ui.conversation, ui.source_pick, ui.last_answer]
    ui.conversations.input(
        h.conversations.open, [ui.conversations, ui.owner], opened, api_name="open_conversation"
    ).then(**fresh_export)
    ui.rename.click(
        h.conversations.rename,
        [ui.conversation, ui.title, ui.owner, ui.kb],
        [ui.title, ui.conversations],
        api_name="rename",
    ).then(**fresh_export)
    _wire_deleting(ui, h, fresh_export)
    ui.export.click(h.conversations.export, [ui.conversation, ui.owner], [ui.export], api_name="export")
    picked = [ui.source_pick, ui.last_answer, ui.kb]
    viewer = [ui.page_image, ui.passage]
    ui.source_pick.input(h.sources.show, picked, viewer, api_name="source").then(js=SHOW_VIEWER)
    cited = [ui.cite_key, ui.conversation, ui.owner, ui.kb]
    ui.cite_open.click(h.sources.cite, cited, viewer, api_name="cite").then(js=SHOW_VIEWER)
    documents_out = [ui.upload_status, *listed_docs]
    locked = {"fn": h.documents.locked, "inputs": [ui.kb], "outputs": [ui.unlock_box, ui.locked_pick]}
    locked["api_visibility"] = "private"
    ui.kb.change(**locked)  # another knowledge base opened: its own uploads waiting for a password
    welcome = {"fn": h.welcome.for_kb, "inputs": [ui.kb], "outputs": [ui.chatbot], "api_visibility": "private"}
    ui.files.upload(h.documents.upload, [ui.files, ui.kb], documents_out, api_name="upload").then(**welcome).then(
        **locked
    )
    unlock_in, unlocked = [ui.locked_pick, ui.password, ui.kb], [*documents_out, ui.password]
    ui.unlock.click(h.documents.unlock, unlock_in, unlocked, api_name="unlock").then(**welcome).then(**locked)
    ui.password.submit(h.documents.unlock, unlock_in, unlocked, api_visibility="private").then(**welcome).then(**locked)
    ui.delete_doc.click(_shown, None, [ui.confirm_doc_row], api_visibility="private")
    ui.cancel_delete_doc.click(_hidden, None, [ui.confirm_doc_row], api_visibility="private")
    ui.confirm_delete_doc.click(h.documents.delete, [ui.doc_pick, ui.kb], documents_out, api_name="delete_doc").then(
        _hidden, None, [ui.confirm_doc_row], api_visibility="private"
    ).then(**welcome)  # the first screen no longer names (or asks about) a deleted document
    ui.reingest.click(h.documents.reingest, [ui.doc_pick, ui.kb], documents_out, api_name="reingest").then(**welcome)
    wire_feedback(ui, h.feedback)
    wire_verified(ui, h.verified)


def _wire_answer_controls(
    ui: SimpleNamespace, h: Handlers, fresh_export: dict, answering: list, ask_in: list, asked: list
) -> None:
    """Example questions (asked as if typed), Regenerate, and Stop. Stop cancels the answering events: Gradio
    closes their generator, which stops the model and frees it, the same path as a closed tab (issue 19)."""
    example = ui.chatbot.example_select(_example_text, None, [ui.box], api_visibility="private")
    asked_example = example.then(h.asking.respond, ask_in, asked, api_visibility="private")
    asked_example.then(**fresh_export)
    regenerated = ui.regenerate.click(h.asking.regenerate, ask_in[1:], asked, api_name="regenerate")
    regenerated.then(**fresh_export)
    stop_in = [ui.chatbot, ui.conversation, ui.owner]
    stopping = [*answering, asked_example, regenerated]
    stop = ui.stop.click(h.asking.stopped, stop_in, [ui.chatbot], cancels=stopping, api_visibility="private")
    stop.then(**fresh_export)  # the cancelled events' own `settled` never runs


def _running() -> tuple[gr.Button, gr.Button]:
    """An answer runs: Stop can stop it, Regenerate waits for it to end."""
    return gr.Button(interactive=True), gr.Button(interactive=False)


def _example_text(picked: gr.SelectData) -> str:
    """The example question clicked on the first screen, put in the question box to be asked."""
    return str(picked.value.get("text", "")) if isinstance(picked.value, dict) else str(picked.value)


def _shown() -> gr.Row:
    return gr.Row(visible=True)


def _hidden() -> gr.Row:
    return gr.Row(visible=False)


def _wire_deleting(ui: SimpleNamespace, h: Handlers, fresh_export: dict) -> None:
    """Deleting a conversation takes two clicks. The chat's trash icon is the first click too: Gradio empties the
    view at once, so the conversation is shown again until the deletion is confirmed (it only hid it before)."""
    this_chat = [ui.conversation, ui.owner, ui.kb]
    ui.delete.click(_shown, None, [ui.confirm_row], api_visibility="private")
    opened = [ui.chatbot, ui.conversation, ui.source_pick, ui.last_answer]
    ui.chatbot.clear(h.conversations.open, [ui.conversation, ui.owner], opened, api_visibility="private").then(
        _shown, None, [ui.confirm_row], api_visibility="private"
    )
    ui.cancel_delete.click(_hidden, None, [ui.confirm_row], api_visibility="private")
    ui.confirm_delete.click(
        h.conversations.delete, this_chat, [ui.chatbot, ui.conversation, ui.conversations], api_name="delete"
    ).then(_hidden, None, [ui.confirm_row], api_visibility="private").then(**fresh_export)
