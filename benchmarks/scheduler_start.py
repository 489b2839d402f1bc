"""Scheduler start-up with 20,000 personal reminders, on SQLite and on a throw-away
PostgreSQL cluster: the time from start until the process is the active scheduler (the
"scheduler active" log line), the event loop's longest pause meanwhile (the bot's replies
wait that long), the reminders it then holds in memory, and the CPU it uses while idle.
Two spreads: due over the next 90 days (typical), and all due within the next six hours
(the worst case: every reminder in the index).

    .venv/bin/python -m benchmarks.scheduler_start      (also part of `make bench`)

BENCH_IDLE_SECONDS sets the idle sample (default 35: longer than one reminder sync)."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert
from telegram import Bot

from benchmarks.table import machine, print_table
from bot.clock import now_utc
from bot.config import load_settings
from bot.policy_pack import load_policy_pack
from bot.render import Renderer
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Reminder
from scheduler.runtime import SchedulerRuntime
from tests.support.postgres import start_cluster

REMINDERS = 20_000
PER_CHAT = 20  # the default cap: 1,000 chats with 20 each
SPREADS = {"due over 90 days": timedelta(days=90), "all due within 6 h": timedelta(hours=6)}
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "35"))
HEADERS = ["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms / note"]


def add_reminders(engine: Engine, count: int, now: datetime, spread: timedelta) -> None:
    """`count` scheduled reminders, due from 10 minutes to `spread` from now (none due
    during the benchmark: nothing is sent)."""
    rng = random.Random(12)
    seconds = int((spread - timedelta(minutes=10)).total_seconds())
    rows = [
        {
            "chat_id": 30_000_000 + i // PER_CHAT,
            "text": "申领培训补贴",
            "kind": "claim",
            "due_at": now + timedelta(minutes=10, seconds=rng.randrange(seconds)),
            "created_at": now,
            "status": "scheduled",
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Reminder), rows)


class _ActiveAt(logging.Handler):
    """Notes when the runtime logs that it is the active scheduler."""

    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "scheduler active" and self.at is None:
            self.at = time.perf_counter()


@dataclass(frozen=True)
class StartUp:
    seconds: float
    longest_stall: float  # the event loop's longest pause while activating (the bot's replies wait)
    idle_share: float
    indexed: int


async def _measure(url: str, spread: timedelta) -> StartUp:
    settings = load_settings()
    pack = load_policy_pack(settings.paths.policy)
    engine = make_engine(url)
    migrate(engine)
    add_reminders(engine, REMINDERS, now_utc(), spread)
    runtime = SchedulerRuntime(
        settings,
        session_factory(engine),
        Renderer(settings.paths.responses, pack),
        Bot("1:BENCH"),  # never called: nothing falls due during the benchmark
        pack,
    )
    marker = _ActiveAt()
    runtime_log = logging.getLogger("scheduler.runtime")
    runtime_log.addHandler(marker)
    runtime_log.setLevel(logging.INFO)
    started = time.perf_counter()
    await runtime.start(url)
    stall = 0.0
    while marker.at is None:
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        stall = max(stall, time.perf_counter() - before - 0.01)
    startup = marker.at - started
    cpu = time.process_time()
    await asyncio.sleep(IDLE_SECONDS)
    idle_share = (time.process_time() - cpu) / IDLE_SECONDS
    indexed = runtime.indexed_reminders
    await runtime.stop()
    runtime_log.removeHandler(marker)
    engine.dispose()
    return StartUp(startup, stall, idle_share, indexed)


def _rows(new_database: Callable[[str], str], name: str) -> list[list[str]]:
    rows = []
    for i, (spread_name, spread) in enumerate(SPREADS.items()):
        url = new_database(f"bench_scheduler_{i}")
        measured = asyncio.run(_measure(url, spread))
        rows += [
            [
                f"scheduler start-up to active, {spread_name}, {name}",
                str(REMINDERS),
                f"{measured.seconds * 1000:.0f}",
                "-",
                "-",
                f"{measured.indexed} reminders in memory;"
                f" loop paused ≤ {measured.longest_stall * 1000:.0f} ms",
            ],
            [
                f"scheduler idle CPU, {spread_name}, {name}",
                str(REMINDERS),
                "-",
                "-",
                "-",
                f"{measured.idle_share * 100:.1f} % of a core over {IDLE_SECONDS:.0f} s",
            ],
        ]
    return rows


def scheduler_start_rows(tmp: Path) -> list[list[str]]:
    rows = _rows(lambda name: f"sqlite:///{tmp / name}.db", "SQLite")
    try:
        cluster = start_cluster()
    except (RuntimeError, OSError) as error:  # no PostgreSQL server binaries here
        return [*rows, ["scheduler start-up, PostgreSQL", "-", "-", "-", "-", f"skipped: {error}"]]
    try:
        rows += _rows(cluster.create_database, "PostgreSQL")
    finally:
        cluster.stop()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = scheduler_start_rows(Path(tmp))
    print(f"machine: {machine()}")
    print_table(HEADERS, rows)


if __name__ == "__main__":
    main()
