"""Keep the embedded NLU service running: when its process exits (a crash, the kernel's
out-of-memory killer, a stray kill), start it again on the same address and token, waiting
longer after each restart that did not last. Meanwhile the dialogue answers with its
degraded menu (nlu/client.py), and comes back by itself once the service does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

STARTED, FAILED = "started", "failed"


class Supervised(Protocol):
    """What is supervised (nlu.service.NluService)."""

    @property
    def exit_code(self) -> int | None: ...

    def start(self, timeout: float = ...) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Backoff:
    """Seconds before the nth restart in a row: first, first × 2, … up to most. A service
    that stayed up `stable_seconds` starts the count over."""

    first: float = 1.0
    most: float = 60.0
    stable_seconds: float = 300.0

    def delay(self, in_a_row: int) -> float:
        return min(self.most, self.first * 2**in_a_row)


class NluSupervisor:
    def __init__(
        self,
        service: Supervised,
        start_timeout: float,
        backoff: Backoff | None = None,
        on_restart: Callable[[str], None] | None = None,
        check_seconds: float = 1.0,
    ) -> None:
        self._service = service
        self._start_timeout = start_timeout
        self._backoff = backoff or Backoff()
        self._on_restart = on_restart  # metrics: "started" or "failed"
        self._check_seconds = check_seconds
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Future[None] | None = None
        self.restarting = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="nlu-supervisor")

    async def aclose(self) -> None:
        """Stop watching; a start still under way is ended too (its process killed), so
        no server outlives the bot."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        starting = self._starting
        while starting is not None and not starting.done():
            # stop() before the process exists is a no-op: ask again until start() gives up.
            await asyncio.to_thread(self._service.stop)
            await asyncio.wait({starting}, timeout=1.0)
        if starting is not None and starting.done() and not starting.cancelled():
            starting.exception()  # retrieved: a start ended by stop() is expected

    async def _watch(self) -> None:
        in_a_row = 0
        up_since = time.monotonic()
        while True:
            await asyncio.sleep(self._check_seconds)
            code = self._service.exit_code
            if code is None:
                continue
            if time.monotonic() - up_since >= self._backoff.stable_seconds:
                in_a_row = 0
            self.restarting = True
            while True:
                delay = self._backoff.delay(in_a_row)
                in_a_row += 1
                log.error("NLU service exited (status %s); restarting in %.1f s", code, delay)
                await asyncio.sleep(delay)
                if await self._restart():
                    break
                code = self._service.exit_code
            self.restarting = False
            up_since = time.monotonic()

    async def _restart(self) -> bool:
        self._starting = asyncio.ensure_future(
            asyncio.to_thread(self._service.start, self._start_timeout)
        )
        try:
            await asyncio.shield(self._starting)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("NLU service restart failed: %s", exc)
            self._count(FAILED)
            return False
        log.warning("NLU service restarted")
        self._count(STARTED)
        return True

    def _count(self, outcome: str) -> None:
        if self._on_restart is not None:
            self._on_restart(outcome)
