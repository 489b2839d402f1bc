"""Telegram for personal reminders: "提醒我…" in a message (policy/reminder_requests.yml),
/remind, /reminders with its cancel buttons, the proposal's 确认/取消, the quick choices
and "提醒我申领" under a self-check result."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from telegram import Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.callbacks import small_number
from bot.channels.chat_state import PendingReminder
from bot.channels.reminder_requests import ReminderRequests
from bot.channels.state_processor import chat_state
from bot.channels.telegram_common import (
    Buttons,
    render,
    replace,
    say,
    stale_press,
    toast_text,
    when_text,
)
from bot.channels.telegram_context import runtime
from bot.clock import Clock
from bot.dialogue.payloads import (
    REMIND_CLAIM,
    REMINDER_CANCEL,
    REMINDER_CONFIRM,
    REMINDER_PREFIXES,
    REMINDER_QUICK,
)
from bot.dialogue.types import Button
from bot.privacy import mask_personal_numbers
from scheduler.reminders import DEFAULT_TEXT, ReminderInfo, TooManyReminders, reminder_text
from scheduler.runtime import SchedulerRuntime
from scheduler.when import WhenError, parse_when

CONFIRM, DROP = REMINDER_CONFIRM + "ok", REMINDER_CONFIRM + "no"
QUICK_DAYS = range(1, 367)  # a quick choice's day count (callback data can be forged)


async def _propose(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    moment: datetime,
    in_place: bool = False,
) -> None:
    if await _at_reminder_limit(update, context, in_place):
        return
    chat_state(update, context).pending_reminder = PendingReminder(text, moment.isoformat())
    buttons = ((Button("确认", CONFIRM), Button("取消", DROP)),)
    proposal = render(context, "reminder_confirm", when=when_text(context, moment), text=text)
    if in_place:  # a quick choice ("一周后") becomes the proposal it asked for
        await replace(update, proposal, buttons)
    else:
        await say(update, proposal, buttons)


async def _at_reminder_limit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, in_place: bool = False
) -> bool:
    """A chat at its cap (config.yml → scheduler.reminders.per_chat) is told so before it is
    asked to confirm a reminder that would be refused."""
    scheduler = runtime(context)
    cap = scheduler.settings.scheduler.reminders_per_chat
    count = await asyncio.to_thread(scheduler.reminders.count_scheduled, update.effective_chat.id)
    if count < cap:
        return False
    text = render(context, "reminder_limit", cap=cap)
    await (replace(update, text) if in_place else say(update, text))
    return True


def _quick_buttons() -> Buttons:
    return (
        (
            Button("一周后", f"{REMINDER_QUICK}7"),
            Button("两周后", f"{REMINDER_QUICK}14"),
            Button("一个月后", f"{REMINDER_QUICK}30"),
        ),
    )


async def _propose_from_text(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    try:
        clock = runtime(context).clock
        found = parse_when(raw, update.effective_message.date or clock.now(), clock.zone)
    except WhenError as error:
        await say(
            update, render(context, "reminder_when_error", error=str(error)), _quick_buttons()
        )
        return
    await _propose(update, context, reminder_text(raw, found.matched), found.moment)


async def on_remind_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text that asks for a reminder ("下周五上午提醒我去申领补贴")."""
    await _propose_from_text(
        update, context, mask_personal_numbers(update.effective_message.text or "").text
    )


async def on_remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not context.args:
        await say(update, render(context, "reminder_usage"), _quick_buttons())
        return
    await _propose_from_text(update, context, mask_personal_numbers(" ".join(context.args)).text)


async def on_reminders(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    mine = await asyncio.to_thread(runtime(context).reminders.scheduled, update.effective_chat.id)
    listed = [{"when": when_text(context, r.due_at), "text": r.text} for r in mine]
    buttons = tuple(
        (Button(f"取消 {i}. {r.text[:12]}", f"{REMINDER_CANCEL}{r.id}"),)
        for i, r in enumerate(mine, start=1)
    )
    await say(update, render(context, "reminder_list", reminders=listed), buttons)


async def on_reminder_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认/取消 edit the proposal they belong to; "提醒我申领" under a self-check result
    and 取消 in the list of reminders leave those messages and answer below them."""
    query = update.callback_query
    scheduler = runtime(context)
    data = query.data or ""
    chat_id = update.effective_chat.id
    state = chat_state(update, context)
    pending, state.pending_reminder = state.pending_reminder, None
    quick = small_number(data.removeprefix(REMINDER_QUICK)) or 0
    cancel = small_number(data.removeprefix(REMINDER_CANCEL))
    if data == CONFIRM and pending and pending.due:
        cap = scheduler.settings.scheduler.reminders_per_chat
        try:
            reminder = await asyncio.to_thread(
                scheduler.reminders.create,
                chat_id,
                pending.text,
                datetime.fromisoformat(pending.due),
                cap,
            )
        except TooManyReminders:  # others were set since this proposal
            await replace(update, render(context, "reminder_limit", cap=cap))
            return
        scheduler.schedule_reminder(reminder)
        await replace(
            update,
            render(
                context,
                "reminder_set",
                when=when_text(context, reminder.due_at),
                text=reminder.text,
            ),
            toast=toast_text(context, "reminder_set"),
        )
    elif data == DROP and pending:
        await replace(
            update, render(context, "reminder_dropped"), toast=toast_text(context, "cancelled")
        )
    elif data.startswith(REMINDER_QUICK) and quick in QUICK_DAYS:
        day = scheduler.clock.today() + timedelta(days=quick)
        moment = scheduler.clock.at(day, time(9, 0))
        await _propose(update, context, DEFAULT_TEXT, moment, in_place=True)
    elif data == REMIND_CLAIM:
        await query.answer()
        await say(update, render(context, "reminder_usage"), _quick_buttons())
    elif data.startswith(REMINDER_CANCEL) and cancel is not None:
        reminder = await asyncio.to_thread(_cancel_reminder, scheduler, cancel, chat_id)
        if reminder is not None:
            scheduler.unschedule_reminder(reminder.id)  # the scheduler's index: on the loop
            await query.answer(toast_text(context, "cancelled"))
            await say(update, render(context, "reminder_cancelled", text=reminder.text))
        else:
            await stale_press(update, context)
    else:
        await stale_press(update, context)


def _cancel_reminder(
    scheduler: SchedulerRuntime, reminder_id: int, chat_id: int
) -> ReminderInfo | None:
    """The reminder cancelled; None when it is not this chat's or no longer scheduled."""
    reminder = scheduler.reminders.get(reminder_id)
    if reminder is None or not scheduler.reminders.set_status(reminder.id, "cancelled", chat_id):
        return None
    return reminder


class _ReminderRequestFilter(filters.MessageFilter):
    """ "提醒我3月1日交月报", not "补贴到账了会提醒我吗" (a question for the dialogue)."""

    def __init__(self, requests: ReminderRequests, clock: Clock) -> None:
        super().__init__(name="reminder_request")
        self._requests = requests
        self._clock = clock

    def filter(self, message: Message) -> bool:
        now = message.date or self._clock.now()
        return self._requests.is_request(message.text or "", now, self._clock.zone)


def add_handlers(application: Application, requests: ReminderRequests, clock: Clock) -> None:
    application.add_handler(CommandHandler("remind", on_remind))
    application.add_handler(CommandHandler("reminders", on_reminders))
    application.add_handler(
        CallbackQueryHandler(on_reminder_button, pattern="^(" + "|".join(REMINDER_PREFIXES) + ")")
    )
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & _ReminderRequestFilter(requests, clock),
            on_remind_text,
        )
    )
