"""Replies inside Telegram's limits, through the real bot over HTTP: a reply that meets a
429 (RetryAfter) reaches the person as the real answer once the wait is over, not as the
error apology; and replies take turns with a running broadcast in one send rate, a 429
pausing both."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from bot.store.db import make_engine, migrate, session_factory
from scheduler.subscriptions import Subscriptions
from tests.conftest import CLOCK, NluEndpoint
from tests.e2e.conftest import (
    ADMIN,
    BotProcess,
    running_bot,
    telegram_env,
    write_test_config,
)
from tests.support.botapi import BotApiStandIn

APOLOGY = "处理您的消息时出了点问题"
QUESTION = "学徒制一年补多少钱"
ANSWER = "四(一)"
RATE = 4  # messages per second in the slow bot: slow enough to see the spacing
SLACK = 0.03


def _metric(port: int, line: str) -> bool:
    return line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def _ready(api: BotApiStandIn, chat: int = 7001) -> None:
    api.push_text(chat, "/help")
    api.wait_for_messages(chat, 1, timeout=90)


def test_a_reply_meeting_a_429_arrives_as_the_real_answer(bot_process: BotProcess):
    api = bot_process.api
    _ready(api)
    person = 7002
    api.faults = [("429", 2)]  # the next sendMessage is told to wait 2 s
    api.push_text(person, QUESTION)
    answer = api.wait_for_text(person, ANSWER, timeout=60)
    tries = [t for t, chat in api.attempts if chat == person]
    assert len(tries) == 2  # refused once, sent once more
    assert tries[1] - tries[0] >= 2 - SLACK  # after the wait Telegram asked for
    texts = [m.text for m in api.messages_to(person)]
    assert texts == [answer.text] and not any(APOLOGY in t for t in texts)
    assert _metric(bot_process.metrics_port, "assistant_reply_retries_total 1.0")
    bot_process.stop()
    assert "error while handling an update" not in bot_process.log_path.read_text()


@pytest.fixture()
def slow_bot(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    """A bot allowed RATE messages a second overall, on SQLite."""
    config = write_test_config(tmp_path)
    settings = yaml.safe_load(config.read_text("utf-8"))
    settings["scheduler"]["messages_per_second"] = RATE
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = telegram_env(nlu_endpoint, database_url, botapi, config)
    yield from running_bot(botapi, env, database_url, tmp_path)


def test_replies_share_the_rate_and_the_pause_with_a_broadcast(slow_bot: BotProcess):
    api = slow_bot.api
    engine = make_engine(slow_bot.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    subscriptions = Subscriptions(sessions, {"publicity": "政策宣传"}, ("00:00", "00:00"), CLOCK)
    subscribers = list(range(30000, 30016))
    for chat in subscribers:
        subscriptions.toggle(chat, "publicity")
    engine.dispose()
    _ready(api)

    api.push_text(ADMIN, "/broadcast 共享速率测试")
    preview = api.wait_for_text(ADMIN, "预览")
    api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)

    def broadcast() -> list[int]:  # the subscribers' copies (the admin's preview aside)
        return [
            s.chat_id
            for s in api.calls("sendMessage")
            if "共享速率测试" in s.text and s.chat_id != ADMIN
        ]

    deadline = time.monotonic() + 30
    while len(broadcast()) < 3:  # the broadcast is under way
        assert time.monotonic() < deadline, "the broadcast did not start"
        time.sleep(0.01)
    people = [7101, 7102, 7103, 7104]
    api.faults = [("429", 2)]  # whichever goes next, a reply or the broadcast, is refused
    for person in people:
        api.push_text(person, QUESTION)
    for person in people:
        answer = api.wait_for_text(person, ANSWER, timeout=60)
        assert [m.text for m in api.messages_to(person)] == [answer.text]  # no apology
    api.wait_for_text(ADMIN, "📊", timeout=60)
    received = Counter(broadcast())
    assert sorted(received) == subscribers and max(received.values()) == 1

    attempts = sorted(api.attempts)
    times = [t for t, _ in attempts]
    [(refused, _, _)] = api.faulted
    # Nothing at all, reply or broadcast, within the 2 s after the 429 …
    assert not [t for t in times if refused < t < refused + 2 - SLACK]
    # … and never more sends in a second than the shared rate allows (one more for the
    # requests' own jitter on a busy machine: evenly spaced, a second holds RATE of them).
    busiest = max(sum(1 for u in times if t <= u < t + 1) for t in times)
    assert busiest <= RATE + 1, busiest
    # The replies went out while the broadcast was still being sent: they took turns.
    broadcast_times = [t for t, chat in attempts if chat in set(subscribers)]
    reply_times = [t for t, chat in attempts if chat in set(people)]
    assert any(broadcast_times[0] < t < broadcast_times[-1] for t in reply_times)
