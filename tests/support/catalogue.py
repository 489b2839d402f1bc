"""The real catalogue example (examples/catalogue/) as the tests use it: the CSV as
published in the excerpt, an XLSX generated from it, and damaged copies."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import ROOT

EXAMPLE_CSV = ROOT / "examples" / "catalogue" / "taizhou_2020_2021.csv"
EXAMPLE_VALID_FROM = "2020-07-23"
EXAMPLE_SOURCE = (
    "泰州市人社局 泰州市财政局《关于发布泰州市区技能提升培训职业（工种、项目）和补贴标准目录"
    "（2020-2021年）的通知》（文号未见）"
)
CAPTION = f"{EXAMPLE_VALID_FROM} {EXAMPLE_SOURCE}"


def example_rows() -> list[list[str]]:
    with EXAMPLE_CSV.open(encoding="utf-8") as f:
        return list(csv.reader(f))


def example_xlsx() -> bytes:
    """The excerpt laid out as published spreadsheets often are: a title row above the
    header, and each category merged down over its rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["泰州市区技能提升培训职业（工种、项目）和补贴标准目录（2020-2021年）（节选）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    header, *data = example_rows()
    sheet.append(header)
    for row in data:  # numbers as numbers, like a real sheet
        sheet.append([row[0], row[1], row[2], int(row[3]), row[4] or None])
    # Merge each run of one category: the value stays only in the top cell, as in Excel.
    first = 3
    start = 0
    for index in range(1, len(data) + 1):
        if index == len(data) or data[index][0] != data[start][0]:
            if index - 1 > start:
                for offset in range(start + 1, index):
                    sheet.cell(first + offset, 1).value = None
                sheet.merge_cells(
                    start_row=first + start, start_column=1, end_row=first + index - 1, end_column=1
                )
            start = index
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def damaged_csv() -> bytes:
    """The example with three rows broken: an unknown level (row 3), a non-numeric amount
    (row 4), a duplicate of row 2 (row 5)."""
    rows = example_rows()
    rows[2][2] = "中高级"
    rows[3][3] = "一千五"
    rows[4][2] = rows[1][2]
    return _csv(rows)


def without_level_column() -> bytes:
    return _csv([[c for i, c in enumerate(row) if i != 2] for row in example_rows()])


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
