"""The weekly tip and scheduled broadcasts, clock-controlled, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.assistant import open_database
from bot.clock import now_utc
from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer, telegram_length
from bot.store.models import Broadcast, Delivery, Subscriber
from scheduler.broadcasts import TEXT_LIMIT
from scheduler.runtime import SchedulerRuntime
from tests.conftest import TZ


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
    draft = runtime.broadcasts.draft("十二月政策提示", 9001, send_at=send_at)
    assert (draft.id, draft.audience) == (1, 3)
    confirmed = runtime.broadcasts.confirm(draft.id)
    assert confirmed is not None and (confirmed.audience, confirmed.send_at) == (3, send_at)
    assert runtime.broadcasts.confirm(draft.id) is None  # confirming twice does nothing
    # The scheduler fans it out at its time, not before.
    assert runtime.broadcasts.fan_out_due(datetime(2026, 11, 25, 12, 0, tzinfo=TZ)) == {}
    assert _rows(runtime, f"broadcast:{draft.id}") == []
    runtime.subscriptions.toggle(5, "publicity")  # joined before the time: gets it too
    assert runtime.broadcasts.fan_out_due(send_at) == {draft.id: 4}
    rows = _rows(runtime, f"broadcast:{draft.id}")
    assert sorted(r.chat_id for r in rows) == [1, 2, 3, 5]
    assert all(r.not_before == send_at and r.status == "pending" for r in rows)
    assert "十二月政策提示" in rows[0].text and "/unsubscribe" in rows[0].text
    assert runtime.broadcasts.fan_out_due(send_at) == {}  # once


def test_fan_out_waits_for_each_subscribers_quiet_hours(runtime):
    runtime.subscriptions.toggle(6, "publicity")
    with runtime.sessions.begin() as session:  # chat 6 chose its own quiet hours
        session.get(Subscriber, 6).quiet_start, session.get(Subscriber, 6).quiet_end = (
            "21:00",
            "09:30",
        )
    broadcast_id = runtime.broadcasts.draft("晚间通知", 9001).id
    runtime.broadcasts.confirm(broadcast_id)
    evening = datetime(2026, 11, 25, 21, 30, tzinfo=TZ)
    assert runtime.broadcasts.fan_out_due(evening) == {broadcast_id: 4}
    not_before = {r.chat_id: r.not_before for r in _rows(runtime, "broadcast:%")}
    assert not_before == {
        1: evening,
        2: evening,
        3: evening,
        6: datetime(2026, 11, 26, 9, 30, tzinfo=TZ),
    }


def test_a_confirmed_broadcast_can_be_cancelled_before_its_time(runtime):
    send_at = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    broadcast_id = runtime.broadcasts.draft("取消测试", 9001, send_at=send_at).id
    runtime.broadcasts.confirm(broadcast_id)
    assert [w.id for w in runtime.broadcasts.waiting()] == [broadcast_id]
    cancelled = runtime.broadcasts.cancel(broadcast_id)
    assert cancelled is not None and (cancelled.stopped, cancelled.sent) == (0, 0)
    assert runtime.broadcasts.fan_out_due(send_at) == {}
    assert _rows(runtime, f"broadcast:{broadcast_id}") == []
    assert runtime.broadcasts.waiting() == []
    assert runtime.broadcasts.cancel(broadcast_id) is None  # nothing left to cancel
    assert runtime.broadcasts.finished_reports() == []  # no report for a cancelled one


def test_cancelling_a_queued_broadcast_stops_what_is_not_sent(runtime):
    broadcast_id = runtime.broadcasts.draft("发到一半", 9001).id
    runtime.broadcasts.confirm(broadcast_id)
    noon = datetime(2026, 11, 25, 12, 0, tzinfo=TZ)  # outside quiet hours
    runtime.broadcasts.fan_out_due(noon)
    first = runtime.outbox.claim(noon)
    assert first is not None
    runtime.outbox.finish(first.id, "sent")
    cancelled = runtime.broadcasts.cancel(broadcast_id)
    assert cancelled is not None and (cancelled.stopped, cancelled.sent) == (2, 1)
    assert runtime.outbox.claim(noon) is None  # nothing more goes out
    statuses = sorted(r.status for r in _rows(runtime, f"broadcast:{broadcast_id}"))
    assert statuses == ["cancelled", "cancelled", "sent"]


def test_a_broadcast_with_no_delivery_rows_is_never_reported_as_done(runtime):
    runtime.subscriptions.unsubscribe_all(1)
    runtime.subscriptions.unsubscribe_all(2)
    runtime.subscriptions.unsubscribe_all(3)
    broadcast_id = runtime.broadcasts.draft("没人订阅", 9001).id
    runtime.broadcasts.confirm(broadcast_id)
    assert runtime.broadcasts.fan_out_due() == {broadcast_id: 0}
    [report] = runtime.broadcasts.finished_reports()
    assert (report.broadcast_id, report.outcome, report.counts) == (broadcast_id, "empty", {})
    # A broadcast left queued with no rows (an interrupted older version) says so too.
    with runtime.sessions.begin() as session:
        session.add(
            Broadcast(
                text="旧的",
                topic="publicity",
                created_by=9001,
                created_at=now_utc(),
                status="queued",
                reported=False,
            )
        )
    [report] = runtime.broadcasts.finished_reports()
    assert (report.outcome, report.counts) == ("failed", {})
    with runtime.sessions() as session:
        statuses = set(session.scalars(select(Broadcast.status)))
    assert "done" not in statuses and statuses == {"empty", "failed"}


def test_a_draft_too_long_for_telegram_is_refused_before_it_is_saved(runtime):
    footer = telegram_length(runtime.broadcasts.render(""))
    fits = runtime.broadcasts.draft("政" * (TEXT_LIMIT - footer), 9001)
    assert fits.id is not None and fits.length == TEXT_LIMIT and not fits.too_long
    # One character more is refused; "&" counts once (Telegram reads the HTML entity).
    refused = runtime.broadcasts.draft("&" * (TEXT_LIMIT - footer + 1), 9001)
    assert refused.id is None and refused.too_long and refused.length == TEXT_LIMIT + 1
    with runtime.sessions() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1
