"""A broadcast to 100,000 subscribers on PostgreSQL is fanned out by one INSERT … SELECT
(timings: `make bench`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from telegram import Bot

from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Broadcast, Delivery
from scheduler.runtime import SchedulerRuntime
from tests.support.subscribers import add_subscribers

SUBSCRIBERS = 100_000


@pytest.fixture()
def runtime(
    settings: Settings, renderer: Renderer, pack: PolicyPack, own_postgres_database: str
) -> Iterator[SchedulerRuntime]:
    engine = make_engine(own_postgres_database)
    migrate(engine)
    bot = Bot("123456789:TEST-abcdefghijklmnopqrstuvwxyz0123")  # never called here
    yield SchedulerRuntime(settings, session_factory(engine), renderer, bot, pack)
    engine.dispose()


def test_fan_out_to_100000_subscribers_is_one_statement(runtime: SchedulerRuntime):
    engine = runtime.sessions.kw["bind"]
    add_subscribers(engine, SUBSCRIBERS)
    broadcast_id = runtime.broadcasts.draft("十万人的通知", 9001).id
    assert runtime.broadcasts.confirm(broadcast_id) is not None
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert runtime.broadcasts.fan_out_due() == {broadcast_id: SUBSCRIBERS}
    finally:
        event.remove(engine, "before_cursor_execute", record)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
    assert len([s for s in writes if s.startswith("INSERT INTO deliveries")]) == 1
    assert "SELECT" in writes[-1] and "ON CONFLICT" in writes[-1]
    assert len(writes) == 2  # the status change and the rows, in one transaction
    with runtime.sessions() as session:
        rows = session.execute(
            select(func.count(), func.count(func.distinct(Delivery.chat_id))).where(
                Delivery.message_key == f"broadcast:{broadcast_id}"
            )
        ).one()
        assert tuple(rows) == (SUBSCRIBERS, SUBSCRIBERS)
        assert session.get(Broadcast, broadcast_id).status == "queued"
