"""Telegram for department contacts: /bind, the "已报送" button under a report reminder,
/reported (and "我们这个月已经报了"), /schedule with its .ics file, and the operational
questions ("怎么取消提醒", "绑定码在哪里要") answered without the NLU. The admins' side of
the monthly reports is in telegram_admin.py."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date, timedelta

from telegram import Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.callbacks import period_key
from bot.channels.operations import Operations
from bot.channels.telegram_common import (
    Handler,
    is_admin,
    refresh_commands,
    refuse_in_group,
    render,
    replace,
    say,
    stale_press,
    toast_text,
)
from bot.channels.telegram_context import runtime, services
from bot.dialogue.payloads import ACK_PREFIX
from bot.store.retention import FAILED_BIND_WINDOW
from scheduler.agenda import agenda, asked_period, next_reminder, upcoming
from scheduler.duties import ack_message_keys
from scheduler.ics import agenda_ics
from scheduler.reporting import Period

log = logging.getLogger(__name__)

COMING_REPORTS = 2  # the coming view: this many monthly reports (a phone screen)

# ---- binding and "已报送" ----


async def on_bind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    scheduler = runtime(context)
    if not context.args:
        await say(update, render(context, "bind_usage"))
        return
    chat_id, user = update.effective_chat.id, update.effective_user
    bound = await asyncio.to_thread(scheduler.departments.contact, chat_id)
    if bound is not None and await refuse_in_group(update, context):
        return
    limits = scheduler.settings.retention
    failures = await asyncio.to_thread(
        scheduler.departments.failed_binds, chat_id, scheduler.clock.now() - FAILED_BIND_WINDOW
    )
    if failures >= limits.failed_binds_per_hour:
        log.warning("bind refused: chat %s failed %d times within the hour", chat_id, failures)
        await say(update, render(context, "bind_limited"))
        return
    department = await asyncio.to_thread(
        scheduler.departments.bind,
        chat_id,
        context.args[0],
        user.full_name if user else "",
        user.id if user else None,
        timedelta(days=limits.bind_code_valid_days),
    )
    if department is None:
        await asyncio.to_thread(scheduler.departments.record_failed_bind, chat_id)
        # The code tried is not logged: it may be someone's valid code.
        log.warning("failed bind from chat %s (unknown, used or expired code)", chat_id)
        await say(update, render(context, "bind_failed", valid_days=limits.bind_code_valid_days))
        return
    log.info("chat %s bound to department %s", update.effective_chat.id, department)
    await refresh_commands(update, context)
    await say(
        update, render(context, "bind_ok", department_name=scheduler.departments.names[department])
    )


async def on_ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "已报送" under a reminder: recorded, and the reminder edited to say so (its button
    gone); a refusal is a new message and leaves the reminder as it was."""
    query = update.callback_query
    scheduler = runtime(context)
    contact = await asyncio.to_thread(scheduler.departments.contact, update.effective_chat.id)
    if contact is None:
        await query.answer()
        await say(update, render(context, "ack_not_contact"))
        return
    found = period_key((query.data or "")[len(ACK_PREFIX) :])
    if found is None:
        await stale_press(update, context)
        return
    period = Period(date(found[0], found[1], scheduler.duties.schedule.due_day))
    if await refuse_in_group(update, context):
        await query.answer()
        return
    # Only a period this chat was asked about: forged data (r:2099-12) would silence
    # future reminders and falsify the compliance export.
    asked = await asyncio.to_thread(
        scheduler.outbox.delivered, update.effective_chat.id, ack_message_keys(period.key)
    )
    if not asked:
        log.warning("refused 已报送 for %s from chat %s: never asked", period.key, contact.chat_id)
        await query.answer()
        await say(update, render(context, "ack_not_asked"))
        return
    name = scheduler.departments.names[contact.department]
    user = update.effective_user
    recorded = await asyncio.to_thread(
        scheduler.departments.acknowledge, period.key, contact.department, user.id if user else 0
    )
    if recorded:
        when = (
            scheduler.clock.short_text(update.effective_message.date)
            if update.effective_message and update.effective_message.date
            else ""
        )
        await replace(
            update,
            render(
                context,
                "ack_recorded",
                department_name=name,
                covers=period.covers,
                when=when or "刚刚",
            ),
            toast=toast_text(context, "ack_recorded"),
        )
    else:
        await replace(
            update,
            render(
                context,
                "ack_already",
                department_name=name,
                covers=period.covers,
                next_reminder=None,
                next_covers=None,
            ),
        )


# ---- /reported ----


