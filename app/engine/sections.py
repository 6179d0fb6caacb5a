"""One place in the results per section: a section's matching chunks are shown once, by its best chunk.

Why: a section cut into several chunks often fills the top 5 with itself (emanual's sections are two to four
chunks), pushing out the other sections a user or the LLM needs to see. Grouped, the top 5 holds five places
in the documents, and a section several of whose chunks match the question gets a small bonus for each, as
a second opinion on a near-tie. Measured on six QA sets (docs/benchmarks.md, "One place per section").

A group never crosses a page, so the citation of the text shown stays exact. Within a page, chunks under the
same heading are one section; chunks with no heading are grouped only with their direct neighbours. The
shown text is the best chunk joined with the matching neighbours on either side of it (their overlap cut),
so the continuation of an answer is not lost; matching chunks further away only add to the score.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace

from core.documents import Source, chunk_index

MIN_OVERLAP = 8  # shorter shared ends between neighbours are coincidence, not the splitter's overlap


def by_section(candidates: Sequence[Source], bonus: float) -> list[Source]:
    """Candidates best first (by `fused_score`) in, one per section out, best first by the section's score:
    its best chunk's fused score plus `bonus` times the others'."""
    groups: dict[Hashable, list[Source]] = {}
    for src, key in zip(candidates, section_keys(candidates), strict=True):
        groups.setdefault(key, []).append(src)
    shown = [shown_source(members, bonus) for members in groups.values()]
    return sorted(shown, key=lambda s: -s.fused_score)


def section_keys(candidates: Sequence[Source]) -> list[Hashable]:
    """Same document and page, and then the same heading, or else a run of consecutive chunks."""
    by_place: dict[tuple[str, int | None], list[int]] = {}
    for src in candidates:
        if not src.heading:
            by_place.setdefault((src.doc_id, src.page), []).append(chunk_index(src.chunk_id))
    run_of = {place: runs(indices) for place, indices in by_place.items()}
    return [
        (s.doc_id, s.page, s.heading)
        if s.heading
        else (s.doc_id, s.page, "", run_of[(s.doc_id, s.page)][chunk_index(s.chunk_id)])
        for s in candidates
    ]


def runs(indices: list[int]) -> dict[int, int]:
    """Chunk index -> the number of the run of consecutive indices it belongs to."""
    out, run, previous = {}, 0, None
    for i in sorted(set(indices)):
        if previous is not None and i != previous + 1:
            run += 1
        out[i], previous = run, i
    return out


def shown_source(members: list[Source], bonus: float) -> Source:
    """The best member, its text joined with the members directly before and after it."""
    best = members[0]
    if len(members) == 1:
        return best
    at = {chunk_index(m.chunk_id): m for m in members}
    first = last = chunk_index(best.chunk_id)
    while first - 1 in at:
        first -= 1
    while last + 1 in at:
        last += 1
    text = at[first].text
    for i in range(first + 1, last + 1):
        text = joined(text, at[i].text)
    run = [at[i] for i in range(first, last + 1)]
    return replace(
        best,
        text=text,
        joined=tuple(m.chunk_id for m in run if m is not best),
        fused_score=best.fused_score + bonus * sum(m.fused_score for m in members[1:]),
        coverage=max(m.coverage for m in run),
    )


def joined(before: str, after: str) -> str:
    """Neighbouring chunks share the splitter's overlap; keep it once. The longest overlap starts at the first
    place in `before` where `after`'s opening recurs and runs to its end (found, not tried size by size: this
    runs for every candidate section of every question)."""
    head = after[:MIN_OVERLAP]
    at = before.find(head, max(0, len(before) - len(after)))
    while at != -1 and len(before) - at >= MIN_OVERLAP:
        if after.startswith(before[at:]):
            return before + after[len(before) - at :]
        at = before.find(head, at + 1)
    return f"{before}\n{after}"
