"""The weekly tip and scheduled broadcasts, clock-controlled, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.assistant import open_database
from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.models import Delivery
from scheduler.reporting import TZ
from scheduler.runtime import SchedulerRuntime


@pytest.fixture()
def runtime(settings: Settings, renderer: Renderer, pack: PolicyPack, any_database_url: str):
    configured = replace(settings, database_url=any_database_url)
    sessions = open_database(configured)
    bot = Bot("123456789:TEST-abcdefghijklmnopqrstuvwxyz0123")  # never called here
    runtime = SchedulerRuntime(configured, sessions, renderer, bot, pack)
    for chat in (1, 2, 3):
        runtime.subscriptions.toggle(chat, "publicity")
    runtime.subscriptions.toggle(4, "claim")  # not a publicity subscriber
    yield runtime
    sessions.kw["bind"].dispose()


def _rows(runtime: SchedulerRuntime, prefix: str) -> list[Delivery]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.message_key.like(prefix))))


def keeping_tips(runtime: SchedulerRuntime) -> SchedulerRuntime:
    """The operator keeps the weekly tips after the plan's end (config.yml)."""
    scheduler = replace(runtime.settings.scheduler, tip_keep_after_plan=True)
    runtime.settings = replace(runtime.settings, scheduler=scheduler)
    return runtime


async def test_weekly_tip_goes_once_to_publicity_subscribers_after_quiet_hours(runtime):
    late_evening = datetime(2021, 11, 29, 23, 0, tzinfo=TZ)  # a Monday, inside quiet hours
    assert await runtime.send_weekly_tip(late_evening) == 3
    assert await runtime.send_weekly_tip(late_evening) == 0  # that week's tip, once
    rows = _rows(runtime, "tip:%")
    assert {r.chat_id for r in rows} == {1, 2, 3}
    assert {r.message_key for r in rows} == {"tip:2021-W48"}
    assert all(r.not_before == datetime(2021, 11, 30, 8, 0, tzinfo=TZ) for r in rows)
    text = rows[0].text
    assert "每周政策小知识" in text and "/unsubscribe" in text and "依据" in text
    assert "不是现行政策" not in text
    # Next week brings the next topic.
    await runtime.send_weekly_tip(datetime(2021, 12, 6, 10, 0, tzinfo=TZ))
    next_week = [r for r in _rows(runtime, "tip:%") if r.message_key == "tip:2021-W49"]
    assert next_week and next_week[0].text != text


async def test_weekly_tips_stop_when_the_plan_ends(runtime):
    assert await runtime.send_weekly_tip(datetime(2021, 12, 27, 10, 0, tzinfo=TZ)) == 3
    assert await runtime.send_weekly_tip(datetime(2022, 1, 3, 10, 0, tzinfo=TZ)) == 0
    assert await runtime.send_weekly_tip(datetime(2026, 11, 30, 10, 0, tzinfo=TZ)) == 0


async def test_kept_tips_say_plainly_that_the_plan_has_ended(runtime):
    keeping_tips(runtime)
    assert await runtime.send_weekly_tip(datetime(2026, 11, 30, 10, 0, tzinfo=TZ)) == 3
    text = _rows(runtime, "tip:2026-W49")[0].text
    assert "已于2021年12月31日结束" in text and "不是现行政策" in text
    assert "方案规定" in text or "依据" in text


def test_scheduled_broadcast_waits_for_its_time(runtime):
    send_at = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    broadcast_id, count = runtime.broadcasts.draft("十二月政策提示", 9001, send_at=send_at)
    assert count == 3
    assert runtime.broadcasts.confirm(broadcast_id, datetime(2026, 11, 25, 12, 0, tzinfo=TZ)) == 3
    rows = _rows(runtime, f"broadcast:{broadcast_id}")
    assert all(r.not_before == send_at for r in rows)
    assert runtime.broadcasts.confirm(broadcast_id) is None  # confirming twice does nothing
