"""Erasure, retention and one-time codes on the real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import sessionmaker

from bot.clock import now_utc
from bot.config import RetentionSettings
from bot.dialogue.types import Button
from bot.misses import MissLog, asked_in, write_csv
from bot.store.conversations import ConversationStore, StoredState
from bot.store.models import BindCode, Broadcast, Delivery, UnansweredQuestion
from bot.store.retention import chat_key, forget, purge
from scheduler.broadcasts import Broadcasts
from scheduler.departments import Departments
from scheduler.outbox import Outbox, Outgoing
from scheduler.reminders import Reminders
from scheduler.subscriptions import Subscriptions
from tests.conftest import CLOCK

NAMES = {"jingxin": "经信", "jiaoyu": "教育"}
CHAT, USER, ADMIN, OTHER = 5_000_001, 5_000_002, 5_000_003, 5_000_004


class _Renderer:
    def render(self, name: str, today: object, **extra: object) -> str:
        return str(extra.get("body", name))


def _race(departments: Departments, code: str, chats: tuple[int, int]) -> list[str | None]:
    """Two threads bind with one code at the same moment."""
    barrier = threading.Barrier(2)
    results: list[str | None] = []

    def bind(chat: int) -> None:
        barrier.wait()
        results.append(departments.bind(chat, code, "联系人", chat))

    threads = [threading.Thread(target=bind, args=(chat,)) for chat in chats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_simultaneous_binds_with_one_code_give_one_binding(sessions: sessionmaker):
    departments = Departments(sessions, NAMES)
    for round_ in range(40):
        code = departments.new_code("jingxin", ADMIN)
        results = _race(departments, code, (1000 + 2 * round_, 1001 + 2 * round_))
        assert sorted(map(str, results)) == ["None", "jingxin"], (round_, results)
    with sessions() as session:
        used = session.scalars(select(BindCode)).all()
    assert len(used) == 40 and all(row.used_at is not None for row in used)
    assert len(departments.contacts("jingxin")) == 40


def test_codes_expire_and_failed_binds_are_counted(sessions: sessionmaker):
    departments = Departments(sessions, NAMES)
    code = departments.new_code("jiaoyu", ADMIN)
    with sessions.begin() as session:
        session.get(BindCode, code).created_at = now_utc() - timedelta(days=8)
    assert departments.bind(CHAT, code, "x", USER, timedelta(days=7)) is None
    assert departments.bind(CHAT, "'; DROP TABLE bind_codes; --", "x", USER) is None
    for _ in range(3):
        departments.record_failed_bind(CHAT)
    assert departments.failed_binds(CHAT, now_utc() - timedelta(hours=1)) == 3
    fresh = departments.new_code("jiaoyu", ADMIN)
    assert departments.bind(CHAT, f" {fresh.lower()} ", "x", USER) == "jiaoyu"
    contact = departments.contact(CHAT)
    assert contact is not None and contact.bound_by == USER


def _everything_about(sessions: sessionmaker, chat: int, user: int) -> list[str]:
    """Every cell in every table that still holds the chat's or the person's id or hash."""
    found = []
    with sessions() as session:
        tables = inspect(session.get_bind()).get_table_names()
        for table in tables:
            if table == "alembic_version":
                continue
            for row in session.execute(text(f"SELECT * FROM {table}")).mappings():
                for column, value in row.items():
                    if value in (chat, user, chat_key(chat), str(chat), str(user)):
                        found.append(f"{table}.{column}")
    return found


def test_stop_leaves_no_row_with_the_chat_or_the_person(sessions: sessionmaker):
    departments = Departments(sessions, NAMES)
    outbox = Outbox(sessions)
    subscriptions = Subscriptions(sessions, {"publicity": "政策宣传"}, ("00:00", "00:00"), CLOCK)
    broadcasts = Broadcasts(
        sessions,
        outbox,
        subscriptions,
        _Renderer(),  # type: ignore[arg-type]
        CLOCK,
    )
    code = departments.new_code("jingxin", USER)  # the person is also an admin
    departments.bind(CHAT, code, "小王", USER)
    departments.record_failed_bind(CHAT)
    departments.acknowledge("2020-10", "jingxin", USER)
    subscriptions.toggle(CHAT, "publicity")
    Reminders(sessions).create(CHAT, "去申领补贴", now_utc() + timedelta(days=1))
    outbox.enqueue(
        [Outgoing("report:2020-10:2020-09-28", CHAT, "提醒", ((Button("a", "r:2020-10"),),))]
    )
    broadcasts.draft("通知", USER)
    conversations = ConversationStore(sessions, timedelta(hours=24))
    conversations.save(CHAT, {"dialogue": {"last_topic": "x"}}, StoredState(None), now_utc())
    token = asked_in.set(chat_key(CHAT))
    try:
        MissLog(sessions).record("今天天气怎么样", "decline", "out_of_scope", 0.9)
    finally:
        asked_in.reset(token)
    MissLog(sessions).record("别人的问题", "decline", "out_of_scope", 0.9)
    other_code = departments.new_code("jiaoyu", ADMIN)
    departments.bind(OTHER, other_code, "小李", OTHER)

    assert _everything_about(sessions, CHAT, USER)
    forget(sessions, CHAT, USER)
    assert _everything_about(sessions, CHAT, USER) == []
    # What stays is anonymous and still true: the department did report; codes stay used.
    assert departments.acknowledged("2020-10") == {"jingxin"}
    assert departments.bind(OTHER, code, "x", OTHER) is None
    assert [s.text for s in MissLog(sessions).summary()] == ["别人的问题"]
    assert departments.contact(OTHER) is not None


def test_daily_purge_keeps_only_what_retention_allows(sessions: sessionmaker):
    outbox = Outbox(sessions)
    misses = MissLog(sessions)
    now = now_utc()
    misses.record("旧问题", "decline", None, None)
    misses.record("新问题", "decline", None, None)
    outbox.enqueue([Outgoing("old", CHAT, "旧消息"), Outgoing("queued", CHAT, "未发出")])
    outbox.enqueue([Outgoing("new", CHAT, "新消息")])
    with sessions.begin() as session:
        for row in session.scalars(select(UnansweredQuestion)):
            if row.text == "旧问题":
                row.asked_at = now - timedelta(days=181)
        for row in session.scalars(select(Delivery)):
            if row.message_key in {"old", "queued"}:
                row.created_at = now - timedelta(days=181)
            if row.message_key in {"old", "new"}:
                row.status = "sent"
    purged = purge(sessions, now, RetentionSettings())
    assert (purged.unanswered_questions, purged.delivered_texts) == (1, 1)
    assert [s.text for s in misses.summary()] == ["新问题"]
    with sessions() as session:
        texts = {r.message_key: r.text for r in session.scalars(select(Delivery))}
    assert texts == {"old": "", "queued": "未发出", "new": "新消息"}  # the ledger row stays
    assert outbox.enqueue([Outgoing("old", CHAT, "旧消息")]) == 0  # so nothing is sent twice


def test_unanswered_export_neutralises_spreadsheet_formulas(sessions: sessionmaker):
    misses = MissLog(sessions)
    hostile = ['=HYPERLINK("http://x.example","点我")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)"]
    for question in [*hostile, "学徒制补多少"]:
        misses.record(question, "menu", None, None)
    out = io.StringIO()
    write_csv(misses.summary(), out)
    cells = {row["question"] for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert cells == {"'" + h for h in hostile} | {"学徒制补多少"}


def test_broadcast_drafts_expire_and_are_purged(sessions: sessionmaker):
    outbox = Outbox(sessions)
    subscriptions = Subscriptions(sessions, {"publicity": "政策宣传"}, ("00:00", "00:00"), CLOCK)
    broadcasts = Broadcasts(
        sessions,
        outbox,
        subscriptions,
        _Renderer(),  # type: ignore[arg-type]
        CLOCK,
        timedelta(hours=24),
    )
    old = broadcasts.draft("昨天的草稿", ADMIN).id
    forgotten = broadcasts.draft("没人确认的草稿", ADMIN).id
    fresh = broadcasts.draft("新草稿", ADMIN).id
    assert old is not None and fresh is not None and forgotten is not None
    with sessions.begin() as session:
        for row in session.scalars(select(Broadcast)):
            row.created_at = now_utc() - timedelta(hours=25 if row.id != fresh else 1)
    assert broadcasts.confirm(old) is None  # too old to send
    assert broadcasts.confirm(fresh) is not None
    purged = purge(sessions, now_utc(), RetentionSettings(broadcast_draft_hours=24))
    assert purged.broadcast_drafts == 2  # `old` and `forgotten`; `fresh` was confirmed
    with sessions() as session:
        assert {b.id for b in session.scalars(select(Broadcast))} == {fresh}
