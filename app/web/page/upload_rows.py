"""One row per uploaded file, in the page's language: waiting, reading (pages so far), searchable by keywords while
its chunks are embedded (k of N, a percentage, the time left at the rate seen so far), then what became of it.

Pure functions of the ingestion's figures and a clock reading, so what a row says is tested without models. The
figures shown never mislead: no time left before a rate is seen, never a negative one, and 100 % only once the file
is done (its result row), since the last batch is followed by the manifest's write.
"""

from __future__ import annotations

import html
import math

from ingest.reasons import reason_of
from ingest.report import FileProgress, FileResult, Status


def percent(done: int, total: int) -> int:
    """The share embedded, floored, and at most 99: a file in progress is never "100 %"."""
    if total <= 0:
        return 0
    return max(0, min(99, done * 100 // total))


def seconds_left(progress: FileProgress, now: float) -> float | None:
    """The time the file's remaining chunks take at the rate its embedded ones took; None until a batch is done
    (no rate yet), or when none remain."""
    if progress.embedding_since is None or progress.chunks_done <= 0:
        return None
    elapsed, remaining = now - progress.embedding_since, progress.chunks_total - progress.chunks_done
    if elapsed <= 0 or remaining <= 0:
        return None
    return remaining * elapsed / progress.chunks_done


def time_text(seconds: float, labels: dict[str, str]) -> str:
    """Whole seconds, rounded up (a file with any chunk left has at least 1 s to go), minutes past a minute."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return labels["eta_seconds"].format(s=whole)
    return labels["eta_minutes"].format(m=whole // 60, s=whole % 60)


def stage_text(progress: FileProgress | None, labels: dict[str, str], now: float) -> str:
    """What a file not finished yet is doing."""
    if progress is None or (not progress.embedding and progress.pages_read <= 0):
        return labels["waiting"]
    if not progress.embedding:
        return labels["reading"].format(pages=progress.pages_read)
    done, total = progress.chunks_done, progress.chunks_total
    if done >= total:  # every chunk embedded; the manifest's write makes it "done"
        return labels["stage_sep"].join([labels["keywords_ready"], labels["saving"]])
    parts = [labels["keywords_ready"], labels["embedding"].format(done=done, total=total, percent=percent(done, total))]
    if (left := seconds_left(progress, now)) is not None:
        parts.append(labels["eta"].format(time=time_text(left, labels)))
    return labels["stage_sep"].join(parts)


def reason_text(line: str, labels: dict[str, str]) -> str:
    """A loader's English line in the page's words, by its kind (`ingest.reasons`); a line of no known kind (or a
    kind without a label) as it is."""
    reason = reason_of(line)
    template = labels.get(f"why_{reason.kind}") if reason.kind else None
    if template is None:
        return line
    try:
        return template.format(**reason.fields)
    except KeyError:  # a label naming a figure its pattern did not capture: the line says more than nothing
        return line


def result_text(result: FileResult, labels: dict[str, str]) -> str:
    """What became of a file: ingested with its pages and chunks, skipped and why, failed and why."""
    status = labels.get(str(result.status), str(result.status))
    if result.status == Status.INGESTED:
        row = labels["row_ingested"].format(pages=result.pages, chunks=result.chunks)
        return labels["row_note"].format(row=row, note=reason_text(result.note, labels)) if result.note else row
    why = result.error or result.note
    return labels["row_reason"].format(status=status, reason=reason_text(why, labels)) if why else status


def file_row(
    source: str, result: FileResult | None, progress: FileProgress | None, labels: dict[str, str], now: float
) -> str:
    """One Markdown list item, the file name and everything from the document escaped."""
    text = result_text(result, labels) if result is not None else stage_text(progress, labels, now)
    return f"- {html.escape(source)} — {html.escape(text)}"
