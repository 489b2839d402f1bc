"""The real scheduler runtime (leader election, APScheduler, outbox sender) on SQLite and
PostgreSQL, sending through python-telegram-bot to the Bot API stand-in: a weekly tip
missed while down is caught up once at activation; reminders are indexed for the next
hours only and one added by another process is sent without a full reload; the cap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from telegram import Bot
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.assistant import open_database
from bot.clock import now_utc
from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.models import Delivery
from scheduler.reminders import SCHEDULED, SENT, Reminders, TooManyReminders
from scheduler.runtime import SchedulerRuntime
from scheduler.subscriptions import Subscriptions
from scheduler.telegram_transport import telegram_defaults
from tests.conftest import CLOCK, TZ
from tests.support.botapi import BotApiStandIn

TOKEN = "123456789:TEST-abcdefghijklmnopqrstuvwxyz0123"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIP_HEADING = "每周政策小知识"


async def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def texts_to(api: BotApiStandIn, chat: int, needle: str) -> list[str]:
    return [m.text for m in api.messages_to(chat) if needle in m.text]


@pytest.fixture()
def configured(settings: Settings, any_database_url: str) -> Settings:
    """Tips kept after the plan, last due an hour ago; never quiet (tests run any time)."""
    tip_at = now_utc().astimezone(TZ) - timedelta(hours=1)
    scheduler = replace(
        settings.scheduler,
        tip_day=WEEKDAYS[tip_at.weekday()],
        tip_time=tip_at.strftime("%H:%M"),
        tip_keep_after_plan=True,
        quiet_hours=("00:00", "00:00"),
        messages_per_second=50,
        reminder_sync_seconds=0.5,
    )
    return replace(settings, database_url=any_database_url, scheduler=scheduler)


@pytest.fixture()
def sessions_for(configured: Settings):
    sessions = open_database(configured)
    yield sessions
    sessions.kw["bind"].dispose()


async def running(
    configured: Settings,
    sessions: sessionmaker,
    renderer: Renderer,
    pack: PolicyPack,
    api: BotApiStandIn,
) -> tuple[SchedulerRuntime, Bot]:
    bot = ExtBot(
        TOKEN,
        defaults=telegram_defaults(),
        base_url=f"{api.base_url}/bot",
        request=HTTPXRequest(read_timeout=2.0, connect_timeout=2.0),
    )
    await bot.initialize()
    runtime = SchedulerRuntime(configured, sessions, renderer, bot, pack)
    await runtime.start(configured.database_url or "")
    await eventually(lambda: runtime.active)
    return runtime, bot


async def stopped(runtime: SchedulerRuntime, bot: Bot) -> None:
    await runtime.stop()
    await bot.shutdown()


async def test_a_weekly_tip_missed_while_down_is_sent_once_at_activation(
    configured, sessions_for, renderer, pack, botapi
):
    config = configured.scheduler
    subscriptions = Subscriptions(sessions_for, config.topics, config.quiet_hours, CLOCK)
    for chat in (1, 2):
        subscriptions.toggle(chat, "publicity")
    # The tip fell due an hour ago, with no scheduler running: its next time is next week,
    # so only the catch-up can send it.
    runtime, bot = await running(configured, sessions_for, renderer, pack, botapi)
    await eventually(lambda: all(texts_to(botapi, chat, TIP_HEADING) for chat in (1, 2)))
    await stopped(runtime, bot)

    subscriptions.toggle(3, "publicity")  # joined after the week's tip went out
    runtime, bot = await running(configured, sessions_for, renderer, pack, botapi)
    await asyncio.sleep(1.5)  # a few sender rounds
    await stopped(runtime, bot)
    assert [len(texts_to(botapi, chat, TIP_HEADING)) for chat in (1, 2, 3)] == [1, 1, 0]
    with sessions_for() as session:
        keys = set(session.scalars(select(Delivery.message_key)))
    assert keys == {runtime.tip_key(now_utc() - timedelta(hours=1))}


async def test_reminders_due_soon_are_indexed_and_new_ones_picked_up_without_a_reload(
    configured, sessions_for, renderer, pack, botapi
):
    store = Reminders(sessions_for)
    now = now_utc()
    soon = [store.create(100 + i, "交材料", now + timedelta(hours=1 + i % 4)) for i in range(8)]
    for i in range(8):  # beyond the six-hour horizon: left in the table
        store.create(200 + i, "交材料", now + timedelta(days=3 + i))
    late = store.create(300, "去申领补贴", now - timedelta(hours=2))  # fell due while down

    runtime, bot = await running(configured, sessions_for, renderer, pack, botapi)
    try:
        await eventually(lambda: bool(texts_to(botapi, 300, "⏰")))
        assert "晚了" in texts_to(botapi, 300, "⏰")[0]
        await eventually(lambda: store.get(late.id).status == SENT)
        assert runtime.indexed_reminders == len(soon)

        # Created by another process (a webhook worker): only the table knows of it.
        added = store.create(400, "交学徒材料", now_utc() + timedelta(seconds=2))
        await eventually(lambda: bool(texts_to(botapi, 400, "交学徒材料")))
        assert "晚了" not in texts_to(botapi, 400, "交学徒材料")[0]
        # Cancelled by another process: dropped from the index at the next sync.
        assert store.set_status(soon[0].id, "cancelled", 100)
        await eventually(lambda: runtime.indexed_reminders == len(soon) - 1)
        assert store.get(soon[1].id).status == SCHEDULED
    finally:
        await stopped(runtime, bot)

    with sessions_for() as session:
        keys = list(session.scalars(select(Delivery.message_key)))
    assert sorted(keys) == sorted([f"reminder:{late.id}", f"reminder:{added.id}"])
    assert len(texts_to(botapi, 400, "交学徒材料")) == 1


def test_a_chat_keeps_at_most_its_cap_of_scheduled_reminders(sessions):
    store = Reminders(sessions)
    due = now_utc() + timedelta(days=1)
    first = [store.create(1, f"事项{i}", due, cap=20) for i in range(20)]
    with pytest.raises(TooManyReminders):
        store.create(1, "第二十一条", due, cap=20)
    assert store.count_scheduled(1) == 20
    store.create(2, "另一个对话", due, cap=20)  # per chat
    store.set_status(first[0].id, "cancelled", 1)
    store.create(1, "取消一条后可以再设", due, cap=20)
    assert store.count_scheduled(1) == 20
