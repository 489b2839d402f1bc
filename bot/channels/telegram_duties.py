"""Telegram for department contacts and admins, beyond the reminders themselves: /reported
(and "我们这个月已经报了"), /schedule with its .ics file, and the operational questions
("怎么取消提醒", "绑定码在哪里要") answered without the NLU."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

from telegram import Message, Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.operations import Operations, load_operations
from bot.channels.telegram_scheduler import _refuse_in_group, _render, _runtime, _say
from bot.config import Settings
from scheduler.agenda import agenda, asked_period, next_reminder, upcoming
from scheduler.ics import agenda_ics

OPERATIONS_KEY = "operations"
COMING_REPORTS = 2  # the coming view: this many monthly reports (a phone screen)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    settings: Settings = context.application.bot_data["settings"]
    user = update.effective_user
    return user is not None and user.id in settings.admins


# ---- /reported ----


async def on_reported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record "已报送" for the report the bot is asking about now; never another one."""
    runtime = _runtime(context)
    contact = await asyncio.to_thread(runtime.departments.contact, update.effective_chat.id)
    if contact is None:
        await _say(update, _render(context, "reported_not_contact"))
        return
    if await _refuse_in_group(update, context):
        return
    today = runtime.clock.today()
    period = asked_period(today, runtime.rules)
    if period is None:
        await _say(update, _no_duty(context))
        return
    name = runtime.departments.names[contact.department]
    user = update.effective_user
    message = update.effective_message
    recorded = await asyncio.to_thread(
        runtime.departments.acknowledge, period.key, contact.department, user.id if user else 0
    )
    if recorded:
        when = runtime.clock.short_text(message.date) if message and message.date else "刚刚"
        text = _render(
            context, "ack_recorded", department_name=name, covers=period.covers, when=when
        )
    else:
        coming = next_reminder(today, runtime.rules)
        text = _render(
            context,
            "ack_already",
            department_name=name,
            covers=period.covers,
            next_reminder=coming[0] if coming else None,
            next_covers=coming[1].covers if coming else None,
        )
    await _say(update, text)


def _no_duty(context: ContextTypes.DEFAULT_TYPE) -> str:
    rules = _runtime(context).rules
    dates = agenda(_runtime(context).clock.today().year, rules)
    return _render(context, "reported_no_duty", last_day=dates.last_day, basis=dates.basis)


# ---- /schedule ----


async def on_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The coming reports (a contact, anyone), or a whole year (an admin, or /schedule 2021),
    with that year's .ics file to import into a phone calendar."""
    runtime = _runtime(context)
    today = runtime.clock.today()
    admin = _is_admin(update, context)
    year = today.year
    if context.args:
        raw = context.args[0]
        if not (raw.isdigit() and 1900 < int(raw) < 9999):
            await _say(update, _render(context, "schedule_usage"))
            return
        year = int(raw)
    dates = await asyncio.to_thread(agenda, year, runtime.rules)
    contact = await asyncio.to_thread(runtime.departments.contact, update.effective_chat.id)
    if admin or context.args:
        if not dates.dates:
            await _say(
                update, _render(context, "schedule_closed", agenda=dates, for_operator=admin)
            )
            return
        await _say(update, _render(context, "schedule_year", agenda=dates))
    else:
        reports, yearly = upcoming(today, runtime.rules, COMING_REPORTS)
        if not reports and not yearly:
            await _say(
                update, _render(context, "schedule_closed", agenda=dates, for_operator=False)
            )
            return
        years = sorted({r.period.due.year for r in reports} | {d.day.year for d in yearly})
        estimated = [y for y in years if not runtime.rules.calendar.covers(y)]
        await _say(
            update,
            _render(
                context,
                "schedule_coming",
                reports=reports,
                yearly=yearly,
                department_name=runtime.departments.names[contact.department] if contact else None,
                contact=contact is not None,
                estimated=estimated,
                send_at=dates.send_at.strftime("%H:%M"),
                has_file=bool(dates.dates),
                year=year,
            ),
        )
        if not dates.dates:
            return
    ics = await asyncio.to_thread(agenda_ics, dates, runtime.renderer, runtime.clock)
    await update.effective_message.reply_document(
        io.BytesIO(ics),
        filename=f"schedule-{year}.ics",
        caption=_render(context, "schedule_caption", year=year, count=len(dates.dates)),
    )


# ---- operational questions ----


class _OperationsFilter(filters.MessageFilter):
    def __init__(self, operations: Operations) -> None:
        super().__init__(name="operations")
        self._operations = operations

    def filter(self, message: Message) -> bool:
        return self._operations.kind_of(message.text or "") is not None


def _on_operations(fallback: Handler) -> Handler:
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        operations: Operations = context.application.bot_data[OPERATIONS_KEY]
        kind = operations.kind_of(update.effective_message.text or "")
        runtime = _runtime(context)
        contact = await asyncio.to_thread(runtime.departments.contact, update.effective_chat.id)
        if kind == "reported":
            # Only a contact's report: anyone else's "已经报了" is a question for the dialogue.
            await (on_reported if contact is not None else fallback)(update, context)
            return
        name = runtime.departments.names[contact.department] if contact else None
        template = "how_cancel" if kind == "cancel_reminders" else "how_bind_code"
        await _say(
            update,
            _render(context, template, contact=contact is not None, department_name=name),
        )

    return handler


def add_handlers(application: Application, settings: Settings, fallback: Handler) -> None:
    """Registered before the scheduler's "提醒我" handler and the dialogue: "别再提醒我了"
    is a question about cancelling, not a new reminder. `fallback` answers free text."""
    operations = load_operations(settings.paths.policy)
    application.bot_data[OPERATIONS_KEY] = operations
    application.add_handler(CommandHandler("reported", on_reported))
    application.add_handler(CommandHandler("schedule", on_schedule))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & _OperationsFilter(operations),
            _on_operations(fallback),
        )
    )
