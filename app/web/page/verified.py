"""The verified answers panel (issue 22): list, edit, delete and confirm a knowledge base's verified answers, those
"to review" first (a source document changed or went: not served until someone confirms them), and what the
knowledge base lacks (its most 👎 questions and those most often answered "not found", as a CSV too).

Everyone may read it (a verified answer is served to everyone anyway); changing one takes what correcting an
answer takes (`manage.may_verify`).
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app.engine.verified.files import write_table
from app.engine.verified.manage import check_may_verify, edit_verified, feedback_report, report_rows, source_label
from app.web.page.context import PageContext
from app.web.page.feedback import PAGE_BY
from core.errors import UnknownKBError, ZhikuError
from core.kb import KnowledgeBase
from core.kb.verified import VerifiedAnswer, VerifiedStatus

PREVIEW_CHARS = 120  # of an answer in the table; the whole of it opens in the edit box


class VerifiedPanel:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self._reports: Path | None = None  # one folder for this page's CSV reports, made on the first

    # -- the list -------------------------------------------------------------------------------------
    def listing(self, kb: str, request: gr.Request | None = None, selected: str | None = None) -> tuple[Any, ...]:
        """Summary, table and picker of the verified answers (to review first; `selected` kept picked while it
        exists), the gaps table and its CSV."""
        try:
            service = self.ctx.service(kb, request)
        except ZhikuError as exc:  # another user's private knowledge base: nothing to list
            return self.ctx.error(str(exc)), [], gr.Dropdown(choices=[], value=None), [], None
        answers = sorted(service.kb.verified.answers(), key=lambda a: a.status == VerifiedStatus.ACTIVE)
        review = sum(a.status == VerifiedStatus.TO_REVIEW for a in answers)
        summary = self.ctx.labels["v_summary"].format(total=len(answers), review=review)
        report = feedback_report(service.feedback, service.kb.name, self.ctx.settings.verified.report_size)
        picks = [(self._mark(a) + a.question, a.id) for a in answers]
        kept = selected if any(a.id == selected for a in answers) else None
        return (summary, [self._row(a) for a in answers], gr.Dropdown(choices=picks, value=kept),
                self._gap_rows(report), self._report_file(report))  # fmt: skip

    def _mark(self, item: VerifiedAnswer) -> str:
        return self.ctx.labels["v_to_review"] + " " if item.status == VerifiedStatus.TO_REVIEW else ""

    def _row(self, item: VerifiedAnswer) -> list[str]:
        labels = self.ctx.labels
        if item.status == VerifiedStatus.TO_REVIEW:
            status = f"{labels['v_to_review']}: {item.review_reason}"
        else:
            status = labels["v_active"]
        sources = "; ".join(source_label(s) for s in item.sources)
        answer = item.answer if len(item.answer) <= PREVIEW_CHARS else item.answer[:PREVIEW_CHARS] + "…"
        return [status, item.question, answer, item.by, item.at[:10], sources]

    def _gap_rows(self, report: dict[str, Any]) -> list[list[Any]]:
        kinds = {"down": self.ctx.labels["gap_down"], "not_found": self.ctx.labels["gap_not_found"]}
        return [[kinds[kind], q, times, at[:16].replace("T", " ")] for kind, q, times, at in report_rows(report)[1:]]

    def _report_file(self, report: dict[str, Any]) -> str:
        """`feedback report --csv`'s file, rewritten in place (renamed into place: never read half-written), so
        the download button always holds the current one."""
        if self._reports is None:
            self._reports = Path(tempfile.mkdtemp(prefix="zhiku-gaps-"))
        folder = self._reports / "".join(c if c.isalnum() else "_" for c in report["kb"])
        folder.mkdir(exist_ok=True)
        handle, written = tempfile.mkstemp(dir=folder, prefix=".")
        os.close(handle)
        write_table(report_rows(report), Path(written))
        return str(Path(written).replace(folder / f"zhiku-gaps-{folder.name}.csv"))

    # -- one answer -----------------------------------------------------------------------------------
    def pick(self, verified_id: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        """The picked answer in the edit boxes (its sources one per line); why it is to review, and the button that
        confirms it, if it is."""
        item = self._get(verified_id, kb, request)
        if item is None:
            return "", "", "", "", gr.Button(visible=False)
        review = item.status == VerifiedStatus.TO_REVIEW
        reason = self.ctx.labels["v_review_reason"].format(reason=html.escape(item.review_reason)) if review else ""
        sources = "\n".join(source_label(s) for s in item.sources)
        return item.question, item.answer, sources, reason, gr.Button(visible=review)

    def _get(self, verified_id: str | None, kb: str, request: gr.Request | None) -> VerifiedAnswer | None:
        try:
            return self.ctx.kb(kb, request).verified.get(verified_id) if verified_id else None
        except ZhikuError:
            return None

    def save(
        self, verified_id: str | None, question: str, answer: str, sources: str, name: str, kb: str,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:  # fmt: skip
        def done(knowledge_base: KnowledgeBase, by: str) -> None:
            limits, lines = self.ctx.settings.limits, (sources or "").splitlines()
            edit_verified(knowledge_base, self._chosen(verified_id), question or "", answer or "", by, limits, lines)

        return self._change(kb, request, "v_saved", done, name, verified_id)

    def confirm(
        self, verified_id: str | None, name: str, kb: str, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        def done(knowledge_base: KnowledgeBase, by: str) -> None:
            if not knowledge_base.verified.confirm(self._chosen(verified_id), by):
                raise UnknownKBError(f"no verified answer '{verified_id}'")

        return self._change(kb, request, "v_confirmed", done, name, verified_id)

    def delete(self, verified_id: str | None, kb: str, request: gr.Request | None = None) -> tuple[Any, ...]:
        def done(knowledge_base: KnowledgeBase, by: str) -> None:
            if not knowledge_base.verified.delete(self._chosen(verified_id)):
                raise UnknownKBError(f"no verified answer '{verified_id}'")

        return self._change(kb, request, "v_deleted", done, "", None)

    def _chosen(self, verified_id: str | None) -> str:
        if not verified_id:
            raise ZhikuError(self.ctx.labels["v_none_picked"])
        return verified_id

    def _change(
        self, kb: str, request: gr.Request | None, said: str, change: Callable[[KnowledgeBase, str], None], name: str,
        selected: str | None,
    ) -> tuple[Any, ...]:  # fmt: skip
        """One change by someone who may verify, then the panel listed again; an error is said, nothing listed."""
        try:
            check_may_verify(self.ctx.settings, self.ctx.user(request))
            change(self.ctx.kb(kb, request), self.ctx.user(request) or (name or "").strip()[:100] or PAGE_BY)
        except ZhikuError as exc:
            return self.ctx.error(str(exc)), *(gr.skip(),) * 5
        return self.ctx.labels[said], *self.listing(kb, request, selected)


def build_verified_panel(ui: SimpleNamespace, ctx: PageContext) -> None:
    """Full width under the documents, folded: most sessions only ask."""
    labels = ctx.labels
    with gr.Accordion(labels["verified_panel"], open=False, elem_id="verified-panel") as ui.verified_panel:
        ui.v_summary = gr.Markdown(elem_id="verified-summary")
        ui.v_table = gr.Dataframe(
            headers=labels["v_columns"].split("|"), interactive=False, elem_id="verified-table", wrap=True,
            column_widths=["16%", "24%", "30%", "10%", "8%", "12%"],
        )  # fmt: skip
        with gr.Row():
            ui.v_pick = gr.Dropdown(label=labels["v_pick"], choices=[], elem_id="verified-pick", scale=4)
            ui.v_refresh = gr.Button(labels["v_refresh"], size="sm", elem_id="verified-refresh", scale=1)
        ui.v_review = gr.Markdown(elem_id="verified-review")
        ui.v_question = gr.Textbox(label=labels["correct_question"], elem_id="verified-question")
        ui.v_answer = gr.Textbox(label=labels["correct_answer"], lines=3, elem_id="verified-answer")
        ui.v_sources = gr.Textbox(  # a bound like the answer's: at most 20 lines of a file name and a page each
            label=labels["v_sources"], lines=2, elem_id="verified-sources", max_length=ctx.settings.limits.answer_chars
        )
        ui.v_name = gr.Textbox(
            label=labels["your_name"], elem_id="verified-name", visible=not ctx.settings.auth.enabled
        )
        with gr.Row():
            ui.v_save = gr.Button(labels["v_save"], size="sm", elem_id="verified-save")
            ui.v_confirm = gr.Button(labels["v_confirm"], size="sm", elem_id="verified-confirm", visible=False)
            ui.v_delete = gr.Button(labels["delete"], size="sm", variant="stop", elem_id="verified-delete")
        with gr.Row(visible=False) as ui.v_confirm_delete_row:
            ui.v_confirm_delete = gr.Button(
                labels["v_confirm_delete"], size="sm", variant="stop", elem_id="verified-confirm-delete"
            )
            ui.v_cancel_delete = gr.Button(labels["cancel"], size="sm", elem_id="verified-cancel-delete")
        ui.v_status = gr.Markdown(elem_id="verified-status")
        gr.Markdown(f"**{labels['gaps']}**")
        ui.gaps = gr.Dataframe(headers=labels["gaps_columns"].split("|"), interactive=False, elem_id="gaps", wrap=True)
        ui.gaps_csv = gr.DownloadButton(labels["gaps_csv"], size="sm", elem_id="gaps-csv")


def wire_verified(ui: SimpleNamespace, h: VerifiedPanel) -> None:
    listed = [ui.v_summary, ui.v_table, ui.v_pick, ui.gaps, ui.gaps_csv]
    ui.verified_panel.expand(h.listing, [ui.kb], listed, api_visibility="private")
    ui.v_refresh.click(h.listing, [ui.kb], listed, api_name="verified")
    ui.kb.change(h.listing, [ui.kb], listed, api_visibility="private")  # another knowledge base opened
    picked = [ui.v_question, ui.v_answer, ui.v_sources, ui.v_review, ui.v_confirm]
    ui.v_pick.input(h.pick, [ui.v_pick, ui.kb], picked, api_name="verified_pick")
    changed = [ui.v_status, *listed]
    edit_in = [ui.v_pick, ui.v_question, ui.v_answer, ui.v_sources, ui.v_name, ui.kb]
    ui.v_save.click(h.save, edit_in, changed, api_name="verified_save").then(
        h.pick, [ui.v_pick, ui.kb], picked, api_visibility="private"
    )
    ui.v_confirm.click(h.confirm, [ui.v_pick, ui.v_name, ui.kb], changed, api_name="verified_confirm").then(
        h.pick, [ui.v_pick, ui.kb], picked, api_visibility="private"
    )
    ui.v_delete.click(lambda: gr.Row(visible=True), None, [ui.v_confirm_delete_row], api_visibility="private")
    ui.v_cancel_delete.click(lambda: gr.Row(visible=False), None, [ui.v_confirm_delete_row], api_visibility="private")
    ui.v_confirm_delete.click(h.delete, [ui.v_pick, ui.kb], changed, api_name="verified_delete").then(
        lambda: gr.Row(visible=False), None, [ui.v_confirm_delete_row], api_visibility="private"
    ).then(h.pick, [ui.v_pick, ui.kb], picked, api_visibility="private")
