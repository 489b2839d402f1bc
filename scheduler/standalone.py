"""`python -m bot scheduler`: the scheduler alone, for deployments whose webhook workers
run with `scheduler.embedded: false`. Run two for a standby; one is active at a time.
Serves GET /healthz and /metrics like the bot (observability.port, METRICS_PORT)."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from telegram.ext import ExtBot

from bot.assistant import open_database
from bot.clock import Clock
from bot.config import Settings
from bot.observability import HealthServer, Metrics
from bot.policy_pack import load_policy_pack
from bot.render import Renderer
from bot.store.db import database_url
from bot.store.health import DatabaseHealth
from scheduler.runtime import SchedulerRuntime
from scheduler.telegram_transport import telegram_defaults

log = logging.getLogger(__name__)


async def run_scheduler(settings: Settings) -> None:
    base = (settings.telegram.base_url or "https://api.telegram.org").rstrip("/")
    bot = ExtBot(
        settings.telegram.token or "", base_url=f"{base}/bot", defaults=telegram_defaults()
    )
    pack = load_policy_pack(settings.paths.policy)
    runtime = SchedulerRuntime(
        settings,
        open_database(settings),
        Renderer(settings.paths.responses, pack),
        bot,
        pack,
        clock=Clock.named(settings.scheduler.timezone),  # the process's one clock
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with bot, AsyncExitStack() as stack:
        await runtime.start(database_url(settings.paths.var, settings.database_url))
        if settings.metrics_port:
            await _serve_health(settings, runtime, stack)
        await stop.wait()
        await runtime.stop()
    log.info("scheduler stopped")


async def _serve_health(
    settings: Settings, runtime: SchedulerRuntime, stack: AsyncExitStack
) -> None:
    """Healthy while the database takes writes at the expected schema and the leader loop
    runs (active or standby)."""
    metrics = Metrics()
    runtime.sender.on_outcome = lambda status: metrics.sends.labels(status).inc()

    database = DatabaseHealth(runtime.sessions.kw["bind"])

    async def database_problem() -> str | None:
        return "; ".join(await asyncio.to_thread(database.problems)) or None

    async def scheduler_problem() -> str | None:
        return None if runtime.running else "the leader loop is not running"

    async def refresh() -> None:
        metrics.queue_depth.set(await asyncio.to_thread(runtime.outbox.pending_count))

    server = HealthServer(
        metrics, {"database": database_problem, "scheduler": scheduler_problem}, refresh
    )
    try:
        port = await server.start(settings.metrics_listen, settings.metrics_port)
    except OSError as error:
        # A bot process on the same host may hold the port (both default to 9108): the
        # scheduler still runs; in a container the healthcheck then reports it.
        log.error("health and metrics not served: %s (set METRICS_PORT)", error)
        return
    stack.push_async_callback(server.stop)
    log.info(
        "health and metrics on http://%s:%d/healthz and /metrics", settings.metrics_listen, port
    )
