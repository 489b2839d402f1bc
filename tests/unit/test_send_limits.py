"""The one send rate (scheduler/ratelimit.py) and the channel's rate-limiter hook
(bot/channels/telegram_limits.py): replies and the outbox take turns in one rate, a
flood-control pause stops both, and a reply's 429 is waited out and tried once more."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.channels.telegram_limits import SharedRateLimiter
from bot.dialogue.types import Button
from scheduler.outbox import Claimed
from scheduler.ratelimit import SendLimiter
from scheduler.sender import Pacing, RetryLater, Sender
from scheduler.telegram_transport import OUTBOX_PACED

SLACK = 0.01  # the event loop may wake a little early on some platforms


async def _stamp(limiter: SendLimiter, chat: int | None, stamps: list[tuple[float, Any]]) -> None:
    await limiter.acquire(chat)
    stamps.append((time.monotonic(), chat))


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(sorted(times))]


async def test_replies_and_outbox_share_the_overall_rate():
    limiter = SendLimiter(per_second=20, per_chat_interval=1.0)
    stamps: list[tuple[float, Any]] = []
    # Five outbox sends to different chats and five replies, all at once.
    await asyncio.gather(
        *(_stamp(limiter, 100 + i, stamps) for i in range(5)),
        *(_stamp(limiter, None, stamps) for _ in range(5)),
    )
    assert len(stamps) == 10
    assert min(_gaps([t for t, _ in stamps])) >= 1 / 20 - SLACK


async def test_per_chat_interval_holds_only_the_named_chat():
    limiter = SendLimiter(per_second=100, per_chat_interval=0.5)
    stamps: list[tuple[float, Any]] = []
    await asyncio.gather(*(_stamp(limiter, 7, stamps) for _ in range(2)))
    assert _gaps([t for t, _ in stamps])[0] >= 0.5 - SLACK
    started = time.monotonic()
    replies: list[tuple[float, Any]] = []
    await asyncio.gather(*(_stamp(limiter, None, replies) for _ in range(2)))
    assert max(t for t, _ in replies) - started < 0.4  # replies are not held by a chat interval


async def test_a_pause_holds_replies_and_outbox_alike():
    limiter = SendLimiter(per_second=100)
    limiter.pause(0.3)
    started = time.monotonic()
    stamps: list[tuple[float, Any]] = []
    await asyncio.gather(_stamp(limiter, None, stamps), _stamp(limiter, 5, stamps))
    assert all(t - started >= 0.3 - SLACK for t, _ in stamps)


async def test_a_pause_that_starts_while_waiting_moves_the_slot():
    limiter = SendLimiter(per_second=5)
    await limiter.acquire()  # the next slot is 0.2 s away
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    limiter.pause(0.5)
    started = time.monotonic()
    await waiting
    assert time.monotonic() - started >= 0.45 - SLACK


async def test_disabled_pacing_still_honours_a_pause():
    limiter = SendLimiter(per_second=1, enabled=False)
    started = time.monotonic()
    for _ in range(5):
        await limiter.acquire(1)
    assert time.monotonic() - started < 0.5  # no spacing at 1/s
    limiter.pause(0.2)
    await limiter.acquire(1)
    assert time.monotonic() - started >= 0.2 - SLACK


class Telegram:
    """A Bot API call that answers 429 `floods` times, then succeeds."""

    def __init__(self, floods: int, seconds: float = 0.3) -> None:
        self.floods = floods
        self.seconds = seconds
        self.calls: list[float] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(time.monotonic())
        if self.floods:
            self.floods -= 1
            raise RetryAfter(timedelta(seconds=self.seconds))
        return {"message_id": 1}


async def _request(
    limiter: SharedRateLimiter, call: Telegram, endpoint: str = "sendMessage", args: Any = None
) -> Any:
    return await limiter.process_request(call, (), {}, endpoint, {"chat_id": 1}, args)


async def test_a_reply_waits_out_retry_after_and_is_sent_once_more():
    retried: list[str] = []
    shared = SharedRateLimiter(SendLimiter(per_second=100), on_retry=retried.append)
    call = Telegram(floods=1, seconds=0.3)
    assert await _request(shared, call) == {"message_id": 1}
    assert len(call.calls) == 2
    assert call.calls[1] - call.calls[0] >= 0.3 - SLACK
    assert retried == ["sendMessage"]


async def test_a_second_retry_after_reaches_the_caller():
    shared = SharedRateLimiter(SendLimiter(per_second=100))
    call = Telegram(floods=2, seconds=0.1)
    with pytest.raises(RetryAfter):
        await _request(shared, call)
    assert len(call.calls) == 2  # retried once, not more


async def test_a_wait_longer_than_allowed_is_not_waited_but_still_pauses_the_outbox():
    limiter = SendLimiter(per_second=100)
    shared = SharedRateLimiter(limiter, max_wait=0.2)
    call = Telegram(floods=1, seconds=1.0)
    started = time.monotonic()
    with pytest.raises(RetryAfter):
        await _request(shared, call)
    assert time.monotonic() - started < 0.5 and len(call.calls) == 1
    assert limiter.paused_for > 0.5  # the outbox holds back too


async def test_the_outbox_own_calls_pass_through_without_a_second_slot():
    limiter = SendLimiter(per_second=2)
    shared = SharedRateLimiter(limiter)
    await limiter.acquire(3)  # the sender took its slot; the next one is 0.5 s away
    started = time.monotonic()
    await _request(shared, Telegram(floods=0), args=OUTBOX_PACED)
    assert time.monotonic() - started < 0.3
    flooded = Telegram(floods=1, seconds=0.1)
    with pytest.raises(RetryAfter):  # the sender keeps the message for later itself
        await _request(shared, flooded, args=OUTBOX_PACED)
    assert len(flooded.calls) == 1


async def test_calls_that_are_not_messages_take_no_slot():
    limiter = SendLimiter(per_second=2)
    shared = SharedRateLimiter(limiter)
    await limiter.acquire()
    started = time.monotonic()
    await _request(shared, Telegram(floods=0), endpoint="answerCallbackQuery")
    await _request(shared, Telegram(floods=0), endpoint="getChatMember")
    assert time.monotonic() - started < 0.3
    await _request(shared, Telegram(floods=0), endpoint="sendMessage")
    assert time.monotonic() - started >= 0.5 - SLACK


class FloodedTransport:
    async def send(self, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...]) -> None:
        raise RetryLater(0.4)


class Ledger:
    def __init__(self) -> None:
        self.finished: list[tuple[int, str]] = []

    def finish(self, row_id: int, status: str, error: Any = None, retry_at: Any = None) -> None:
        self.finished.append((row_id, status))


async def test_a_flood_on_the_outbox_holds_the_next_reply():
    limiter = SendLimiter(per_second=100)
    ledger = Ledger()
    sender = Sender(ledger, FloodedTransport(), Pacing(), limiter=limiter)  # type: ignore[arg-type]
    await sender._send_one(Claimed(1, "broadcast:1", 42, "hi", (), 1))
    assert ledger.finished == [(1, "retry_after")]
    reply = Telegram(floods=0)
    started = time.monotonic()
    await _request(SharedRateLimiter(limiter), reply)
    assert reply.calls[0] - started >= 0.4 - 0.05
