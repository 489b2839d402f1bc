"""Every Bot API call of the Telegram channel passes here (python-telegram-bot's rate-limiter
hook), so replies to people take their turn in the same send rate as the outbox
(scheduler/ratelimit.py), and a 429 on a reply is waited out and tried once more instead of
reaching the person as the error apology."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from scheduler.ratelimit import SendLimiter
from scheduler.telegram_transport import OUTBOX_PACED, retry_after_seconds

log = logging.getLogger(__name__)

# Methods that put a message in a chat count against Telegram's message limits; the rest
# (answerCallbackQuery, getChatMember, getFile, setMyCommands …) go straight through.
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")

Result = bool | dict[str, Any] | list[dict[str, Any]]


def counts_as_message(endpoint: str) -> bool:
    return endpoint.startswith(_MESSAGE_PREFIXES)


class SharedRateLimiter(BaseRateLimiter[str]):
    """`max_wait`: a longer RetryAfter on a reply is not waited out (the call fails as
    before); the pause still holds the outbox for its whole length."""

    def __init__(
        self,
        limiter: SendLimiter,
        max_wait: float = 60.0,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.limiter = limiter
        self._max_wait = max_wait
        self._on_retry = on_retry  # metrics: a reply waited out a 429

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> Result:
        # The outbox's sender took its slot (with the chat's interval) and handles its own
        # RetryAfter: it keeps the message for later rather than holding a handler.
        if rate_limit_args == OUTBOX_PACED:
            return await callback(*args, **kwargs)
        message = counts_as_message(endpoint)
        if message:
            await self.limiter.acquire()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            self.limiter.pause(seconds)
            if seconds > self._max_wait:
                log.warning("%s: flood control for %.0f s, not waited for", endpoint, seconds)
                raise
            log.warning("%s: flood control, sending again in %.0f s", endpoint, seconds)
            if self._on_retry is not None:
                self._on_retry(endpoint)
        # Once more, after the pause (a second RetryAfter goes to the caller).
        if message:
            await self.limiter.acquire()
        else:
            await self.limiter.wait_out_pause()
        return await callback(*args, **kwargs)
