"""Turn answers and sources into the chat page's Markdown. Document text is escaped: it is shown, never run."""

from __future__ import annotations

import html
import re
from typing import Any

from app.engine.answer import Answer
from app.engine.evidence import Evidence
from app.engine.verified.manage import source_label
from app.web.page.labels import LABELS
from core.documents import Source
from core.kb.verified import VerifiedSource
from core.lang import detect_language

CITATION = re.compile(r"\[(\d{1,3})\]")
CITE_LINK = "#zhiku-cite-"  # + "<turn>-<n>": the page's script (page/script.py) opens that citation's page


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


ASK_LINK = "#zhiku-ask"  # the page's script (page/script.py) asks the link's text as the next question


def similar_block(similar: dict[str, Any] | None, labels: dict[str, str]) -> str:
    """A verified question close to the one asked that the matcher kept apart: offered, never served. Its words are
    shown whole so the reader can compare; a click asks it as written, which gets its verified answer."""
    if not similar or not similar.get("question"):
        return ""
    asked = html.escape(str(similar["question"]))
    return (
        f'\n\n<sub>{html.escape(labels["verified_similar"])}</sub> <a href="{ASK_LINK}" class="zhiku-ask">{asked}</a>'
    )


def verified_block(verified: dict[str, Any] | None, labels: dict[str, str]) -> str:
    """The documents (and pages) a verified answer rests on: it was served before any search, so it has no
    retrieved sources of its own, and a reader must still see what it stands on."""
    if not verified or not verified.get("sources"):
        return ""
    items = [
        html.escape(source_label(VerifiedSource(s.get("doc_id", ""), s["name"], s.get("page"))))
        for s in verified["sources"]
    ]
    return f"\n\n**{labels['verified_sources']}**\n\n" + "\n".join(f"- {item}" for item in items)


def evidence_block(evidence: list[Evidence], lead: list[Evidence], labels: dict[str, str]) -> str:
    """The evidence sentences the lead answer does not already quote."""
    rest = [e for e in evidence if (e.text, e.citation) not in {(q.text, q.citation) for q in lead}]
    if not rest:
        return ""
    lines = [f"> {html.escape(e.text)} [{e.citation}]" for e in rest]
    return f"\n\n**{labels['evidence']}**\n\n" + "\n>\n".join(lines)


def draft_block(done: Answer, labels: dict[str, str]) -> str:
    """The model's draft, folded and marked as unchecked, with why its sentences were not shown: only when the
    page is configured to reveal it (`answer.show_draft`) and some of it was held back."""
    if not done.draft or not done.checks:
        return ""
    reasons = "".join(f"<li>{html.escape(c['sentence'])} — <i>{html.escape(c['reason'])}</i></li>" for c in done.checks)
    body = html.escape(done.draft).replace("\n", "<br>")
    return (
        f"\n\n<details><summary>{html.escape(labels['draft'])}</summary>\n\n<blockquote>{body}</blockquote>"
        f"\n\n{html.escape(labels['draft_checks'])}<ul>{reasons}</ul>\n\n</details>"
    )


def timing_line(timings: dict[str, float], labels: dict[str, str], held_back: bool = False) -> str:
    """Where the time went, so a slow answer is explained, not mysterious: the parts an answer had. The model's
    figures only where it ran, and one figure for a draft of which nothing is shown (`held_back`: every sentence
    failed a check, or it was empty): first token and tokens/s say nothing about quoted text, and a draft of two
    tokens read as thousands "per s"."""
    if "verified_ms" in timings:  # served before any search
        parts = [labels["t_verified"].format(ms=timings["verified_ms"])]
    else:
        parts = [labels["t_retrieve"].format(ms=timings.get("retrieve_ms", 0.0))]
    if "cache_ms" in timings:
        parts.append(labels["t_cache"].format(ms=timings["cache_ms"]))
    if "first_token_ms" not in timings:  # no model ran: quoting the documents takes no time worth a figure
        return " · ".join(parts)
    if held_back:
        return " · ".join([*parts, labels["t_held_back"].format(ms=timings.get("generate_ms", 0.0))])
    parts.append(labels["t_first"].format(ms=timings["first_token_ms"]))
    if "tokens_per_s" in timings:
        parts.append(labels["t_rate"].format(rate=timings["tokens_per_s"]))
    if timings.get("generate_ms"):
        parts.append(labels["t_total"].format(ms=timings["generate_ms"]))
    return " · ".join(parts)


def answer_language(done: Answer) -> str:
    """The language the answer speaks: its own words once the quotes are taken out (an English question answered
    with a Chinese quote is introduced in English), else the question's."""
    own = done.answer
    for e in done.evidence:
        own = own.replace(e.text, "")
    own = CITATION.sub("", own)
    return detect_language(own if re.search(r"\w", own) else done.question)


def cite_links(markdown: str, turn: int | None, count: int) -> str:
    """Every [n] of the answer's text as a link to its cited page, when the answer is stored (`turn`: its place
    among the conversation's stored turns) and n is one of its sources."""
    if turn is None:
        return markdown
    return CITATION.sub(
        lambda m: f'<a href="{CITE_LINK}{turn}-{m[1]}" class="zhiku-cite">[{m[1]}]</a>'
        if 1 <= int(m[1]) <= count else m[0],
        markdown,
    )  # fmt: skip


def finished_markdown(done: Answer, show_draft: bool = False, turn: int | None = None) -> str:
    """A finished answer carries everything its message shows: the answer (the quoted lead first, then the model's
    checked sentences), its state, the other evidence, the sources, what was searched, timings. Its labels are
    in the answer's language, whatever the page's; its citations open their page once it is stored (`turn`)."""
    labels = LABELS[answer_language(done)]
    state = [labels[done.grounded]] + ([labels["cached"]] if done.cached else [])
    body = cite_links(html.escape(done.answer), turn, len(done.sources))
    body += f"\n\n<sub>{html.escape(' · '.join(state))}</sub>"
    body += similar_block(done.verified_similar, labels)  # the team's answer to a close question, one click away
    body += cite_links(evidence_block(done.evidence, done.lead, labels), turn, len(done.sources))
    body += draft_block(done, labels) if show_draft else ""
    body += verified_block(done.verified, labels)
    held_back = not done.supported and not (show_draft and done.draft)  # if the model ran, none of it is shown
    return body + source_block(done.sources, labels) + footer(done.query, labels, done.timings, held_back)


def streaming_markdown(
    shown: str, drafted: int | None, sources: list[Source], labels: dict[str, str], query: str
) -> str:
    """While the answer is being made: what is shown so far (the lead answer), and, from when the model starts
    drafting (`drafted`: its tokens so far), a line saying its answer will be checked first; the draft itself is
    not shown."""
    checking = "" if drafted is None else f"\n\n<sub>{html.escape(labels['checking'].format(tokens=drafted))}</sub>"
    return html.escape(shown) + checking + source_block(sources, labels) + footer(query, labels, None)


def footer(query: str, labels: dict[str, str], timings: dict[str, float] | None, held_back: bool = False) -> str:
    line = f"\n\n<sub>{labels['searched']}: {html.escape(query)}"
    return line + (" · " + timing_line(timings, labels, held_back) if timings else "") + "</sub>"
