"""Adding verified answers, one by one or from a file a team already keeps (CSV or XLSX with the columns
`question`, `answer` and an optional `source`), and writing them back out. The CLI and the API both come here.

A source is a document the knowledge base holds, named by its path, file name or id, optionally with a page:
"CK6140数控车床保养规程.pdf#p3" or "… p.3"; several are separated by ";". A file is checked whole before anything
is stored: one bad row (no question, no answer, a source the knowledge base does not hold, too long) refuses the
file with every such row named, so fixing it and importing again leaves no half import behind. A question
already verified (same words, case and punctuation aside) is replaced, so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.engine.verified.index import embed_questions
from core.errors import ZhikuError
from core.kb import KnowledgeBase
from core.kb.verified import VerifiedAnswer, VerifiedSource
from core.limits import TooLargeError
from core.settings import LimitSettings

COLUMNS = ("question", "answer", "source")
_PAGE = re.compile(r"\s*(?:#\s*p?|\bp\.\s*|·\s*p\.\s*)(\d{1,6})\s*$", re.IGNORECASE)
MAX_SOURCES = 20  # per verified answer


@dataclass(frozen=True)
class Row:
    question: str
    answer: str
    sources: tuple[VerifiedSource, ...]


def passage_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def resolve_source(kb: KnowledgeBase, name: str, page: int | None = None, text: str = "") -> VerifiedSource:
    """A document of the knowledge base, by path, file name or id; refused when it holds none by that name."""
    name = name.strip()
    if page is None and (found := _PAGE.search(name)):
        name, page = name[: found.start()].strip(), int(found.group(1))
    doc_ids = kb.doc_ids_matching([name], [], [])
    if not doc_ids:
        raise ZhikuError(f"source {name!r} is not a document of knowledge base '{kb.name}'")
    paths = kb.paths_of(doc_ids[0])
    return VerifiedSource(doc_ids[0], paths[0] if paths else name, page, passage_hash(text) if text.strip() else "")


def check_texts(question: str, answer: str, limits: LimitSettings) -> None:
    if not question.strip() or not answer.strip():
        raise ZhikuError("a verified answer needs both a question and an answer")
    if len(question) > limits.question_chars:
        raise TooLargeError(f"question: {len(question):,} characters, at most {limits.question_chars:,}")
    if len(answer) > limits.answer_chars:
        raise TooLargeError(f"answer: {len(answer):,} characters, at most {limits.answer_chars:,}")


def add_verified(kb: KnowledgeBase, rows: Sequence[Row], by: str) -> list[VerifiedAnswer]:
    """Stored with their questions' vectors (the matcher would embed them on its first question otherwise), all
    in one transaction; an already verified question is replaced."""
    vectors = embed_questions(kb, [r.question for r in rows])
    stored = [(r.question, r.answer, r.sources, v) for r, v in zip(rows, vectors, strict=True)]
    return kb.verified.add_all(stored, by, kb.embedder.name)


def read_rows(kb: KnowledgeBase, path: Path, limits: LimitSettings) -> list[Row]:
    """Every row of a CSV or XLSX file, checked; ZhikuError naming the bad rows (none is stored then)."""
    size = path.stat().st_size
    if size > limits.import_mb * 2**20:
        raise TooLargeError(f"{path.name}: {size / 2**20:.1f} MB, at most {limits.import_mb:g} MB (limits.import_mb)")
    table = _xlsx(path, limits) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv(path, limits)
    header = [str(h or "").strip().lower() for h in next(table, [])]
    if "question" not in header or "answer" not in header:
        raise ZhikuError(f"{path.name}: the first row must name the columns 'question' and 'answer' (and 'source')")
    at = {name: header.index(name) for name in COLUMNS if name in header}
    rows, problems = [], []
    for number, cells in enumerate(table, start=2):
        value = {
            name: str(cells[i]).strip() if i < len(cells) and cells[i] is not None else "" for name, i in at.items()
        }
        if not any(value.values()):
            continue
        try:
            check_texts(value["question"], value["answer"], limits)
            names = [s for s in value.get("source", "").split(";") if s.strip()]
            if len(names) > MAX_SOURCES:
                raise TooLargeError(f"{len(names)} sources, at most {MAX_SOURCES}")
            rows.append(Row(value["question"], value["answer"], tuple(resolve_source(kb, n) for n in names)))
        except ZhikuError as exc:
            problems.append(f"row {number}: {exc}")
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise ZhikuError(f"{path.name}: nothing imported: " + "; ".join(problems[:10]) + more)
    return rows


def _csv(path: Path, limits: LimitSettings) -> Iterator[list[str | None]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ZhikuError(f"{path.name}: not UTF-8 or GB18030 text")
    return _bounded(csv.reader(io.StringIO(text)), limits, path.name)


def _xlsx(path: Path, limits: LimitSettings) -> Iterator[list[str | None]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ZhikuError(f"{path.name}: not a readable XLSX workbook ({exc.__class__.__name__})") from exc
    return _bounded(([c for c in row] for row in sheet.iter_rows(values_only=True)), limits, path.name)


def _bounded(rows: Iterable[Sequence[object]], limits: LimitSettings, name: str) -> Iterator[list[str | None]]:
    for number, row in enumerate(rows):
        if number > limits.import_rows:
            raise TooLargeError(f"{name}: more than {limits.import_rows:,} rows (limits.import_rows)")
        yield [None if c is None else str(c) for c in row]


def export_rows(answers: Sequence[VerifiedAnswer]) -> list[list[str]]:
    """The import columns first, so an export imports again; then who, when, the status and the id."""
    table = [[*COLUMNS, "by", "at", "status", "review_reason", "id"]]
    for a in answers:
        sources = "; ".join(f"{s.name}#p{s.page}" if s.page else s.name for s in a.sources)
        table.append([a.question, a.answer, sources, a.by, a.at, a.status, a.review_reason, a.id])
    return table


def write_table(rows: Sequence[Sequence[str]], path: Path | None) -> str:
    """CSV text (written to `path` when given; XLSX when it ends so)."""
    if path is not None and path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(list(row))
        book.save(path)
        return ""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    if path is not None:
        path.write_text(out.getvalue(), encoding="utf-8-sig")  # Excel opens UTF-8 CSV right with the BOM
    return out.getvalue()
