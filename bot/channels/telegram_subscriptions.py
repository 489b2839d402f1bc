"""Telegram for subscribers: /subscribe with its toggles, /unsubscribe, and /stop (every
trace of the chat erased)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.channels.state_processor import chat_state
from bot.channels.telegram_common import (
    Buttons,
    refresh_commands,
    refuse_in_group,
    render,
    replace,
    say,
    stale_press,
    toast_text,
)
from bot.channels.telegram_context import runtime
from bot.dialogue.payloads import SUBSCRIBE_PREFIX
from bot.dialogue.types import Button
from bot.store.retention import forget
from scheduler.runtime import SchedulerRuntime

log = logging.getLogger(__name__)


def _subscribe_menu(scheduler: SchedulerRuntime, chosen: set[str]) -> Buttons:
    return tuple(
        (Button(("✅ " if topic in chosen else "") + name, SUBSCRIBE_PREFIX + topic),)
        for topic, name in scheduler.subscriptions.topics.items()
    )


def _subscriptions_text(context: ContextTypes.DEFAULT_TYPE, chosen: set[str]) -> str:
    scheduler = runtime(context)
    start, end = scheduler.settings.scheduler.quiet_hours
    return render(
        context,
        "subscribe_menu",
        topics=scheduler.subscriptions.topics,
        chosen=chosen,
        quiet_start=start,
        quiet_end=end,
    )


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    scheduler = runtime(context)
    chosen = await asyncio.to_thread(scheduler.subscriptions.topics_of, update.effective_chat.id)
    await say(update, _subscriptions_text(context, chosen), _subscribe_menu(scheduler, chosen))


async def on_subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A toggle: the subscription menu it was pressed on shows the new choice."""
    query = update.callback_query
    scheduler = runtime(context)
    topic = (query.data or "")[len(SUBSCRIBE_PREFIX) :]
    if topic not in scheduler.subscriptions.topics:
        await stale_press(update, context)
        return
    chat_id = update.effective_chat.id
    chosen = await asyncio.to_thread(scheduler.subscriptions.toggle, chat_id, topic)
    name = scheduler.subscriptions.topics[topic]
    await replace(
        update,
        _subscriptions_text(context, chosen),
        _subscribe_menu(scheduler, chosen),
        toast=toast_text(context, "subscribed", on=topic in chosen, name=name),
    )


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await asyncio.to_thread(
        runtime(context).subscriptions.unsubscribe_all, update.effective_chat.id
    )
    await say(update, render(context, "unsubscribed"))


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Everything kept about this chat, and the sender's id wherever it is kept, is erased."""
    scheduler = runtime(context)
    chat_id = update.effective_chat.id
    if await refuse_in_group(update, context):
        return
    for reminder in await asyncio.to_thread(scheduler.reminders.scheduled, chat_id):
        scheduler.unschedule_reminder(reminder.id)
    user = update.effective_user
    await asyncio.to_thread(forget, scheduler.sessions, chat_id, user.id if user else None)
    log.info("chat %s used /stop: its data was erased", chat_id)
    chat_state(update, context).clear()  # the row went with the rest
    await refresh_commands(update, context)
    await say(update, render(context, "stopped"))


def add_handlers(application: Application) -> None:
    application.add_handler(CommandHandler("subscribe", on_subscribe))
    application.add_handler(CommandHandler("unsubscribe", on_unsubscribe))
    application.add_handler(CommandHandler("stop", on_stop))
    application.add_handler(
        CallbackQueryHandler(on_subscribe_button, pattern=f"^{SUBSCRIBE_PREFIX}")
    )
