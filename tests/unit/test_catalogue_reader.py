"""Reading a published catalogue: the real example as CSV and XLSX, and damaged copies
reported row by row (nothing is imported from a file with any problem)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.catalogue.reader import read_catalogue
from bot.catalogue.spec import WILDCARD, load_spec
from tests.conftest import ROOT
from tests.support.catalogue import (
    EXAMPLE_CSV,
    damaged_csv,
    example_xlsx,
    without_level_column,
)

SPEC = load_spec(ROOT / "policy")
EXPECTED = {
    (WILDCARD, "level_5"): 1000,
    (WILDCARD, "level_4"): 1200,
    (WILDCARD, "level_3"): 1500,
    (WILDCARD, "level_2"): 3000,
    (WILDCARD, "level_1"): 4000,
    (WILDCARD, "special_ability"): 800,
    ("SYB创业培训", "none"): 800,
    ("电商创业培训", "none"): 800,
    ("创业模拟实训", "none"): 800,
}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "csv-gb18030"])
def test_the_real_example_reads_the_same_from_csv_and_xlsx(kind: str):
    data = {
        "csv": EXAMPLE_CSV.read_bytes(),
        "xlsx": example_xlsx(),
        "csv-gb18030": EXAMPLE_CSV.read_text("utf-8").encode("gb18030"),
    }[kind]
    report = read_catalogue(data, f"example.{kind}", SPEC)
    assert report.ok, report.problems
    found = {(e.occupation, e.level): e.amount_yuan for e in report.entries}
    assert found == {k: Decimal(v) for k, v in EXPECTED.items()}
    # The category survives the XLSX's merged cells.
    assert {e.category for e in report.entries if e.level == "none"} == {"创业培训"}


def test_a_damaged_copy_is_reported_row_by_row_and_nothing_is_taken():
    report = read_catalogue(damaged_csv(), "damaged.csv", SPEC)
    assert not report.ok
    problems = {(p.kind, p.row, p.value, p.other_row) for p in report.problems}
    assert problems == {
        ("unknown_level", 3, "中高级", None),
        ("bad_amount", 4, "一千五", None),
        ("duplicate", 5, "各职业", 2),
    }


def test_a_missing_column_is_named():
    report = read_catalogue(without_level_column(), "no-level.csv", SPEC)
    assert [(p.kind, p.value) for p in report.problems] == [("missing_columns", "等级")]


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"PK\x03\x04 not really a workbook", "unreadable"),
        ("甲,乙\n1,2\n".encode(), "no_header"),
        ("职业,等级,金额\n".encode(), "no_rows"),
        (b"\x00\x01\x02binary", "unreadable"),
    ],
)
def test_files_that_are_no_catalogue_say_so(data: bytes, kind: str):
    assert [p.kind for p in read_catalogue(data, "x", SPEC).problems] == [kind]


def test_levels_in_a_question_in_the_order_written():
    assert SPEC.levels_in("焊工初级和中级差多少") == ["level_5", "level_4"]
    assert SPEC.levels_in("高级技师补多少") == ["level_1"]
    assert SPEC.levels_in("技师和高级工") == ["level_2", "level_3"]
    assert SPEC.levels_in("茶艺师证有补贴吗") == []


def test_names_people_use_become_the_catalogue_names():
    assert SPEC.canonical_occupation("电焊工") == "焊工"
    assert SPEC.canonical_occupation("茶艺师证") == "茶艺师"
    assert SPEC.canonical_occupation("育婴师") == "育婴员"
