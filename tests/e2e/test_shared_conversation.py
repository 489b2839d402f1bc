"""Conversation state lives in the database: two webhook workers on one PostgreSQL take
turns on every update of a conversation (a whole self-check, a reminder's 确认, a
follow-up that needs the previous topic); a worker killed and restarted continues all
three; state idle past retention.conversation_idle_hours is gone."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.render import to_plain
from bot.store.db import make_engine
from bot.store.models import Conversation, Reminder
from nlu.service import free_port
from tests.conftest import NluEndpoint, run_bot, spawn_bot, stop_process
from tests.e2e.conftest import BotProcess, telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn, Sent
from tests.support.check_answers import WORKER_FACTS, WORKER_PRESSES, verdict_lines

SECRET = "shared-Conversation_s3cret"
REMIND = "下周五上午提醒我去申领补贴"
TOPIC, FOLLOW_UP = "学徒制一年补多少钱", "要什么证书？"
# Only the apprentice topic's certificate line says this (responses/facets/).
FOLLOW_UP_LINE = "全额支付"
STALE = ("已经结束", "前面的问题", "已经过期")


@dataclass
class Worker:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def _start_worker(
    name: str, api: BotApiStandIn, endpoint: NluEndpoint, url: str, config: Path, tmp: Path
) -> Worker:
    port = free_port()
    env = telegram_env(
        endpoint,
        url,
        api,
        config,
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
        TELEGRAM_WEBHOOK_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    log = tmp / f"worker-{name}.log"
    process = spawn_bot(["run"], env, log)
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return Worker(name, port, process, log)
        except httpx.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)


class Relay:
    """Telegram's part: each update goes to the next worker in turn, so consecutive
    updates of a chat are never handled by the same worker."""

    def __init__(self, api: BotApiStandIn, workers: list[Worker]) -> None:
        self.api = api
        self._turns = itertools.cycle(workers)
        self.handled: dict[str, int] = {w.name: 0 for w in workers}

    def deliver(self) -> None:
        updates = self.api.take_updates()
        assert len(updates) == 1, updates
        worker = next(self._turns)
        response = httpx.post(
            f"http://127.0.0.1:{worker.port}/telegram",
            content=json.dumps(updates[0]),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=10,
        )
        assert response.status_code == 200
        self.handled[worker.name] += 1


@dataclass
class Person:
    """One chat, one reply per message: `deliver` is how updates reach the bot (a relay
    to webhook workers, or nothing for a polling bot)."""

    api: BotApiStandIn
    chat: int
    deliver: Callable[[], None] = lambda: None

    def shown(self) -> list[Sent]:
        """What the bot showed in this chat, in order: new messages and edits in place (a
        self-check step or a reminder's 确认 edits the message it was pressed on)."""
        return [
            s
            for s in list(self.api.sent)
            if s.method in ("sendMessage", "editMessageText") and s.chat_id == self.chat
        ]

    def _reply(self) -> Sent:
        count = len(self.shown()) + 1
        self.deliver()
        deadline = time.monotonic() + 60
        while len(shown := self.shown()) < count:
            assert time.monotonic() < deadline, [m.text[:60] for m in shown]
            time.sleep(0.05)
        return shown[-1]

    def say(self, text: str) -> Sent:
        self.api.push_text(self.chat, text)
        return self._reply()

    def press(self, message: Sent, label: str) -> Sent:
        data = dict(message.buttons).get(label)
        assert data, f"no button {label!r} in {message.buttons}"
        self.api.push_callback(self.chat, data, message_id=message.message_id)
        return self._reply()

    def nothing_stale(self) -> None:
        texts = [m.text for m in self.shown()]
        assert not [t for t in texts if any(word in t for word in STALE)], texts


def _expected() -> dict[str, Any]:
    facts = json.dumps(WORKER_FACTS)
    return json.loads(run_bot(["check", "--json"], dict(os.environ), facts).stdout)


def _expected_verdicts() -> list[str]:
    return verdict_lines(_expected())


def _finish_check(person: Person, question: Sent, presses: list[str]) -> Sent:
    for label in presses:
        question = person.press(question, label)
    return question


def test_two_workers_take_turns_on_every_conversation(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
):
    url = own_postgres_database
    config = write_test_config(tmp_path)
    workers: list[Worker] = []
    try:
        for name in ("a", "b"):
            workers.append(_start_worker(name, botapi, nlu_endpoint, url, config, tmp_path))
        relay = Relay(botapi, workers)
        person = Person(botapi, 8101, relay.deliver)

        shown = _finish_check(person, person.say("/check"), WORKER_PRESSES)
        result = to_plain(shown.text)
        assert "自查结果" in result
        for line in _expected_verdicts():
            assert line in result, (line, result)
        # The result's detail buttons read the result the other worker saved.
        first = _expected()["verdicts"][0]
        detail = to_plain(person.press(shown, f"详细说明：{first['label']}").text)
        for reason in first["reasons"]:
            assert f"{reason['text']}（{reason['section']}）" in detail, (reason, detail)

        confirm = person.say(REMIND)
        assert "确认设置吗" in confirm.text
        assert "提醒已设置" in person.press(confirm, "确认").text
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                reminders = connection.execute(
                    select(Reminder.text).where(Reminder.chat_id == person.chat)
                ).all()
        finally:
            engine.dispose()
        assert [r.text for r in reminders] == ["去申领补贴"]

        assert "四(一)" in person.say(TOPIC).text
        assert FOLLOW_UP_LINE in person.say(FOLLOW_UP).text
        person.nothing_stale()
        # The same words without the previous topic do not get that line.
        assert FOLLOW_UP_LINE not in Person(botapi, 8102, relay.deliver).say(FOLLOW_UP).text
        handled = sorted(relay.handled.values())  # 14 updates, 7 on each worker
        assert handled[1] - handled[0] <= 1 and handled[0] >= 7, relay.handled
        assert botapi.errors == []
    finally:
        for worker in workers:
            stop_process(worker.process)
    for worker in workers:
        assert "Traceback" not in worker.log.read_text(), worker.name


# ---- one polling worker, on SQLite and PostgreSQL ----


def _stored(database_url: str, chat: int) -> dict[str, Any] | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            state = connection.execute(
                select(Conversation.state).where(Conversation.chat_id == chat)
            ).scalar_one_or_none()
    finally:
        engine.dispose()
    return None if state is None else json.loads(state)


def _wait_stored(database_url: str, chat: int, ready: Callable[[dict[str, Any]], bool]) -> None:
    """Replies go out before the state is saved: wait for the save itself."""
    deadline = time.monotonic() + 30
    while not ((state := _stored(database_url, chat)) and ready(state)):
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


@pytest.fixture()
def three_conversations(bot_process: BotProcess) -> Iterator[tuple[Person, Person, Person]]:
    """A self-check three answers in, a reminder waiting for 确认, an answer just given;
    each saved."""
    api, url = bot_process.api, bot_process.database_url
    checking, reminding, asking = (Person(api, chat) for chat in (8201, 8202, 8203))
    question = checking.say("/check")
    for label in WORKER_PRESSES[:3]:
        question = checking.press(question, label)
    assert "确认设置吗" in reminding.say(REMIND).text
    assert "四(一)" in asking.say(TOPIC).text
    _wait_stored(url, checking.chat, lambda s: len(s["dialogue"]["check"]["answered"]) == 3)
    _wait_stored(url, reminding.chat, lambda s: s["pending_reminder"] is not None)
    _wait_stored(url, asking.chat, lambda s: s["dialogue"]["last_topic"] is not None)
    yield checking, reminding, asking


def test_a_killed_worker_restarted_continues_every_conversation(
    bot_process: BotProcess, three_conversations: tuple[Person, Person, Person]
):
    checking, reminding, asking = three_conversations
    bot_process.kill()  # SIGKILL: nothing is written on the way out
    bot_process.restart()

    question = checking.shown()[-1]
    result = to_plain(_finish_check(checking, question, WORKER_PRESSES[3:]).text)
    for line in _expected_verdicts():
        assert line in result, (line, result)
    confirm = reminding.shown()[-1]
    assert "提醒已设置" in reminding.press(confirm, "确认").text
    assert FOLLOW_UP_LINE in asking.say(FOLLOW_UP).text
    for person in three_conversations:
        person.nothing_stale()


def test_idle_conversations_expire(
    bot_process: BotProcess,
    three_conversations: tuple[Person, Person, Person],
    settings: Settings,
):
    checking, reminding, asking = three_conversations
    url = bot_process.database_url
    idle = settings.retention.conversation_idle_hours  # the test config keeps config.yml's
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # as if the last change was longer ago than that
            rows = connection.execute(select(Conversation.chat_id, Conversation.updated_at)).all()
            for chat, updated_at in rows:
                connection.execute(
                    update(Conversation)
                    .where(Conversation.chat_id == chat)
                    .values(updated_at=updated_at - timedelta(hours=idle + 0.1))
                )
    finally:
        engine.dispose()

    question = checking.shown()[-1]
    assert "已经结束" in checking.press(question, WORKER_PRESSES[3]).text
    confirm = reminding.shown()[-1]
    assert "已经过期" in reminding.press(confirm, "确认").text
    assert FOLLOW_UP_LINE not in asking.say(FOLLOW_UP).text
    # Read as expired, left unchanged: those rows are gone.
    _wait_gone(url, checking.chat)
    _wait_gone(url, reminding.chat)


def _wait_gone(database_url: str, chat: int) -> None:
    deadline = time.monotonic() + 30
    while _stored(database_url, chat) is not None:
        assert time.monotonic() < deadline, chat
        time.sleep(0.05)
