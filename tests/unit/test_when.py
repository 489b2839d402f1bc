"""Chinese dates and times, against Wednesday 2026-11-25 10:00 Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.when import WhenError, chinese_number, parse_when
from tests.conftest import TZ

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("下周五上午提醒我去申领补贴", datetime(2026, 12, 4, 9, 0)),
        ("3月1日提醒我", datetime(2027, 3, 1, 9, 0)),  # passed this year: next year
        ("12月1号下午3点半", datetime(2026, 12, 1, 15, 30)),
        ("明天下午3点", datetime(2026, 11, 26, 15, 0)),
        ("后天晚上8点", datetime(2026, 11, 27, 20, 0)),
        ("周五", datetime(2026, 11, 27, 9, 0)),
        ("这周五早上", datetime(2026, 11, 27, 8, 0)),
        ("下下周一", datetime(2026, 12, 7, 9, 0)),
        ("星期天中午", datetime(2026, 11, 29, 12, 0)),
        ("3天后", datetime(2026, 11, 28, 9, 0)),
        ("两周后提醒我", datetime(2026, 12, 9, 9, 0)),
        ("一个月后", datetime(2026, 12, 25, 9, 0)),
        ("2027年3月1日 15:30", datetime(2027, 3, 1, 15, 30)),
        ("2027-01-04", datetime(2027, 1, 4, 9, 0)),
        ("十二月三十一日", datetime(2026, 12, 31, 9, 0)),
        ("下午2点20分", datetime(2026, 11, 25, 14, 20)),
        ("9点", datetime(2026, 11, 26, 9, 0)),  # 09:00 has passed today: tomorrow
    ],
)
def test_parse_when(text: str, expected: datetime):
    assert parse_when(text, NOW, TZ).moment == expected.replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("提醒我申领补贴", "没看出"),
        ("2月30日", "不存在"),
        ("2020年3月1日", "已经过去"),
        ("今天上午8点", "已经过去"),
        ("25点", "时间不对"),
        ("2035年1月1日", "两年以内"),
    ],
)
def test_unclear_or_past_times_are_explained(text: str, message: str):
    with pytest.raises(WhenError, match=message):
        parse_when(text, NOW, TZ)


def test_chinese_numbers():
    assert [chinese_number(t) for t in ["十", "十二", "二十", "三十一", "两", "7"]] == [
        10,
        12,
        20,
        31,
        2,
        7,
    ]


def test_matched_words_are_reported():
    assert parse_when("下周五上午提醒我去申领补贴", NOW, TZ).matched == "下周五 上午"
