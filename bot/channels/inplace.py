"""Answering a button press in place: the message the button belongs to is edited
(editMessageText) rather than a new one posted, and the press gets an optional toast."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message
from telegram.error import BadRequest

from bot.dialogue.types import Button
from bot.telegram_keyboard import inline_keyboard

log = logging.getLogger(__name__)

# Telegram's answer when the edit would change nothing (a double tap): nothing to do.
_NOT_MODIFIED = "message is not modified"


async def edit_in_place(
    query: CallbackQuery,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> None:
    """Replace the pressed message's text and buttons. When Telegram cannot edit it (too
    old, or not accessible any more) the text is sent as a new message instead."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(
                text,
                reply_markup=inline_keyboard(buttons),
            )
            return
        except BadRequest as error:
            if _NOT_MODIFIED in str(error):
                return
            log.info("could not edit the pressed message (%s); sending a new one", error)
    chat_id = message.chat.id if message is not None else query.from_user.id
    await query.get_bot().send_message(
        chat_id,
        text,
        reply_markup=inline_keyboard(buttons),
    )


async def replace_pressed(
    query: CallbackQuery,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    toast: str | None = None,
) -> None:
    """A toggle or a confirmation: the press answered (with a toast) and the message the
    button belongs to edited to show the outcome, rather than a new message below it."""
    await query.answer(toast)
    await edit_in_place(query, text, buttons)
