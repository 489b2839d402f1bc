"""`make bench`: speed and memory of the assistant, printed as one table.

NLU latency (raw Rasa vs the bot's client), full turns, 200 users at once, a broadcast to
100,000 subscribers (the scheduler's fan-out on SQLite and PostgreSQL, sender overhead with
pacing off, achieved rate with pacing on), a reply's send time alone and during a broadcast
(one shared rate), scheduler start-up with 20,000 reminders, other chats' reply times
while one chat floods and while a 100,000-subscriber broadcast is confirmed
(benchmarks/loop.py: the real bot process), peak memory, and cold start. BENCH_TRAIN=1
also times training from scratch."""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

from benchmarks.fanout import fan_out_rows
from benchmarks.loop import loop_rows
from benchmarks.scheduler_start import scheduler_start_rows
from benchmarks.send_rate import send_rate_rows
from benchmarks.table import latency_row, machine, print_table
from bot.assistant import build_dialogue
from bot.config import load_settings
from bot.dialogue.types import Context
from bot.store.db import make_engine, migrate, session_factory
from nlu.client import NluClient
from nlu.dataset import HELD_OUT_DIR, examples
from nlu.model import PROJECT, ensure_model
from nlu.service import NluService
from scheduler.outbox import Outbox, Outgoing
from scheduler.sender import Pacing, Sender
from scheduler.telegram_transport import TelegramTransport
from tests.conftest import NluEndpoint
from tests.support.botapi import BotApiStandIn

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
USERS = 200
SENDER_SAMPLE = 2_000
PACED_SAMPLE = 250


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory: this process, or a process tree from /proc (VmHWM)."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("Pid", "0")) == pid or int(fields.get("PPid", "0")) == pid:
            total += int(fields.get("VmHWM", "0 kB").split()[0])
    return total / 1024


async def raw_parse(http: httpx.AsyncClient, url: str, token: str | None, text: str) -> float:
    """One POST /model/parse straight to Rasa; its time in seconds."""
    started = time.perf_counter()
    response = await http.post(f"{url}/model/parse", params={"token": token}, json={"text": text})
    response.raise_for_status()
    return time.perf_counter() - started


async def nlu_rows(url: str, token: str | None, texts: list[str]) -> list[list[str]]:
    raw: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for text in texts:
            raw.append(await raw_parse(http, url, token, text))
    client = NluClient(url, token, timeout=30)
    through: list[float] = []
    for text in texts:
        started = time.perf_counter()
        await client.parse(text)
        through.append(time.perf_counter() - started)
    await client.aclose()
    return [
        latency_row("NLU raw POST /model/parse", raw),
        latency_row("NLU through the bot's client", through),
    ]


async def turn_rows(url: str, token: str | None, texts: list[str], db: str) -> list[list[str]]:
    client = NluClient(url, token, timeout=60)
    dialogue = build_dialogue(replace(load_settings(), database_url=db), client).dialogue
    turns: list[float] = []
    for text in texts:
        started = time.perf_counter()
        await dialogue.handle_text(text, Context())
        turns.append(time.perf_counter() - started)

    per_user = texts[:5]
    latencies: list[float] = []

    async def user() -> None:
        context = Context()
        for text in per_user:
            started = time.perf_counter()
            await dialogue.handle_text(text, context)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(USERS)))
    elapsed = time.perf_counter() - started
    await client.aclose()
    turns_per_second = len(latencies) / elapsed
    crowd = latency_row(f"{USERS} users at once, 5 turns each", latencies)
    crowd[0] += f" ({turns_per_second:.0f} turns/s)"
    raw, raw_per_second = await raw_crowd(url, token, per_user)
    ratio = [
        "bot turns/s ÷ raw Rasa requests/s, both 200 at once",
        "-",
        "-",
        "-",
        "-",
        f"{turns_per_second / raw_per_second:.2f}",
    ]
    return [latency_row("full turn (text → rendered reply)", turns), raw, crowd, ratio]


