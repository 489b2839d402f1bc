"""The outbox sender through python-telegram-bot against the Bot API stand-in over HTTP:
429 with retry_after, 500s, timeouts and a blocked chat; no message lost, none twice."""

from __future__ import annotations

import asyncio
import itertools
import time

from telegram import Bot
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.clock import now_utc
from scheduler.outbox import Outbox, Outgoing
from scheduler.sender import Pacing, Sender
from scheduler.subscriptions import Subscriptions
from scheduler.telegram_transport import TelegramTransport, telegram_defaults
from tests.conftest import CLOCK
from tests.support.botapi import BotApiStandIn, previews_disabled

TOKEN = "123456789:TEST-abcdefghijklmnopqrstuvwxyz0123"


async def drain_all(sender: Sender, outbox: Outbox, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await sender.drain()
        next_due = outbox.next_due()
        if next_due is None:
            return
        await asyncio.sleep(max(0.05, (next_due - now_utc()).total_seconds()))
    raise AssertionError("outbox not drained")


async def make_bot(api: BotApiStandIn) -> Bot:
    bot = ExtBot(
        TOKEN,
        defaults=telegram_defaults(),
        base_url=f"{api.base_url}/bot",
        request=HTTPXRequest(read_timeout=1.0, connect_timeout=1.0),
    )
    await bot.initialize()
    return bot


async def test_faults_lose_nothing_and_send_nothing_twice(botapi: BotApiStandIn, sessions):
    subscriptions = Subscriptions(sessions, {"publicity": "政策宣传"}, ("22:00", "08:00"), CLOCK)
    chats = list(range(1000, 1020))
    for chat in chats:
        subscriptions.toggle(chat, "publicity")
    botapi.blocked_chats = {1013}
    botapi.faults = [("429", 1), ("500", 0), ("timeout", 1.5), ("500", 0)]
    outbox = Outbox(sessions)
    outbox.enqueue([Outgoing("broadcast:1", chat, f"<b>通知</b> {chat}") for chat in chats])
    bot = await make_bot(botapi)
    sender = Sender(
        outbox,
        TelegramTransport(bot),
        Pacing(per_second=500, per_chat_interval=0),
        on_blocked=subscriptions.deactivate,
    )
    await drain_all(sender, outbox)
    await bot.shutdown()

    received = [s.chat_id for s in botapi.calls("sendMessage")]
    # The bot's Defaults: HTML (checked by the stand-in) without link previews.
    assert all(
        s.params.get("parse_mode") == "HTML" and previews_disabled(s)
        for s in botapi.calls("sendMessage")
    )
    assert sorted(received) == [c for c in chats if c != 1013]  # each once, none lost
    counts = outbox.counts("broadcast:1")
    # The timed-out request did reach the stand-in: recorded as uncertain, not sent again.
    assert counts == {"sent": 18, "uncertain": 1, "blocked": 1}
    assert [c for c, *_ in subscriptions.audience("publicity")] == [c for c in chats if c != 1013]
    # RetryAfter honoured: nothing was tried within the second after the 429.
    first_try, _ = botapi.attempts[0]
    assert all(t - first_try >= 0.95 for t, _ in botapi.attempts[1:])


async def test_pacing_overall_and_per_chat(botapi: BotApiStandIn, sessions):
    outbox = Outbox(sessions)
    outbox.enqueue([Outgoing(f"m:{i}", 2000 + i, "hi") for i in range(10)])
    outbox.enqueue([Outgoing(f"same:{i}", 3000, "hi") for i in range(3)])
    bot = await make_bot(botapi)
    sender = Sender(outbox, TelegramTransport(bot), Pacing(per_second=10, per_chat_interval=1.0))
    started = time.monotonic()
    await drain_all(sender, outbox)
    elapsed = time.monotonic() - started
    await bot.shutdown()
    assert len(botapi.calls("sendMessage")) == 13
    assert elapsed >= 1.9  # 13 messages at ≤10/s, and 3 to one chat at ≤1/s
    same_chat = [t for t, chat in botapi.attempts if chat == 3000]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(same_chat))


def test_restart_marks_in_flight_rows_uncertain_and_resumes_the_rest(sessions):
    outbox = Outbox(sessions)
    outbox.enqueue([Outgoing("broadcast:7", chat, "x") for chat in (1, 2, 3)])
    claimed = outbox.claim()  # the process dies right after this
    assert claimed is not None
    restarted = Outbox(sessions)
    assert restarted.recover() == 1
    remaining = []
    while (item := restarted.claim()) is not None:
        remaining.append(item.chat_id)
        restarted.finish(item.id, "sent")
    assert claimed.chat_id not in remaining and len(remaining) == 2
    assert restarted.counts("broadcast:7") == {"sent": 2, "uncertain": 1}
    # Enqueuing the same broadcast again adds nothing.
    assert restarted.enqueue([Outgoing("broadcast:7", chat, "x") for chat in (1, 2, 3)]) == 0
