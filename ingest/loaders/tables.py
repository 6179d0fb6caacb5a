"""Tables (XLSX, CSV, and the tables inside DOCX/PPTX/HTML) as rows that each make sense alone.

A chunk may hold a single row, far from the header line, so every row repeats its column names:
"型号: ZK-200; 功率: 7.5 kW". One sheet is one Page whose first line `# SheetName` becomes the heading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import zip_longest
from pathlib import Path
from typing import Any

from core.documents import Page
from core.settings import IngestSettings
from ingest.errors import FileIngestError
from ingest.loaders.decode import decode_text
from ingest.loaders.safezip import check_ooxml

_CSV_DELIMITERS = ",;\t|"


def cell_text(value: Any) -> str:
    """Spreadsheet values as a person reads them: 12.0 → "12", a midnight datetime → its date."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def rows_as_text(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """The first row with two or more values names the columns; each later row becomes
    "name: value; name2: value2". Rows above it holding a single value (a sheet title) stay plain lines,
    as does a single-column table; a table with a header row only still yields that row."""
    header: list[str] | None = None
    before: list[str] = []
    emitted = False
    for row in rows:
        cells = [" ".join(c.split()) for c in row]
        if header is None:
            values = list(dict.fromkeys(c for c in cells if c))  # a merged title cell repeats across the row
            if len(values) == 1:
                before.append(values[0])
            elif values:
                header = cells
                yield from before
            continue
        if any(cells):
            emitted = True
            yield row_text(header, cells)
    if header is None:
        yield from before
    elif not emitted:
        yield "; ".join(c for c in header if c)


def row_text(header: Sequence[str], cells: Sequence[str]) -> str:
    """One row that reads alone: "name: value; name2: value2" (a value under no name, or under its own text, is
    written bare; empty cells are left out). Every table loader writes its rows through here."""
    pairs = zip_longest(header, cells, fillvalue="")
    return "; ".join(f"{name}: {value}" if name and name != value else value for name, value in pairs if value)


def load_xlsx(path: Path, settings: IngestSettings) -> list[Page]:
    """One Page per sheet, numbered by the sheet's position in the workbook, so citations name the sheet."""
    from openpyxl import load_workbook

    check_ooxml(path, settings, "XLSX")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileIngestError(f"corrupt XLSX: {exc}") from exc
    try:
        return [_sheet_page(ws, index) for index, ws in enumerate(workbook.worksheets, 1) if hasattr(ws, "iter_rows")]
    finally:
        workbook.close()


def _sheet_page(ws: Any, index: int) -> Page:
    ws.reset_dimensions()  # stale <dimension> tags would pad or cut rows in read-only mode
    rows = ([cell_text(v) for v in values] for values in ws.iter_rows(values_only=True))
    lines = list(rows_as_text(rows))
    return Page(text="\n".join([f"# {ws.title}", *lines]) if lines else "", page=index)


def load_csv(path: Path, settings: IngestSettings) -> list[Page]:
    """Encoding by `decode_text` (GBK exports from Excel are common), delimiter guessed among , ; tab |."""
    text = decode_text(path.read_bytes())
    try:
        lines = list(rows_as_text(csv.reader(io.StringIO(text), delimiter=guess_delimiter(text[:16384]))))
    except csv.Error as exc:
        raise FileIngestError(f"corrupt CSV: {exc}") from exc
    return [Page(text="\n".join(lines), page=None)]


def guess_delimiter(sample: str) -> str:
    """The candidate that splits the first lines into the same number of fields most consistently.

    csv.Sniffer was tried first: it misread a short Chinese ";" file as ","-separated.
    """
    lines = [line for line in sample.splitlines()[:20] if line.strip()][:-1] or sample.splitlines()[:1]
    best, best_score = ",", 0.0
    for delimiter in _CSV_DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        if not counts or counts[0] == 0:
            continue
        score = sum(c == counts[0] for c in counts) / len(counts) + counts[0] / 1000
        if score > best_score:
            best, best_score = delimiter, score
    return best
