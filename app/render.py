"""Turn answers and sources into the chat page's Markdown. Document text is escaped: it is shown, never run."""

from __future__ import annotations

import html

from core.documents import Source


def source_block(sources: list[Source], labels: dict[str, str]) -> str:
    if not sources:
        return ""
    items = []
    for i, src in enumerate(sources, 1):
        summary = html.escape(f"[{i}] {src.label()} · {src.score:.2f}")
        body = html.escape(src.text).replace("\n", "<br>")
        items.append(f"<details><summary>{summary}</summary>\n\n<blockquote>{body}</blockquote>\n\n</details>")
    return f"\n\n**{labels['sources']}**\n\n" + "\n".join(items)


def answer_markdown(
    answer: str, sources: list[Source], labels: dict[str, str], query: str, timings: dict[str, float] | None
) -> str:
    footer = f"\n\n<sub>{labels['searched']}: {html.escape(query)}"
    if timings:
        footer += " · " + labels["timing"].format(**timings)
    return html.escape(answer) + source_block(sources, labels) + footer + "</sub>"
