"""A loop that never blocks, through the real bot over HTTP: one chat's backlog does not
hold up another chat; a flooding chat is answered "请慢一点" once and its messages beyond
its token bucket never reach the NLU; and while a 100,000-subscriber broadcast is being
fanned out, other people are answered and /healthz says ok. How fast is measured in
benchmarks/loop.py; here, what comes before what."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml
from sqlalchemy import func, select

from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Broadcast, Delivery
from tests.conftest import ROOT, NluEndpoint
from tests.e2e.conftest import ADMIN, BotProcess, running_bot, telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn
from tests.support.subscribers import add_subscribers

QUESTION = "学徒制一年补多少钱"
ANSWER = "四(一)"
SLOW_DOWN = "请慢一点"
SUBSCRIBERS = 100_000


def _config_with_throttle(tmp_path: Path) -> Path:
    """The e2e settings with config.yml's own throttle (the shared ones switch it off)."""
    config = write_test_config(tmp_path)
    settings = yaml.safe_load(config.read_text("utf-8"))
    shipped = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    settings["telegram"]["throttle"] = shipped["telegram"]["throttle"]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return config


@pytest.fixture()
def throttled_bot(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, any_database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    env = telegram_env(nlu_endpoint, any_database_url, botapi, _config_with_throttle(tmp_path))
    yield from running_bot(botapi, env, any_database_url, tmp_path)


def _ready(api: BotApiStandIn, chat: int = 7000) -> None:
    api.push_text(chat, "/help")
    api.wait_for_messages(chat, 1, timeout=90)


def _metric(port: int, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _sent_order(api: BotApiStandIn) -> list[int | None]:
    return [s.chat_id for s in api.calls("sendMessage")]


def test_a_flooding_chat_is_throttled_and_the_other_chat_answered(throttled_bot: BotProcess):
    api, port = throttled_bot.api, throttled_bot.metrics_port
    shipped = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))["telegram"]["throttle"]
    burst = int(shipped["burst"])
    _ready(api)
    flooder, other = 7201, 7202
    nlu_before = _metric(port, "assistant_nlu_latency_seconds_count")
    time.sleep(1.02 - time.time() % 1)  # all 200 stamped within one second (dates are whole)
    for _ in range(200):
        api.push_text(flooder, QUESTION)
    api.push_text(other, QUESTION)

    api.wait_for_text(other, ANSWER, timeout=60)
    api.wait_for_text(flooder, SLOW_DOWN, timeout=60)
    time.sleep(3)  # anything else the flood would have caused has had time to arrive
    texts = [m.text for m in api.messages_to(flooder)]
    # The burst answered, then the one warning, last: it waited for the answers before it.
    assert len(texts) == burst + 1, texts
    assert all(ANSWER in t for t in texts[:burst]) and SLOW_DOWN in texts[-1]
    assert [m.text for m in api.messages_to(other)] == [api.messages_to(other)[0].text]
    # The NLU was asked for the burst and the other person only.
    assert _metric(port, "assistant_nlu_latency_seconds_count") - nlu_before == burst + 1
    assert _metric(port, 'assistant_throttled_total{verdict="warn"}') == 1
    assert _metric(port, 'assistant_throttled_total{verdict="drop"}') == 200 - burst - 1

    time.sleep(1.5)  # a token back: the flooder, slowed down, is answered again
    api.push_text(flooder, QUESTION)
    api.wait_for_messages(flooder, burst + 2)
    assert ANSWER in api.messages_to(flooder)[-1].text
    assert not any("出了点问题" in m.text for m in api.calls("sendMessage"))


def test_one_chats_backlog_does_not_hold_up_another(bot_process: BotProcess):
    """No throttle here (the shared e2e settings): 40 questions of one chat are handled
    one after another, and a question from another chat behind them is answered before
    they are all done."""
    api = bot_process.api
    _ready(api)
    busy, other = 7301, 7302
    for _ in range(40):
        api.push_text(busy, QUESTION)
    api.push_text(other, QUESTION)
    api.wait_for_messages(busy, 40, timeout=120)
    api.wait_for_text(other, ANSWER)
    order = _sent_order(api)
    last_of_busy = max(i for i, chat in enumerate(order) if chat == busy)
    assert order.index(other) < last_of_busy
    assert all(ANSWER in m.text for m in api.messages_to(busy))


# ---- a broadcast to 100,000 subscribers ----


@pytest.fixture()
def broadcast_bot(
    botapi: BotApiStandIn,
    nlu_endpoint: NluEndpoint,
    own_postgres_database: str,
    tmp_path: Path,
) -> Iterator[BotProcess]:
    url = own_postgres_database
    engine = make_engine(url)
    migrate(engine)
    add_subscribers(engine, SUBSCRIBERS)
    engine.dispose()
    env = telegram_env(nlu_endpoint, url, botapi, write_test_config(tmp_path))
    yield from running_bot(botapi, env, url, tmp_path)


def _fan_out_waiting(url: str, timeout: float = 60) -> None:
    """Until the fan-out's INSERT is running and waits for the test's lock on the table."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT 1 FROM pg_stat_activity WHERE state = 'active'"
                " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO deliveries%%SELECT%%'"
            ).fetchone()
            if row is not None:
                return
            time.sleep(0.02)
    raise AssertionError("the fan-out never started")


def test_people_are_answered_while_a_100000_subscriber_broadcast_fans_out(
    broadcast_bot: BotProcess, tmp_path: Path
):
    """The fan-out is held inside its INSERT (the test locks the deliveries table) for as
    long as the test likes: everyone else is answered and /healthz says ok meanwhile; once
    let go, the broadcast is queued whole."""
    api, url = broadcast_bot.api, broadcast_bot.database_url
    _ready(api)
    deadline = time.monotonic() + 60
    while "scheduler active" not in broadcast_bot.log_path.read_text():
        assert time.monotonic() < deadline, "the embedded scheduler never became active"
        time.sleep(0.1)
    api.push_text(ADMIN, "/broadcast 十万人广播时的回复测试")
    preview = api.wait_for_text(ADMIN, "预览", timeout=60)
    assert f"发给{SUBSCRIBERS}位" in preview.text

    with psycopg.connect(url.replace("+psycopg", "")) as holder:
        holder.execute("LOCK TABLE deliveries IN EXCLUSIVE MODE")  # reads pass, writes wait
        api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
        api.wait_for_edit_text(ADMIN, "已加入发送队列", preview.message_id, timeout=60)
        _fan_out_waiting(url)

        people = [7401, 7402, 7403]
        for person in people:
            api.push_text(person, QUESTION)
        for person in people:
            api.wait_for_text(person, ANSWER, timeout=60)
        api.push_text(7404, "/subscribe")  # a handler that reads the database
        api.wait_for_text(7404, "请选择要订阅的内容", timeout=60)
        health = httpx.get(f"http://127.0.0.1:{broadcast_bot.metrics_port}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        _fan_out_waiting(url, timeout=1)  # all of that while the fan-out was still held
        holder.rollback()  # the lock goes: the fan-out's INSERT goes ahead

    engine = make_engine(url)
    sessions = session_factory(engine)
    deadline = time.monotonic() + 120
    try:
        while True:
            with sessions() as session:
                status = session.scalars(select(Broadcast.status)).one()
                rows = session.scalar(select(func.count()).select_from(Delivery))
            if status != "scheduled":
                break
            assert time.monotonic() < deadline, "the broadcast was never fanned out"
            time.sleep(0.2)
        assert rows == SUBSCRIBERS
    finally:
        engine.dispose()
