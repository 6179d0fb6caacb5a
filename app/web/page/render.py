"""Turn answers and sources into the chat page's Markdown. Document text is escaped: it is shown, never run."""

from __future__ import annotations

import html

from app.engine.answer import Answer
from app.engine.evidence import Evidence
from core.documents import Source


def source_block(sources: list[Source], labels: dict[str, str]) -> str:
    if not sources:
        return ""
    items = []
    for i, src in enumerate(sources, 1):
        summary = html.escape(f"[{i}] {src.label()} · {src.score:.2f}")
        body = html.escape(src.text).replace("\n", "<br>")
        if src.also_in:
            body += "<br><i>" + html.escape(labels["also_in"] + ", ".join(src.also_in)) + "</i>"
        items.append(f"<details><summary>{summary}</summary>\n\n<blockquote>{body}</blockquote>\n\n</details>")
    return f"\n\n**{labels['sources']}**\n\n" + "\n".join(items)


def evidence_block(evidence: list[Evidence], labels: dict[str, str]) -> str:
    if not evidence:
        return ""
    lines = [f"> {html.escape(e.text)} [{e.citation}]" for e in evidence]
    return f"\n\n**{labels['evidence']}**\n\n" + "\n>\n".join(lines)


def flag_sentences(answer: str, flagged: list[str], labels: dict[str, str]) -> str:
    """Escaped answer text with each unsupported sentence struck through and marked."""
    text = html.escape(answer)
    for sentence in flagged:
        mark = html.escape(sentence)
        text = text.replace(mark, f"<del>{mark}</del> <sup>{html.escape(labels['unsupported'])}</sup>")
    return text


def timing_line(timings: dict[str, float], labels: dict[str, str]) -> str:
    """Where the time went, so a slow answer is explained, not mysterious: the parts an answer had."""
    parts = [labels["t_retrieve"].format(ms=timings.get("retrieve_ms", 0.0))]
    if "cache_ms" in timings:
        parts.append(labels["t_cache"].format(ms=timings["cache_ms"]))
    if "first_token_ms" in timings:
        parts.append(labels["t_first"].format(ms=timings["first_token_ms"]))
    if "tokens_per_s" in timings:
        parts.append(labels["t_rate"].format(rate=timings["tokens_per_s"]))
    if timings.get("generate_ms"):
        parts.append(labels["t_total"].format(ms=timings["generate_ms"]))
    return " · ".join(parts)


def finished_markdown(done: Answer, labels: dict[str, str]) -> str:
    """A finished answer carries everything its message shows: text, sources, what was searched, timings."""
    return answer_markdown(done.answer, done.sources, labels, done.query, done.timings, done)


def answer_markdown(
    answer: str,
    sources: list[Source],
    labels: dict[str, str],
    query: str,
    timings: dict[str, float] | None,
    done: Answer | None = None,
) -> str:
    footer = f"\n\n<sub>{labels['searched']}: {html.escape(query)}"
    if timings:
        footer += " · " + timing_line(timings, labels)
    if done is None:
        return html.escape(answer) + source_block(sources, labels) + footer + "</sub>"
    marks = [labels[done.grounded]] + ([labels["cached"]] if done.cached else [])
    state = f"\n\n<sub>{html.escape(' · '.join(marks))}</sub>"
    body = flag_sentences(done.answer, done.flagged, labels) + state
    return body + evidence_block(done.evidence, labels) + source_block(sources, labels) + footer + "</sub>"
