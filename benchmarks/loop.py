"""Reply time of other chats while the bot is busy, through the real bot process
(`python -m bot run` long-polling the Bot API stand-in, the real NLU service): alone, while
one chat floods 200 messages (with config.yml's throttle, and without one), and while a
100,000-subscriber broadcast is confirmed and fanned out (SQLite and PostgreSQL), with
/healthz's time and the bot's peak memory then.

A reply's time runs from the update being put in the stand-in to the bot's sendMessage
reaching it (long polling adds up to 50 ms: the stand-in looks for updates that often).

    NLU_URL=… NLU_TOKEN=… .venv/bin/python -m benchmarks.loop   (also part of `make bench`)"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from sqlalchemy import select

from benchmarks.table import latency_row, machine, print_table
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import Broadcast
from nlu.service import NluService
from tests.conftest import ROOT, NluEndpoint, bot_env, spawn_bot
from tests.e2e.conftest import ADMIN, TOKEN, write_test_config
from tests.support.botapi import BotApiStandIn
from tests.support.postgres import start_cluster
from tests.support.subscribers import add_subscribers

QUESTION = "学徒制一年补多少钱"
ANSWER = "四(一)"
FLOOD = 200
ASKERS = 20  # other people, one question each
ASK_EVERY = 0.1  # seconds between them
SUBSCRIBERS = 100_000
HEADERS = ["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms / note"]
_chats = iter(range(60_000_000, 70_000_000))


class Bot:
    def __init__(self, api: BotApiStandIn, process: subprocess.Popen[bytes], port: int) -> None:
        self.api, self.process, self.port = api, process, port

    def ask(self, count: int = ASKERS, every: float = ASK_EVERY) -> list[float]:
        """`count` people ask one question each, `every` seconds apart: their reply times."""
        asked: dict[int, float] = {}
        for _ in range(count):
            chat = next(_chats)
            asked[chat] = time.monotonic()
            self.api.push_text(chat, QUESTION)
            time.sleep(every)
        return [self.reply_time(chat, at) for chat, at in asked.items()]

    def reply_time(self, chat: int, asked_at: float, timeout: float = 120) -> float:
        self.api.wait_for_text(chat, ANSWER, timeout=timeout)
        return min(t for t, c in self.api.attempts if c == chat) - asked_at

    def health_times(self, stop: threading.Event) -> list[float]:
        took = []
        while not stop.is_set():
            started = time.monotonic()
            httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=30)
            took.append(time.monotonic() - started)
            time.sleep(0.1)
        return took

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def running_bot(endpoint: NluEndpoint, url: str, tmp: Path, throttle: bool = True) -> Iterator[Bot]:
    api = BotApiStandIn()
    api.start()
    config = write_test_config(tmp)
    settings = yaml.safe_load(config.read_text("utf-8"))
    if throttle:  # config.yml's own (the test settings switch it off)
        shipped = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
        settings["telegram"]["throttle"] = shipped["telegram"]["throttle"]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = bot_env(
        endpoint,
        url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=api.base_url,
        ASSISTANT_CONFIG=str(config),
    )
    log = tmp / "bot.log"
    process = spawn_bot(["run"], env, log)
    bot = Bot(api, process, int(env["METRICS_PORT"]))
    try:
        api.push_text(next(_chats), "/help")
        deadline = time.monotonic() + 120
        while not api.calls("sendMessage") or "scheduler active" not in log.read_text():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        bot.ask(3)  # warm up: the first turns load what is loaded lazily
        yield bot
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        api.stop()


def flood_rows(endpoint: NluEndpoint, tmp: Path, throttle: bool) -> list[list[str]]:
    label = "throttle as shipped" if throttle else "no throttle"
    with running_bot(endpoint, f"sqlite:///{tmp / 'flood.db'}", tmp, throttle) as bot:
        idle = bot.ask()
        flooder = next(_chats)
        for _ in range(FLOOD):
            bot.api.push_text(flooder, QUESTION)
        busy = bot.ask()
        answered = len([m for m in bot.api.messages_to(flooder) if ANSWER in m.text])
    rows = [latency_row(f"other chats' replies, idle ({label})", idle)]
    rows.append(latency_row(f"other chats' replies, one chat sends {FLOOD} ({label})", busy))
    rows[-1][-1] += f" (flooder answered {answered} by then)"
    return rows


def broadcast_rows(endpoint: NluEndpoint, url: str, name: str, tmp: Path) -> list[list[str]]:
    engine = make_engine(url)
    migrate(engine)
    add_subscribers(engine, SUBSCRIBERS)
    sessions = session_factory(engine)
    with running_bot(endpoint, url, tmp) as bot:
        api = bot.api
        api.push_text(ADMIN, "/broadcast 基准测试：十万人广播")
        preview = api.wait_for_text(ADMIN, "预览", timeout=120)
        stop = threading.Event()
        health: list[float] = []
        checker = threading.Thread(target=lambda: health.extend(bot.health_times(stop)))
        checker.start()
        confirmed = time.monotonic()
        api.push_callback(ADMIN, dict(preview.buttons)["确认发送"], message_id=preview.message_id)
        replies: list[float] = []
        fanned_out = None
        while fanned_out is None and time.monotonic() - confirmed < 120:
            replies += bot.ask(5)
            with sessions() as session:
                if session.scalars(select(Broadcast.status)).one() != "scheduled":
                    fanned_out = time.monotonic() - confirmed
        stop.set()
        checker.join()
        peak = bot.peak_mb()
    engine.dispose()
    took = f"{fanned_out:.1f} s" if fanned_out is not None else "not done in 120 s"
    rows = [
        latency_row(f"other chats' replies, {SUBSCRIBERS:,} broadcast confirmed ({name})", replies),
        latency_row(f"/healthz meanwhile ({name})", health),
    ]
    rows[0][-1] += f" (confirm → queued {took}; bot peak {peak:.0f} MB)"
    return rows


def loop_rows(endpoint: NluEndpoint, tmp: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for throttle in (True, False):
        folder = tmp / f"flood-{throttle}"
        folder.mkdir()
        rows += flood_rows(endpoint, folder, throttle)
    folder = tmp / "broadcast-sqlite"
    folder.mkdir()
    rows += broadcast_rows(endpoint, f"sqlite:///{folder / 'b.db'}", "SQLite", folder)
    try:
        cluster = start_cluster()
    except (RuntimeError, OSError) as error:
        return [*rows, ["broadcast, PostgreSQL", "-", "-", "-", "-", f"skipped: {error}"]]
    try:
        folder = tmp / "broadcast-postgres"
        folder.mkdir()
        url = cluster.create_database("bench_loop")
        rows += broadcast_rows(endpoint, url, "PostgreSQL", folder)
    finally:
        cluster.stop()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("NLU_URL"):
            endpoint = NluEndpoint(os.environ["NLU_URL"], os.environ.get("NLU_TOKEN"))
            rows = loop_rows(endpoint, Path(tmp))
        else:
            with NluService() as service:
                rows = loop_rows(NluEndpoint(service.url, service.token), Path(tmp))
    print(f"machine: {machine()}")
    print_table(HEADERS, rows)


if __name__ == "__main__":
    main()
