"""Times are shown in the configured zone (scheduler.timezone), whatever the host's: a
reminder at 07:30 on a Friday is stored as Thursday 23:30 UTC, and /reminders still lists
it as a Friday, through the real bot over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import CLOCK, NluEndpoint
from tests.e2e.conftest import BotProcess, running_bot, telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn

CHAT = 8301
FRIDAY = 4  # date.weekday()


@pytest.fixture()
def bot_in_another_zone(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    # The host's zone is neither UTC nor the configured one: it must not matter.
    config = write_test_config(tmp_path)
    env = telegram_env(nlu_endpoint, database_url, botapi, config, TZ="America/Los_Angeles")
    yield from running_bot(botapi, env, database_url, tmp_path)


def _a_coming_friday() -> date:
    """A Friday at least two days ahead (local), so 07:30 on it is always in the future."""
    day = CLOCK.today() + timedelta(days=2)
    return day + timedelta(days=(FRIDAY - day.weekday()) % 7)


def test_reminders_show_the_local_weekday_for_early_morning_reminders(
    bot_in_another_zone: BotProcess,
):
    api = bot_in_another_zone.api
    friday = _a_coming_friday()
    shown = f"{friday:%Y年%m月%d日}（周五）07:30"
    api.push_text(CHAT, f"{friday.year}年{friday.month}月{friday.day}日早上7点半提醒我交材料")
    confirm = api.wait_for_text(CHAT, "确认设置吗", timeout=90)
    assert shown in confirm.text, confirm.text
    api.push_callback(CHAT, dict(confirm.buttons)["确认"], message_id=confirm.message_id)
    assert shown in api.wait_for_edit_text(CHAT, "提醒已设置", confirm.message_id).text
    # Listed from the database, where it is Thursday 23:30 UTC.
    api.push_text(CHAT, "/reminders")
    listed = api.wait_for_text(CHAT, "您的提醒")
    assert f"1. {shown}：交材料" in listed.text, listed.text
    assert api.errors == []
