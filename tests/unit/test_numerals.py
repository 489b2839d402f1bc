"""Chinese numerals where the self-check asks for a number."""

from __future__ import annotations

import pytest

from bot.numerals import parse_chinese_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("两", 2),
        ("二", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("三千", 3000),
        ("三千五", 3500),
        ("一百零五", 105),
        ("一千零一", 1001),
        ("两万", 20000),
        ("一万二", 12000),
        ("3千", 3000),
        ("1.5万", 15000),
        ("3000", 3000),
        ("零", 0),
    ],
)
def test_numbers_people_type(text: str, value: float):
    assert parse_chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "三五", "abc", "三个", "两三", "千万元"])
def test_not_one_number(text: str):
    assert parse_chinese_number(text) is None
