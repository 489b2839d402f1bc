"""Which "提醒我" messages are reminder requests (policy/reminder_requests.yml) and which
are policy questions for the NLU."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.reminder_requests import ReminderRequests, load_reminder_requests
from bot.config import Settings

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def requests(settings: Settings) -> ReminderRequests:
    return load_reminder_requests(settings.paths.policy)


@pytest.mark.parametrize(
    "text",
    [
        "提醒我3月1日交月报",
        "下周五上午提醒我去申领补贴",
        "明天下午3点提醒我",
        "能在3月1日提醒我交月报吗",  # a question, but it names a time
        "提醒我",  # no time: the parser asks when
        "提醒我2020年1月1日交月报",  # past: the parser says so
        "提醒我交月报",
    ],
)
def test_requests_go_to_the_reminder_parser(requests: ReminderRequests, text: str) -> None:
    assert requests.is_request(text, NOW, ZONE)


@pytest.mark.parametrize(
    "text",
    [
        "补贴到账了会提醒我吗",
        "到时候会提醒我去领吗",
        "培训结束后会不会提醒我领证书",
        "到時候會提醒我去領嗎",  # traditional characters are normalised first
        "补贴什么时候发",  # no trigger at all
    ],
)
def test_questions_are_not_requests(requests: ReminderRequests, text: str) -> None:
    assert not requests.is_request(text, NOW, ZONE)


def test_the_words_come_from_the_policy_file(tmp_path) -> None:
    (tmp_path / "reminder_requests.yml").write_text(
        "triggers: [叫我]\nquestion_words: [吗]\n", "utf-8"
    )
    custom = load_reminder_requests(tmp_path)
    assert custom.is_request("明天叫我", NOW, ZONE)
    assert not custom.is_request("会叫我吗", NOW, ZONE)
    assert not custom.is_request("提醒我3月1日交月报", NOW, ZONE)
