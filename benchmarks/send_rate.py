"""What the shared send rate costs a reply: the time to send one reply through
python-telegram-bot (ExtBot with the channel's rate limiter, against the Bot API stand-in)
when nothing else is sent, and while the outbox drains a broadcast at 25 messages/s; and
the overall rate of both together. `python -m benchmarks.send_rate` (no NLU needed);
`make bench` includes it."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from benchmarks.table import latency_row, machine, print_table
from bot.channels.telegram_limits import SharedRateLimiter
from bot.store.db import make_engine, migrate, session_factory
from scheduler.outbox import Outbox, Outgoing
from scheduler.sender import Pacing, Sender
from scheduler.telegram_transport import TelegramTransport
from tests.support.botapi import BotApiStandIn

BROADCAST = 250
REPLIES = 40
REPLY_EVERY = 0.2  # seconds: people writing at about 5 messages/s


async def _replies(bot: ExtBot) -> list[float]:
    took = []
    for i in range(REPLIES):
        started = time.perf_counter()
        await bot.send_message(30_000_000 + i, "回复")
        took.append(time.perf_counter() - started)
        await asyncio.sleep(REPLY_EVERY)
    return took


async def send_rate_rows(tmp: Path) -> list[list[str]]:
    api = BotApiStandIn()
    api.start()
    pacing = Pacing()
    limiter = pacing.limiter()
    bot = ExtBot(
        "1:BENCH",
        base_url=f"{api.base_url}/bot",
        request=HTTPXRequest(connection_pool_size=8),
        rate_limiter=SharedRateLimiter(limiter),
    )
    await bot.initialize()
    idle = await _replies(bot)

    engine = make_engine(f"sqlite:///{tmp / 'send_rate.db'}")
    migrate(engine)
    outbox = Outbox(session_factory(engine))
    outbox.enqueue([Outgoing("broadcast:1", 20_000_000 + i, "x") for i in range(BROADCAST)])
    sender = Sender(outbox, TelegramTransport(bot), pacing, limiter=limiter)
    started = time.perf_counter()
    draining = asyncio.create_task(sender.drain())
    busy = await _replies(bot)
    await draining
    elapsed = time.perf_counter() - started
    await bot.shutdown()
    api.stop()
    engine.dispose()
    return [
        latency_row("reply send, nothing else sent", idle),
        latency_row(f"reply send, during a broadcast at {pacing.per_second:.0f}/s", busy),
        [
            "broadcast and replies together",
            str(BROADCAST + REPLIES),
            f"{elapsed * 1000 / (BROADCAST + REPLIES):.2f}",
            "-",
            "-",
            f"{(BROADCAST + REPLIES) / elapsed:.1f} msg/s",
        ],
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(send_rate_rows(Path(tmp)))
    print(f"machine: {machine()}")
    print_table(["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms / note"], rows)


if __name__ == "__main__":
    main()
