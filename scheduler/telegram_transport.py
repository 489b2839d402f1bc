"""Send through python-telegram-bot, translating its errors for the sender."""

from __future__ import annotations

from datetime import timedelta

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Defaults, ExtBot

from bot.dialogue.types import Button
from bot.telegram_keyboard import inline_keyboard
from scheduler.sender import Blocked, Rejected, RetryLater, Transient, Uncertain

# Told to the bot's rate limiter (bot/channels/telegram_limits.py): the sender already took
# this message's slot in the shared rate and handles RetryAfter itself.
OUTBOX_PACED = "outbox"


def telegram_defaults() -> Defaults:
    """Every message the bot and the scheduler send is HTML (responses/*.j2) without link
    previews; given to the Application and the standalone scheduler's bot."""
    return Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 gives an int or a timedelta, depending on its settings."""
    after = exc.retry_after
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


class TelegramTransport:
    def __init__(self, bot: Bot) -> None:
        """`bot`: an ExtBot with telegram_defaults(), which the sends rely on."""
        self._bot = bot
        # Only an ExtBot with a rate limiter accepts rate_limit_args.
        limited = isinstance(bot, ExtBot) and bot.rate_limiter is not None
        self._extra: dict[str, str] = {"rate_limit_args": OUTBOX_PACED} if limited else {}

    async def send(self, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...]) -> None:
        try:
            await self._bot.send_message(
                chat_id,
                text,
                reply_markup=inline_keyboard(buttons),
                **self._extra,  # type: ignore[arg-type]
            )
        except RetryAfter as exc:
            raise RetryLater(retry_after_seconds(exc)) from exc
        except Forbidden as exc:
            raise Blocked(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Blocked(str(exc)) from exc
            raise Rejected(str(exc)) from exc
        except TimedOut as exc:
            # Only a timeout before the request left is safe to retry.
            if isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise Transient(str(exc)) from exc
            raise Uncertain(str(exc) or "read timeout") from exc
        except NetworkError as exc:
            raise Transient(str(exc)) from exc