async def raw_crowd(url: str, token: str | None, texts: list[str]) -> tuple[list[str], float]:
    """Rasa alone under the same crowd: USERS clients posting the same texts at once."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=USERS)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def user() -> None:
            for text in texts:
                latencies.append(await raw_parse(http, url, token, text))

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(USERS)))
        elapsed = time.perf_counter() - started
    per_second = len(latencies) / elapsed
    row = latency_row(f"raw Rasa, {USERS} clients at once, {len(texts)} each", latencies)
    row[0] += f" ({per_second:.0f} requests/s)"
    return row, per_second


async def broadcast_rows(tmp: Path) -> list[list[str]]:
    api = BotApiStandIn()
    api.start()
    bot = Bot(
        "1:BENCH", base_url=f"{api.base_url}/bot", request=HTTPXRequest(connection_pool_size=8)
    )
    await bot.initialize()
    rows = fan_out_rows(tmp)
    for name, count, pacing in [
        ("sender, pacing off (per message)", SENDER_SAMPLE, Pacing(enabled=False)),
        ("sender, pacing on at 25/s", PACED_SAMPLE, Pacing()),
    ]:
        outbox = Outbox(_sessions(tmp / f"{count}.db"))
        outbox.enqueue([Outgoing("broadcast:2", 20_000_000 + i, "x") for i in range(count)])
        sender = Sender(outbox, TelegramTransport(bot), pacing)
        started = time.perf_counter()
        await sender.drain()
        elapsed = time.perf_counter() - started
        rows.append(
            [
                name,
                str(count),
                f"{elapsed * 1000 / count:.2f}",
                "-",
                "-",
                f"{count / elapsed:.1f} msg/s",
            ]
        )
    await bot.shutdown()
    api.stop()
    return rows


def _sessions(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return session_factory(engine)


def cold_start_rows() -> list[list[str]]:
    rows = []
    if os.environ.get("BENCH_TRAIN") == "1":
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "nlu"
            shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("models", "*.pyc"))
            # An empty training cache: Rasa would otherwise reuse trained components.
            os.environ["RASA_CACHE_DIRECTORY"] = str(Path(tmp) / "rasa-cache")
            try:
                trained = ensure_model(project)
            finally:
                del os.environ["RASA_CACHE_DIRECTORY"]
            rows.append(
                [
                    "cold start: train the NLU model",
                    "1",
                    f"{trained.seconds * 1000:.0f}",
                    "-",
                    "-",
                    f"{trained.seconds:.0f} s",
                ]
            )
    else:
        rows.append(
            ["cold start: train the NLU model", "-", "-", "-", "-", "skipped (BENCH_TRAIN=1)"]
        )
    return rows


def main() -> None:
    texts = [text for _, text in examples(HELD_OUT_DIR)] * ROUNDS
    rows: list[list[str]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        service = stack.enter_context(NluService())
        rows.append(
            [
                "cold start: NLU service, cached model",
                "1",
                f"{(time.perf_counter() - started) * 1000:.0f}",
                "-",
                "-",
                f"{service.startup_seconds:.1f} s",
            ]
        )
        rows += cold_start_rows()
        rows += asyncio.run(nlu_rows(service.url, service.token, texts))
        rows += asyncio.run(
            turn_rows(service.url, service.token, texts, f"sqlite:///{Path(tmp) / 'turns.db'}")
        )
        rows += asyncio.run(broadcast_rows(Path(tmp)))
        rows += asyncio.run(send_rate_rows(Path(tmp)))
        rows += scheduler_start_rows(Path(tmp))
        loop_dir = Path(tmp) / "loop"
        loop_dir.mkdir()
        rows += loop_rows(NluEndpoint(service.url, service.token), loop_dir)
        process = service._process
        nlu_mb = peak_rss_mb(process.pid) if process else 0.0
    rows.append(["peak memory: bot process", "-", "-", "-", "-", f"{peak_rss_mb():.0f} MB"])
    rows.append(["peak memory: NLU service", "-", "-", "-", "-", f"{nlu_mb:.0f} MB"])
    print(f"machine: {machine()}")
    print_table(["measurement", "n", "mean ms", "p50 ms", "p95 ms", "p99 ms / note"], rows)


if __name__ == "__main__":
    main()
