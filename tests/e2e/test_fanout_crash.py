"""kill -9 of the scheduler process while it fans a 100,000-subscriber broadcast out on
PostgreSQL: the broadcast is either still `scheduled` with no rows or `queued` with all of
them, never half; the next scheduler fans it out whole."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Broadcast, Delivery
from scheduler.runtime import SchedulerRuntime
from tests.conftest import NluEndpoint, spawn_bot
from tests.e2e.conftest import telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn
from tests.support.subscribers import add_subscribers

SUBSCRIBERS = 100_000
# The scheduler process never asks the NLU: no service is needed behind this address.
NO_NLU = NluEndpoint("http://127.0.0.1:9", None)


@pytest.fixture()
def database(own_postgres_database: str) -> Iterator[str]:
    url = own_postgres_database
    engine = make_engine(url)
    migrate(engine)
    add_subscribers(engine, SUBSCRIBERS)
    engine.dispose()
    yield url


def _state(runtime: SchedulerRuntime, broadcast_id: int) -> tuple[str, int, int]:
    """(status, delivery rows, distinct chats) as another client sees them."""
    with runtime.sessions() as session:
        rows, chats = session.execute(
            select(func.count(), func.count(func.distinct(Delivery.chat_id))).where(
                Delivery.message_key == f"broadcast:{broadcast_id}"
            )
        ).one()
        return session.get(Broadcast, broadcast_id).status, int(rows), int(chats)


def _fan_out_backend(url: str, timeout: float) -> int | None:
    """The server process running the fan-out's INSERT, once it is seen running."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active'"
                " AND query LIKE 'INSERT INTO deliveries%%SELECT%%'"
            ).fetchone()
            if row is not None:
                return int(row[0])
            time.sleep(0.005)
    return None


def _wait_gone(url: str, pid: int) -> None:
    """The killed client's server process rolls back and exits when it finds the socket closed."""
    deadline = time.monotonic() + 60
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        query = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
        while connection.execute(query, (pid,)).fetchone():
            assert time.monotonic() < deadline, "the killed client's backend lingers"
            time.sleep(0.05)


def _wait_for(path: Path, needle: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text():
        assert time.monotonic() < deadline, f"{needle!r} not in {path.name}"
        time.sleep(0.1)


def test_kill_during_fan_out_leaves_no_half_broadcast(
    database: str,
    botapi: BotApiStandIn,
    settings: Settings,
    renderer: Renderer,
    pack: PolicyPack,
    tmp_path: Path,
):
    engine = make_engine(database)
    bot = Bot("123456789:TEST-abcdefghijklmnopqrstuvwxyz0123")  # never called here
    runtime = SchedulerRuntime(settings, session_factory(engine), renderer, bot, pack)
    env = telegram_env(NO_NLU, database, botapi, write_test_config(tmp_path))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        killed_mid_insert = False
        for attempt in range(3):  # the INSERT lasts about a second: catch it in the act
            broadcast_id = runtime.broadcasts.draft(f"第{attempt}次", 9001).id
            assert runtime.broadcasts.confirm(broadcast_id) is not None
            log = tmp_path / f"scheduler-{attempt}.log"
            process = spawn_bot(["scheduler"], env, log)
            processes.append(process)
            backend = _fan_out_backend(database, timeout=90)
            if backend is not None:
                process.kill()  # SIGKILL: no clean-up, no COMMIT
                process.wait()
                _wait_gone(database, backend)
                # Mid-statement: nothing of it is visible, and it is still to be sent.
                assert _state(runtime, broadcast_id) == ("scheduled", 0, 0)
                killed_mid_insert = True
                break
            # Missed it: the fan-out finished first and must then be whole.
            _wait_for(log, f"broadcast {broadcast_id} fanned out")
            assert _state(runtime, broadcast_id) == ("queued", SUBSCRIBERS, SUBSCRIBERS)
            process.terminate()
            process.wait(timeout=30)
        assert killed_mid_insert, "the fan-out was never caught running"

        # The next scheduler fans the same broadcast out, whole and once.
        log = tmp_path / "scheduler-restarted.log"
        processes.append(spawn_bot(["scheduler"], env, log))
        _wait_for(log, f"broadcast {broadcast_id} fanned out to {SUBSCRIBERS} subscriber(s)")
        assert _state(runtime, broadcast_id) == ("queued", SUBSCRIBERS, SUBSCRIBERS)
        # The scheduler process serves /healthz like the bot (compose's healthcheck).
        health = httpx.get(f"http://127.0.0.1:{env['METRICS_PORT']}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": True, "scheduler": True}
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        engine.dispose()
