"""A table's grid of cells, as found on a PDF page, turned into rows that each read alone.

Pure functions over plain data (no PDF library), so the rules are tested on their own:
- merged cells are spread: in the header a cell spanning columns names each of them ("DATES START",
  "DATES END"), or, with nothing under it, the columns' values together ("Permit: 18,870 23,022"); in the
  body a cell spanning rows repeats on each row it spans, one spanning columns counts once;
- header rows: the first row holding no number, and the rows of words under it while the one above had a
  merged cell or they fill under half as many cells as the first (a heading wrapped onto a second line);
- a first row that is one cell across the whole table is its title, used as its caption;
- a table opening on a data row (or, after a table of words only, on a row other than its header), right
  after a table of as many columns that ended the page before, is its continuation and keeps its header;
- a body cell that stacks several values on lines ("Alabama\\nAlaska") where every other filled cell of the
  row stacks as many is several rows drawn without rules between them.
Rows are written by `tables.row_text`, the spreadsheets' format: "列名: 值; 列名2: 值2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.loaders.tables import row_text

MAX_HEADER_ROWS = 3
_NUMERIC = re.compile(r"^[\s$¥€£%()+\-–.,:/\d]*\d(?:[\s$¥€£%()+\-–.,:/\d]|[eE][+-]?\d)*$")
_CID = re.compile(r"\(cid:\d+\)")
_SPACED_DATE = re.compile(r"^\d{1,4}[/.:-]\d{1,2}(?:[/.:-]\d{1,4})?$")


@dataclass(frozen=True)
class Slot:
    """One position of the grid: the text of the cell covering it, and where that cell starts (row, column):
    a slot whose origin is elsewhere is covered by a merged cell."""

    text: str
    row: int
    col: int


@dataclass
class Table:
    """What the rows of one table need: its grid, and what was read around it."""

    grid: list[list[Slot]]
    caption: str = ""


@dataclass
class Built:
    """A table as rows: its caption (title row or the line above it), header names, and the row lines."""

    caption: str
    header: list[str]
    lines: list[str] = field(default_factory=list)
    numbers: bool = False  # whether any body cell is a number: a table of words continues on a row of words


def cell(text: str | None) -> str:
    """Cell text on one line, without pdfminer's "(cid:3)" markers for glyphs it could not map; a date or time
    set in spaced-out figures ("0 3 / 2 5 / 2 0 16") is written as it reads ("03/25/2016")."""
    text = " ".join(_CID.sub("", text or "").split())
    joined = text.replace(" ", "")
    return joined if " " in text and _SPACED_DATE.match(joined) else text


def is_numeric(text: str) -> bool:
    return bool(_NUMERIC.match(text))


def _header_like(row: list[Slot]) -> bool:
    texts = [cell(s.text) for s in row]
    return any(texts) and not any(is_numeric(t) for t in texts if t)


def _filled(row: list[Slot]) -> int:
    return sum(1 for c, s in enumerate(row) if s.col == c and cell(s.text))


def _merged_across(row: list[Slot], r: int) -> bool:
    return any(s.row == r and s.col != c for c, s in enumerate(row))


def _title(row: list[Slot]) -> str | None:
    """The row's text when one cell spans all of it (or it holds one value only) and the table is wider than 2."""
    values = list(dict.fromkeys(cell(s.text) for s in row if cell(s.text)))
    return values[0] if len(row) > 2 and len(values) == 1 else None


def header_names(rows: list[list[Slot]]) -> list[str]:
    """Each column's name: the header rows' texts over it, top down, a spread value written once."""
    names: list[str] = []
    for c in range(max(len(r) for r in rows)):
        parts: list[str] = []
        for row in rows:
            text = cell(row[c].text) if c < len(row) else ""
            if text and text not in parts:
                parts.append(text)
        names.append(" ".join(parts))
    return names


def body_cells(row: list[Slot], r: int) -> list[str]:
    """A body row's texts: a cell spanning rows is repeated under itself, one spanning columns written once."""
    return [s.text if s.col == c else "" for c, s in enumerate(row)]


def unstack(cells: list[str]) -> list[list[str]]:
    """["Alabama\\nAlaska", "18,870\\n209"] → two rows, when every filled cell holds the same number (2+) of
    lines; otherwise one row with each cell's lines joined by spaces (a wrapped cell)."""
    filled = [c.split("\n") for c in cells if c.strip()]
    counts = {len(lines) for lines in filled}
    if len(filled) >= 2 and len(counts) == 1 and (k := counts.pop()) >= 2:
        split = [c.split("\n") if c.strip() else [""] * k for c in cells]
        return [[cell(col[i]) for col in split] for i in range(k)]
    return [[cell(c) for c in cells]]


def collapse(header: list[str], cells: list[str]) -> tuple[list[str], list[str]]:
    """Neighbouring columns under one name (a merged header cell with no sub-heading under it) as one column
    of their values: "Permit: 18,870 23,022 859" rather than the name written before each value."""
    names: list[str] = []
    values: list[str] = []
    for c, value in enumerate(cells):
        name = header[c] if c < len(header) else ""
        if names and name and name == names[-1]:
            values[-1] = " ".join(v for v in (values[-1], value) if v)
        else:
            names.append(name)
            values.append(value)
    return names, values


def build_rows(table: Table, previous: Built | None = None) -> Built:
    """The table's rows as text lines. `previous` is the table right before it when that one ended its page and
    has as many columns: if this table opens on a data row, it continues that one and keeps its header."""
    grid = [row for row in table.grid if row]
    caption = table.caption
    while grid and (title := _title(grid[0])) is not None:
        caption = caption or title
        grid = grid[1:]
    if not grid:
        return Built(caption, [])
    width = max(len(r) for r in grid)
    header_rows: list[list[Slot]] = []
    if _header_like(grid[0]):
        header_rows.append(grid[0])
        r = 1
        while (
            r < len(grid)
            and len(header_rows) < MAX_HEADER_ROWS
            and _header_like(grid[r])
            and (_merged_across(grid[r - 1], r - 1) or 2 * _filled(grid[r]) < _filled(grid[0]))
        ):
            header_rows.append(grid[r])
            r += 1
    continued = (
        previous is not None
        and not table.caption
        and len(previous.header) == width
        and (not header_rows or (not previous.numbers and header_names(header_rows) != previous.header))
    )
    if continued and previous is not None:
        header_rows = []
        header, caption = previous.header, previous.caption
    else:
        header = header_names(header_rows) if header_rows else []
    built = Built(caption, header)
    for r, row in enumerate(grid[len(header_rows) :], len(header_rows)):
        texts = body_cells(row, r)
        if _merged_across(row, r) and sum(1 for c in texts if c.strip()) == 1:  # a text across the table
            built.lines.extend(cell(line) for line in "".join(texts).split("\n") if cell(line))
            continue
        for cells in unstack(texts):
            built.numbers = built.numbers or any(is_numeric(c) for c in cells if c)
            if any(cells):
                built.lines.append(row_text(*collapse(header, cells)) if header else "; ".join(c for c in cells if c))
    return built
