"""Helpers shared by the Telegram feature modules (subscriptions, reminders, departments,
admin, catalogue): rendering the scheduler's messages, replying, button presses that are
stale, admin-only commands and who may act for a group."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.channels.commands import set_chat_commands
from bot.channels.inplace import replace_pressed
from bot.channels.telegram_context import runtime, services, settings
from bot.dialogue.types import Button
from bot.render import to_plain
from bot.telegram_keyboard import inline_keyboard

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
Buttons = tuple[tuple[Button, ...], ...]


def _render_today(context: ContextTypes.DEFAULT_TYPE, template: str, **extra: object) -> str:
    """A template rendered for today, the clock's (bot.clock)."""
    scheduler = runtime(context)
    return scheduler.renderer.render(template, scheduler.clock.today(), **extra)


def render(context: ContextTypes.DEFAULT_TYPE, name: str, **extra: object) -> str:
    """A message of the scheduler's channel (responses/scheduled/<name>.j2)."""
    return _render_today(context, f"scheduled/{name}.j2", **extra)


def toast_text(context: ContextTypes.DEFAULT_TYPE, toast: str, **extra: object) -> str:
    """A button press's short notice (responses/toasts/), as plain text."""
    return to_plain(_render_today(context, f"toasts/{toast}.j2", **extra))


def when_text(context: ContextTypes.DEFAULT_TYPE, moment: datetime) -> str:
    """The local date, its weekday and the time: a reminder at 07:30 here is stored as 23:30
    UTC the day before, and must still read as this day."""
    return runtime(context).clock.moment_text(moment)


async def say(update: Update, text: str, buttons: Buttons = ()) -> None:
    """A new message below (HTML without previews: the Application's Defaults)."""
    await update.effective_message.reply_text(text, reply_markup=inline_keyboard(buttons))


async def replace(
    update: Update, text: str, buttons: Buttons = (), toast: str | None = None
) -> None:
    """The pressed message edited to show the outcome."""
    await replace_pressed(update.callback_query, text, buttons, toast)


async def stale_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button that no longer means anything (or forged data): a toast and a note."""
    await update.callback_query.answer(toast_text(context, "stale"))
    await say(update, _render_today(context, "messages/stale_button.j2"))


def admin_only(handler: Handler) -> Handler:
    """Admins are listed in config.yml; others get a polite refusal. Every use is logged."""

    @wraps(handler)
    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or user.id not in settings(context).admins:
            log.warning(
                "refused admin command %s from user %s", handler.__name__, user.id if user else None
            )
            if update.callback_query is not None:
                await update.callback_query.answer()
            await say(update, render(context, "not_admin"))
            return
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            # A bind code or a list of departments is not for everyone in a group.
            log.warning("admin command %s refused outside a private chat", handler.__name__)
            if update.callback_query is not None:
                await update.callback_query.answer()
            await say(update, render(context, "admin_private_only"))
            return
        log.info("admin %s: %s %s", user.id, handler.__name__, context.args or "")
        await handler(update, context)

    return wrapped


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings(context).admins


async def refresh_commands(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This chat's "/" menu after binding or /stop: a contact's commands, or the public ones."""
    chat_id = update.effective_chat.id
    contact = await asyncio.to_thread(runtime(context).departments.contact, chat_id) is not None
    admin = chat_id in settings(context).admins
    await set_chat_commands(context.bot, services(context).commands, chat_id, contact, admin)


async def may_act_for_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In a group, /stop, a new binding and "已报送" need the member who bound the chat or
    one of the chat's administrators (asked of Telegram: getChatMember)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if user is None:
        return False
    contact = await asyncio.to_thread(runtime(context).departments.contact, chat.id)
    if contact is not None and contact.bound_by == user.id:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:
        log.warning("getChatMember failed for chat %s: %s", chat.id, error)
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def refuse_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True (and a refusal sent) when the sender may not act for this group."""
    if await may_act_for_chat(update, context):
        return False
    chat, user = update.effective_chat, update.effective_user
    log.warning(
        "refused %s in group %s from member %s",
        "button" if update.callback_query else "command",
        chat.id if chat else None,
        user.id if user else None,
    )
    await say(update, render(context, "group_not_allowed"))
    return True
