"""Read a published catalogue table (XLSX or CSV) and check it: entries, or a report of
every problem with its row number. Reading never changes anything."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.catalogue.spec import WILDCARD, CatalogueSpec, clean

XLSX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 5_000_000  # a catalogue of every occupation and level is well under 1 MB
MAX_ROWS = 20_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. `kind` picks the wording (responses/catalogue/report.j2)."""

    kind: str  # unreadable | too_large | no_header | missing_columns | no_rows | empty_occupation
    #            | unknown_level | bad_amount | duplicate
    row: int | None = None  # as the spreadsheet numbers it (1 = the first line)
    value: str = ""  # the offending cell, or the missing column names
    other_row: int | None = None  # a duplicate's first occurrence


@dataclass(frozen=True)
class Entry:
    occupation: str  # cleaned; "*" sets the level's standard for every occupation
    level: str  # level id (policy/catalogue.yml)
    amount_yuan: Decimal
    category: str = ""
    remarks: str = ""
    row: int = 0


@dataclass(frozen=True)
class ImportReport:
    file_name: str
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field → the title found

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.entries)


def read_catalogue(data: bytes, file_name: str, spec: CatalogueSpec) -> ImportReport:
    """Entries of a table, or every problem found (with row numbers)."""
    if len(data) > MAX_BYTES:
        return ImportReport(file_name, problems=(Problem("too_large", value=str(len(data))),))
    try:
        rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    except Exception as exc:  # a damaged or foreign file: said plainly, nothing imported
        return ImportReport(file_name, problems=(Problem("unreadable", value=type(exc).__name__),))
    return _check(rows[:MAX_ROWS], file_name, spec)


def read_file(path: Path, spec: CatalogueSpec) -> ImportReport:
    return read_catalogue(path.read_bytes(), path.name, spec)


# ---- raw rows --------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """UTF-8 (with or without BOM), else GB18030: what Chinese Excel saves as CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    if "\x00" in text:
        raise ValueError("binary data")
    return [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]


def _xlsx_rows(data: bytes) -> list[tuple[int, list[object]]]:
    """The first sheet; a merged cell's value is repeated over the rows it spans (a
    published table often merges an occupation over its levels, or a category)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), data_only=True)
    sheet = book.worksheets[0]
    merged: dict[tuple[int, int], object] = {}
    for span in sheet.merged_cells.ranges:
        value = sheet.cell(span.min_row, span.min_col).value
        for r in range(span.min_row, span.max_row + 1):
            for c in range(span.min_col, span.max_col + 1):
                merged[(r, c)] = value
    rows: list[tuple[int, list[object]]] = []
    for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [merged.get((r, c), v) for c, v in enumerate(values, start=1)]
        rows.append((r, cells))
    return rows


# ---- checking --------------------------------------------------------------------------


def _find_header(
    rows: list[tuple[int, list[object]]], spec: CatalogueSpec
) -> tuple[int | None, dict[str, int], list[str]]:
    """(row number, field → column index, missing required fields of the best candidate)."""
    best: tuple[int | None, dict[str, int]] = (None, {})
    for number, cells in rows[: spec.header_search_rows]:
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            name = spec.field_for(cell)
            if name is not None and name not in found:
                found[name] = index
        if all(f in found for f in spec.required):
            return number, found, []
        if len(found) > len(best[1]):
            best = (number, found)
    missing = [f for f in spec.required if f not in best[1]]
    return best[0], best[1], missing


def _amount(cell: object) -> Decimal | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        value = Decimal(str(cell))
    else:
        text = clean(cell).replace(",", "").removesuffix("元")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    if not value.is_finite() or value < 0 or value >= 1_000_000:
        return None
    return value.quantize(Decimal("0.01"))


def _check(
    rows: list[tuple[int, list[object]]], file_name: str, spec: CatalogueSpec
) -> ImportReport:
    header_row, columns, missing = _find_header(rows, spec)
    if header_row is None:
        return ImportReport(file_name, problems=(Problem("no_header"),))
    if missing:
        titles = "、".join(spec.columns[f][0] for f in missing)
        return ImportReport(
            file_name, header_row=header_row, problems=(Problem("missing_columns", value=titles),)
        )
    header_cells = next(cells for n, cells in rows if n == header_row)
    titles = {f: " ".join(str(header_cells[i]).split()) for f, i in columns.items()}

    def cell(cells: list[object], name: str) -> object:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    entries: list[Entry] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    category = ""
    for number, cells in rows:
        if number <= header_row or not any(clean(c) for c in cells):
            continue
        filled = [clean(c) for c in cells if clean(c)]
        occupation_cell, level_cell = cell(cells, "occupation"), cell(cells, "level")
        amount_cell = cell(cells, "amount")
        if len(filled) == 1 and not clean(level_cell) and not clean(amount_cell):
            category = filled[0]  # a heading row ("信息服务类") names the rows below it
            continue
        occupation = spec.occupation_key(occupation_cell)
        level = spec.level_id(level_cell) if clean(level_cell) else "none"
        amount = _amount(amount_cell)
        row_problems = []
        if not occupation:
            row_problems.append(Problem("empty_occupation", number))
        if level is None:
            row_problems.append(Problem("unknown_level", number, clean(level_cell)))
        if amount is None:
            row_problems.append(Problem("bad_amount", number, clean(amount_cell)))
        if occupation and level is not None:
            key = (occupation, level)
            if key in seen:
                shown = "各职业" if occupation == WILDCARD else occupation
                row_problems.append(Problem("duplicate", number, shown, other_row=seen[key]))
            else:
                seen[key] = number
        problems += row_problems
        if not row_problems and amount is not None and level is not None:
            entries.append(
                Entry(
                    occupation=occupation,
                    level=level,
                    amount_yuan=amount,
                    category=clean(cell(cells, "category")) or category,
                    remarks=str(cell(cells, "remarks") or "").strip(),
                    row=number,
                )
            )
    if not entries and not problems:
        problems.append(Problem("no_rows"))
    return ImportReport(
        file_name,
        entries=tuple(entries),
        problems=tuple(problems),
        header_row=header_row,
        columns=titles,
    )
