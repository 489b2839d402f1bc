"""Faults through the real parts: the NLU service killed mid-conversation (degraded replies,
recovery when it is back) and the database unavailable for a while (replies go on, the
outbox waits and then delivers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.assistant import build_dialogue
from bot.config import Settings
from bot.dialogue.types import Context
from bot.misses import MissLog
from bot.store.db import make_engine, migrate, session_factory
from nlu.client import NluClient
from nlu.service import NluService
from scheduler.outbox import Outbox, Outgoing
from tests.support.postgres import PostgresCluster, start_cluster


async def test_nlu_killed_mid_conversation_degrades_then_recovers(
    settings: Settings, database_url: str, tmp_path
):
    service = NluService(log_dir=tmp_path)
    await asyncio.to_thread(service.start)
    client = NluClient(service.url, service.token, timeout=3, retry_after=0.5)
    dialogue = build_dialogue(replace(settings, database_url=database_url), client).dialogue
    context = Context()
    try:
        first = await dialogue.handle_text("学徒制一年补多少钱", context)
        assert first.answered and first.sections == ("四(一)",)
        await asyncio.to_thread(service.stop)  # killed mid-conversation
        down = await dialogue.handle_text("培训期间有生活费吗", context)
        assert down.kind == "degraded" and "抱歉" in down.text and down.buttons
        pressed = dialogue.handle_button(down.buttons[0][0].data, context)
        assert pressed.answered  # the topic menu works without the NLU
        await asyncio.to_thread(service.start)  # back (same port and token)
        await asyncio.sleep(0.6)
        back = await dialogue.handle_text("培训期间有生活费吗", context)
        assert back.answered and back.sections == ("三(七)",)
    finally:
        await client.aclose()
        await asyncio.to_thread(service.stop)


@pytest.fixture()
def own_postgres() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    yield cluster
    cluster.stop()


async def test_database_unavailable_for_a_while(
    settings: Settings, own_postgres: PostgresCluster, caplog: pytest.LogCaptureFixture
):
    from tests.support.fake_nlu import FakeNlu

    url = own_postgres.create_database("outage")
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    dialogue = build_dialogue(replace(settings, database_url=url), FakeNlu()).dialogue
    outbox = Outbox(sessions)

    own_postgres.pause()
    reply = await dialogue.handle_text("今天天气怎么样", Context())  # a miss, not recordable
    assert reply.kind == "decline" and "12333" in reply.text
    assert "could not record" in caplog.text
    with pytest.raises(Exception):  # noqa: B017 - the driver's OperationalError, surfaced
        outbox.enqueue([Outgoing("notice:1", 1, "x")])

    own_postgres.resume()
    assert outbox.enqueue([Outgoing("notice:1", 1, "x")]) == 1  # the pool reconnects
    await dialogue.handle_text("今天天气怎么样", Context())
    assert [row.count for row in MissLog(sessions).summary()] == [1]
    engine.dispose()
