"""The per-chat token bucket, and the update processor around the handlers: many chats at
once, one chat's updates in order, a chat's backlog holding no worker, and messages over
the rate answered "请慢一点" once or dropped before the handlers (and the NLU) see them."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from telegram import Update

from bot.channels.state_processor import ChatStateProcessor
from bot.channels.throttle import SWEEP_EVERY_SECONDS, ChatThrottle, Verdict

A, B = 501, 502
T0 = 1_700_000_000.0
_ids = itertools.count(1)


def test_a_burst_then_one_a_second_and_one_warning_per_flood():
    throttle = ChatThrottle(burst=5, per_second=1.0)
    verdicts = [throttle.admit(A, T0) for _ in range(8)]
    assert verdicts == [Verdict.ACCEPT] * 5 + [Verdict.WARN, Verdict.DROP, Verdict.DROP]
    # Still flooding at 2 a second: one in two gets through, and no second warning.
    later = [throttle.admit(A, T0 + 1 + i / 2) for i in range(6)]
    assert later.count(Verdict.ACCEPT) == 3 and Verdict.WARN not in later
    # Another chat is not affected.
    assert throttle.admit(B, T0 + 1) is Verdict.ACCEPT


def test_after_a_pause_the_bucket_is_full_again_and_warns_anew():
    throttle = ChatThrottle(burst=2, per_second=0.5)
    assert [throttle.admit(A, T0) for _ in range(4)] == [
        Verdict.ACCEPT,
        Verdict.ACCEPT,
        Verdict.WARN,
        Verdict.DROP,
    ]
    resumed = T0 + 4  # 2 tokens back at 0.5 a second: full
    assert [throttle.admit(A, resumed) for _ in range(3)] == [
        Verdict.ACCEPT,
        Verdict.ACCEPT,
        Verdict.WARN,
    ]


def test_a_backlog_sent_slowly_is_not_a_flood():
    """Messages fetched at once after a restart carry the times they were sent."""
    throttle = ChatThrottle(burst=5, per_second=1.0)
    assert all(throttle.admit(A, T0 + 2 * i) is Verdict.ACCEPT for i in range(30))


def test_full_buckets_are_forgotten():
    throttle = ChatThrottle(burst=5, per_second=1.0)
    for chat in range(1000):
        throttle.admit(chat, T0)
    assert len(throttle) == 1000
    throttle.admit(A, T0 + SWEEP_EVERY_SECONDS + 1)  # everyone else has refilled meanwhile
    assert len(throttle) == 1


def test_settings_are_checked():
    with pytest.raises(ValueError):
        ChatThrottle(burst=0, per_second=1.0)
    with pytest.raises(ValueError):
        ChatThrottle(burst=5, per_second=0)


# ---- the update processor ----


def _message(chat_id: int, at: float = T0) -> Update:
    data = {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(at),
            "chat": {"id": chat_id, "type": "private", "first_name": "小王"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "小王"},
            "text": "学徒制补多少",
        },
    }
    return Update.de_json(data, None)


def _button(chat_id: int) -> Update:
    message = {
        "message_id": next(_ids),
        "date": int(T0),
        "chat": {"id": chat_id, "type": "private", "first_name": "小王"},
        "text": "（按钮所在消息）",
    }
    query = {
        "id": str(next(_ids)),
        "from": {"id": chat_id, "is_bot": False, "first_name": "小王"},
        "chat_instance": "ci",
        "message": message,
        "data": "m:menu",
    }
    return Update.de_json({"update_id": next(_ids), "callback_query": query}, None)


class Recorder:
    def __init__(self) -> None:
        self.started: list[tuple[int, int]] = []
        self.finished: list[tuple[int, int]] = []
        self.running: dict[int, int] = {}
        self.gates: dict[tuple[int, int], asyncio.Event] = {}

    async def handler(self, chat: int, n: int) -> None:
        self.running[chat] = self.running.get(chat, 0) + 1
        assert self.running[chat] == 1, "two updates of one chat at once"
        self.started.append((chat, n))
        gate = self.gates.get((chat, n))
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(0)
        self.running[chat] -= 1
        self.finished.append((chat, n))


async def _dispatch(processor: ChatStateProcessor, update: Update, work: Any) -> asyncio.Task:
    """As python-telegram-bot does with concurrent updates: a task per update, in order."""
    task = asyncio.create_task(processor.process_update(update, work))
    await asyncio.sleep(0)
    return task


async def test_a_chats_backlog_holds_no_worker_and_keeps_its_order():
    processor = ChatStateProcessor(workers=2)
    seen = Recorder()
    blocked = seen.gates[(A, 0)] = asyncio.Event()
    tasks = [await _dispatch(processor, _message(A), seen.handler(A, n)) for n in range(5)]
    other = await _dispatch(processor, _message(B), seen.handler(B, 0))
    await asyncio.wait_for(other, 2)  # A's first update is stuck; B is answered anyway
    assert (B, 0) in seen.finished and seen.started[0] == (A, 0)
    assert [n for chat, n in seen.finished if chat == A] == []
    blocked.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert [n for chat, n in seen.finished if chat == A] == [0, 1, 2, 3, 4]


async def test_a_flood_is_warned_once_and_the_rest_never_reaches_the_handlers():
    processor = ChatStateProcessor(workers=4, throttle=ChatThrottle(burst=5, per_second=1.0))
    warned: list[int] = []
    verdicts: list[Verdict] = []

    async def warn(update: Update) -> None:
        warned.append(update.effective_chat.id)

    processor.warn = warn
    processor.on_verdict = verdicts.append
    seen = Recorder()
    tasks = [await _dispatch(processor, _message(A), seen.handler(A, n)) for n in range(20)]
    tasks.append(await _dispatch(processor, _message(B), seen.handler(B, 0)))
    # Buttons answer what the bot showed: never throttled.
    tasks += [await _dispatch(processor, _button(A), seen.handler(A, 100 + n)) for n in range(3)]
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert [n for chat, n in seen.finished if chat == A] == [0, 1, 2, 3, 4, 100, 101, 102]
    assert (B, 0) in seen.finished
    assert warned == [A]
    assert verdicts.count(Verdict.WARN) == 1 and verdicts.count(Verdict.DROP) == 14


async def test_the_warning_comes_after_the_answers_before_it():
    processor = ChatStateProcessor(workers=4, throttle=ChatThrottle(burst=2, per_second=1.0))
    order: list[str] = []

    async def answer(n: int) -> None:
        await asyncio.sleep(0.01)
        order.append(f"answer {n}")

    async def warn(update: Update) -> None:
        order.append("请慢一点")

    processor.warn = warn
    tasks = [await _dispatch(processor, _message(A), answer(n)) for n in range(4)]
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert order == ["answer 0", "answer 1", "请慢一点"]
