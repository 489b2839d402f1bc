"""Conversation state in the database (SQLite and PostgreSQL): what one worker saves the
next reads, a restart loses nothing, idle state expires, /stop and the daily purge delete
it, a save never undoes another worker's, and one chat's updates are handled in order,
within a worker and across workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from telegram import Chat, Message, Update

from bot.channels.state_processor import ChatStateProcessor
from bot.config import RetentionSettings
from bot.eligibility.conversation import CheckState
from bot.store.conversations import ConversationStore, StoredState
from bot.store.db import make_engine, session_factory
from bot.store.models import Conversation
from bot.store.retention import forget, purge

CHAT, OTHER = 6_100_001, 6_100_002
DAY = timedelta(hours=24)
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _rows(sessions: sessionmaker) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Conversation)) or 0


def test_save_load_and_a_save_that_would_undo_another(sessions: sessionmaker):
    store = ConversationStore(sessions, DAY)
    assert store.load(CHAT, T0) == StoredState(None, 0)
    assert store.save(CHAT, {"topic": "学徒制"}, StoredState(None, 0), T0)
    first = store.load(CHAT, T0)
    assert first == StoredState({"topic": "学徒制"}, 1)
    # Another worker that read nothing must not overwrite the first state written.
    assert not store.save(CHAT, {"topic": "别的"}, StoredState(None, 0), T0)
    assert store.save(CHAT, {"topic": "证书"}, first, T0)
    assert not store.save(CHAT, {"topic": "旧的"}, first, T0)  # revision 1 is gone
    assert store.load(CHAT, T0) == StoredState({"topic": "证书"}, 2)


def test_idle_state_expires_on_read_and_in_the_daily_purge(sessions: sessionmaker):
    store = ConversationStore(sessions, DAY)
    store.save(CHAT, {"topic": "学徒制"}, StoredState(None), T0)
    store.save(OTHER, {"topic": "证书"}, StoredState(None), T0 + timedelta(hours=20))
    assert store.load(CHAT, T0 + DAY - timedelta(minutes=1)).data == {"topic": "学徒制"}
    expired = store.load(CHAT, T0 + DAY + timedelta(minutes=1))
    assert expired.data is None and expired.revision == 1  # the row, to replace or delete
    purged = purge(sessions, T0 + DAY + timedelta(minutes=1), RetentionSettings())
    assert purged.conversations == 1
    assert store.load(CHAT, T0).revision == 0
    assert store.load(OTHER, T0 + DAY).data == {"topic": "证书"}
    shorter = RetentionSettings(conversation_idle_hours=2)
    assert purge(sessions, T0 + DAY, shorter).conversations == 1
    assert _rows(sessions) == 0


def test_stop_erases_the_state_and_a_late_save_does_not_bring_it_back(sessions: sessionmaker):
    store = ConversationStore(sessions, DAY)
    store.save(CHAT, {"topic": "学徒制"}, StoredState(None), T0)
    store.save(OTHER, {"topic": "证书"}, StoredState(None), T0)
    read = store.load(CHAT, T0)
    forget(sessions, CHAT, None)
    assert not store.save(CHAT, {"topic": "学徒制", "more": 1}, read, T0)
    assert store.load(CHAT, T0) == StoredState(None, 0)
    assert store.load(OTHER, T0).data == {"topic": "证书"}


# ---- the update processor: what the Telegram channel runs every update through ----


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, T0, chat, text="x"))


def _worker(sessions: sessionmaker, clock=lambda: T0, concurrent: int = 1) -> ChatStateProcessor:
    processor = ChatStateProcessor(concurrent, clock=clock)
    processor.store = ConversationStore(sessions, DAY)
    return processor


async def _handle(processor: ChatStateProcessor, update_id: int, step, chat_id: int = CHAT):
    async def handler() -> None:
        await step(processor.state_of(chat_id))

    await processor.process_update(_update(update_id, chat_id), handler())


async def test_a_state_set_on_one_worker_is_continued_on_another_and_after_a_restart(
    sessions: sessionmaker,
):
    a, b = _worker(sessions), _worker(sessions)

    async def ask(state) -> None:
        state.dialogue.last_topic = "apprentice_employee"

    seen: list[str | None] = []

    async def follow(state) -> None:
        seen.append(state.dialogue.last_topic)
        state.dialogue.audience = "worker"

    await _handle(a, 1, ask)
    await _handle(b, 2, follow)
    restarted = _worker(sessions)  # a new process: nothing in memory
    await _handle(restarted, 3, follow)
    assert seen == ["apprentice_employee", "apprentice_employee"]
    with sessions() as session:
        assert session.get(Conversation, CHAT).revision == 2  # the third changed nothing


async def test_expired_state_is_a_fresh_start(sessions: sessionmaker):
    now = [T0]
    worker = _worker(sessions, clock=lambda: now[0])
    seen: list[str | None] = []

    async def ask(state) -> None:
        state.dialogue.last_topic = "apprentice_employee"

    async def look(state) -> None:
        seen.append(state.dialogue.last_topic)

    await _handle(worker, 1, ask)
    now[0] = T0 + DAY - timedelta(minutes=5)
    await _handle(worker, 2, look)
    now[0] = T0 + DAY + timedelta(minutes=5)
    await _handle(worker, 3, look)
    assert seen == ["apprentice_employee", None]
    assert _rows(sessions) == 0  # read as expired and left empty: the row went


async def test_one_chats_updates_run_one_at_a_time_in_order(sessions: sessionmaker):
    worker = _worker(sessions, concurrent=8)
    running: list[int] = []
    overlap: list[int] = []

    def step(number: int):
        async def run(state) -> None:
            running.append(number)
            overlap.append(len(running))
            await asyncio.sleep(0.02 * (5 - number))  # the earlier ones take longer
            state.dialogue.check = state.dialogue.check or CheckState()
            state.dialogue.check.answered.append(str(number))
            running.remove(number)

        return run

    other_done = asyncio.Event()

    async def other(state) -> None:
        state.dialogue.last_topic = "other"
        other_done.set()

    await asyncio.gather(
        *(_handle(worker, n, step(n)) for n in range(5)), _handle(worker, 9, other, OTHER)
    )
    assert other_done.is_set() and overlap == [1] * 5
    with sessions() as session:
        stored = session.get(Conversation, CHAT).state
    assert '"answered": ["0", "1", "2", "3", "4"]' in stored
    assert worker._turns == {} and worker._states == {}  # nothing kept per chat afterwards


async def test_two_workers_take_one_chat_in_turn(any_database_url: str, sessions: sessionmaker):
    """On PostgreSQL the second worker waits for the first to save; SQLite serves one
    process and has no such lock."""
    engine = make_engine(any_database_url)  # the second worker's own connections
    try:
        a, b = _worker(sessions), _worker(session_factory(engine))
        assert a.store is not None
        if engine.dialect.name != "postgresql":
            assert a.store.chat_lock(CHAT) is None
            return
        started = asyncio.Event()
        seen: list[str | None] = []

        async def slow(state) -> None:
            started.set()
            await asyncio.sleep(0.5)
            state.dialogue.last_topic = "apprentice_employee"

        async def look(state) -> None:
            seen.append(state.dialogue.last_topic)

        async def second() -> None:
            await started.wait()
            await _handle(b, 2, look)

        await asyncio.gather(_handle(a, 1, slow), second())
        assert seen == ["apprentice_employee"]
    finally:
        engine.dispose()
