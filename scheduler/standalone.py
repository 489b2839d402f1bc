"""`python -m bot scheduler`: the scheduler alone, for deployments whose webhook workers
run with `scheduler.embedded: false`. Run two for a standby; one is active at a time."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Bot

from bot.assistant import open_database
from bot.config import Settings
from bot.policy_pack import load_policy_pack
from bot.render import Renderer
from bot.store.db import database_url
from scheduler.runtime import SchedulerRuntime

log = logging.getLogger(__name__)


async def run_scheduler(settings: Settings) -> None:
    base = (settings.telegram.base_url or "https://api.telegram.org").rstrip("/")
    bot = Bot(settings.telegram.token or "", base_url=f"{base}/bot")
    pack = load_policy_pack(settings.paths.policy)
    runtime = SchedulerRuntime(
        settings, open_database(settings), Renderer(settings.paths.responses, pack), bot, pack
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with bot:
        await runtime.start(database_url(settings.paths.var, settings.database_url))
        await stop.wait()
        await runtime.stop()
    log.info("scheduler stopped")
