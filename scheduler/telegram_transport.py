"""Send through python-telegram-bot, translating its errors for the sender."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.dialogue.types import Button
from scheduler.sender import Blocked, Rejected, RetryLater, Transient


class TelegramTransport:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...]) -> None:
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                    for row in buttons
                ]
            )
            if buttons
            else None
        )
        try:
            await self._bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        except RetryAfter as exc:
            after = exc.retry_after
            raise RetryLater(
                after.total_seconds() if isinstance(after, timedelta) else after
            ) from exc
        except Forbidden as exc:
            raise Blocked(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Blocked(str(exc)) from exc
            raise Rejected(str(exc)) from exc
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)) from exc