async def on_reported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record "已报送" for the report the bot is asking about now; never another one."""
    scheduler = runtime(context)
    contact = await asyncio.to_thread(scheduler.departments.contact, update.effective_chat.id)
    if contact is None:
        await say(update, render(context, "reported_not_contact"))
        return
    if await refuse_in_group(update, context):
        return
    today = scheduler.clock.today()
    period = asked_period(today, scheduler.rules)
    if period is None:
        await say(update, _no_duty(context))
        return
    name = scheduler.departments.names[contact.department]
    user = update.effective_user
    message = update.effective_message
    recorded = await asyncio.to_thread(
        scheduler.departments.acknowledge, period.key, contact.department, user.id if user else 0
    )
    if recorded:
        when = scheduler.clock.short_text(message.date) if message and message.date else "刚刚"
        text = render(
            context, "ack_recorded", department_name=name, covers=period.covers, when=when
        )
    else:
        coming = next_reminder(today, scheduler.rules)
        text = render(
            context,
            "ack_already",
            department_name=name,
            covers=period.covers,
            next_reminder=coming[0] if coming else None,
            next_covers=coming[1].covers if coming else None,
        )
    await say(update, text)


def _no_duty(context: ContextTypes.DEFAULT_TYPE) -> str:
    rules = runtime(context).rules
    dates = agenda(runtime(context).clock.today().year, rules)
    return render(context, "reported_no_duty", last_day=dates.last_day, basis=dates.basis)


# ---- /schedule ----


async def on_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The coming reports (a contact, anyone), or a whole year (an admin, or /schedule 2021),
    with that year's .ics file to import into a phone calendar."""
    scheduler = runtime(context)
    today = scheduler.clock.today()
    admin = is_admin(update, context)
    year = today.year
    if context.args:
        raw = context.args[0]
        if not (raw.isdigit() and 1900 < int(raw) < 9999):
            await say(update, render(context, "schedule_usage"))
            return
        year = int(raw)
    dates = await asyncio.to_thread(agenda, year, scheduler.rules)
    contact = await asyncio.to_thread(scheduler.departments.contact, update.effective_chat.id)
    if admin or context.args:
        if not dates.dates:
            await say(update, render(context, "schedule_closed", agenda=dates, for_operator=admin))
            return
        await say(update, render(context, "schedule_year", agenda=dates))
    else:
        reports, yearly = upcoming(today, scheduler.rules, COMING_REPORTS)
        if not reports and not yearly:
            await say(update, render(context, "schedule_closed", agenda=dates, for_operator=False))
            return
        years = sorted({r.period.due.year for r in reports} | {d.day.year for d in yearly})
        estimated = [y for y in years if not scheduler.rules.calendar.covers(y)]
        await say(
            update,
            render(
                context,
                "schedule_coming",
                reports=reports,
                yearly=yearly,
                department_name=scheduler.departments.names[contact.department]
                if contact
                else None,
                contact=contact is not None,
                estimated=estimated,
                send_at=dates.send_at.strftime("%H:%M"),
                has_file=bool(dates.dates),
                year=year,
            ),
        )
        if not dates.dates:
            return
    ics = await asyncio.to_thread(agenda_ics, dates, scheduler.renderer, scheduler.clock)
    await update.effective_message.reply_document(
        io.BytesIO(ics),
        filename=f"schedule-{year}.ics",
        caption=render(context, "schedule_caption", year=year, count=len(dates.dates)),
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
        operations = services(context).operations
        kind = operations.kind_of(update.effective_message.text or "")
        scheduler = runtime(context)
        contact = await asyncio.to_thread(scheduler.departments.contact, update.effective_chat.id)
        if kind == "reported":
            # Only a contact's report: anyone else's "已经报了" is a question for the dialogue.
            await (on_reported if contact is not None else fallback)(update, context)
            return
        name = scheduler.departments.names[contact.department] if contact else None
        template = "how_cancel" if kind == "cancel_reminders" else "how_bind_code"
        await say(
            update,
            render(context, template, contact=contact is not None, department_name=name),
        )

    return handler


def add_handlers(application: Application, operations: Operations, fallback: Handler) -> None:
    """Registered before the "提醒我" handler and the dialogue: "别再提醒我了" is a question
    about cancelling, not a new reminder. `fallback` answers free text."""
    application.add_handler(CommandHandler("bind", on_bind))
    application.add_handler(CommandHandler("reported", on_reported))
    application.add_handler(CommandHandler("schedule", on_schedule))
    application.add_handler(CallbackQueryHandler(on_ack, pattern=f"^{ACK_PREFIX}"))
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & _OperationsFilter(operations),
            _on_operations(fallback),
        )
    )
