"""The one sender: drains the outbox under Telegram's limits, honours RetryAfter, retries
network errors with backoff, unsubscribes chats that blocked the bot, records every try."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass, field
from datetime import timedelta
from typing import Protocol

from bot.clock import now_utc
from bot.dialogue.types import Button
from scheduler.outbox import BLOCKED, FAILED, SENT, UNCERTAIN, Claimed, Outbox
from scheduler.ratelimit import SendLimiter

log = logging.getLogger(__name__)


class Blocked(Exception):
    """The chat blocked the bot or no longer exists."""


class RetryLater(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Transient(Exception):
    """A network error or timeout: try again later."""


class Uncertain(Exception):
    """The request may have reached Telegram (a read timeout): sending again could
    duplicate the message, so it is recorded as uncertain and not retried."""


class Rejected(Exception):
    """The message itself was refused (bad request): trying again will not help."""


class Transport(Protocol):
    async def send(
        self, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...]
    ) -> None: ...


@dataclass
class Pacing:
    per_second: float = 25.0  # overall
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    max_attempts: int = 8
    enabled: bool = True

    def limiter(self) -> SendLimiter:
        return SendLimiter(self.per_second, self.per_chat_interval, self.enabled)


@dataclass
class Sender:
    """`limiter`: the process's one send rate, shared with the replies to people
    (bot/channels/telegram_limits.py); by default one of its own, from `pacing`."""

    outbox: Outbox
    transport: Transport
    pacing: Pacing = field(default_factory=Pacing)
    on_blocked: Callable[[int], Awaitable[None] | None] | None = None
    on_outcome: Callable[[str], None] | None = None  # e.g. metrics: sent, retry, blocked …
    limiter: InitVar[SendLimiter | None] = None
    rate: SendLimiter = field(init=False)

    def __post_init__(self, limiter: SendLimiter | None) -> None:
        self.rate = limiter or self.pacing.limiter()

    async def drain(self, limit: int | None = None) -> int:
        """Send every due message (at most `limit`); returns how many were handled."""
        handled = 0
        while limit is None or handled < limit:
            claimed = await asyncio.to_thread(self.outbox.claim)
            if claimed is None:
                break
            await self._send_one(claimed)
            handled += 1
        return handled

    async def _send_one(self, item: Claimed) -> None:
        outcome = await self._attempt(item)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    async def _attempt(self, item: Claimed) -> str:
        """Send one claimed row and record what happened; returns the outcome's name."""
        await self.rate.acquire(item.chat_id)
        status, error, retry_at = SENT, None, None
        try:
            await self.transport.send(item.chat_id, item.text, item.buttons)
        except RetryLater as exc:
            # Telegram's flood control is per bot: pause everything (replies too), keep
            # the message.
            self.rate.pause(exc.seconds)
            status, error = "retry_after", str(exc)
            retry_at = now_utc() + timedelta(seconds=exc.seconds)
        except Transient as exc:
            status, error = "retry", str(exc)
            if item.attempts >= self.pacing.max_attempts:
                log.error("giving up on %s to %s: %s", item.message_key, item.chat_id, exc)
                status = FAILED
            else:
                backoff = min(60.0, 0.5 * 2 ** (item.attempts - 1))
                retry_at = now_utc() + timedelta(seconds=backoff)
        except Uncertain as exc:
            log.warning("delivery of %s to %s uncertain: %s", item.message_key, item.chat_id, exc)
            status, error = UNCERTAIN, str(exc)
        except Blocked as exc:
            status, error = BLOCKED, str(exc)
        except Rejected as exc:
            log.error("message %s to %s rejected: %s", item.message_key, item.chat_id, exc)
            status, error = FAILED, str(exc)
        await asyncio.to_thread(self.outbox.finish, item.id, status, error, retry_at)
        if status == BLOCKED and self.on_blocked is not None:
            pending = self.on_blocked(item.chat_id)
            if pending is not None:
                await pending
        return status
