"""Telegram commands and buttons of the scheduler: department binding and "已报送",
subscriptions and /stop, and the admins' /newcode, /overdue, /compliance, /broadcast."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from functools import wraps

from telegram import ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.callbacks import period_key, small_number
from bot.channels.chat_state import PendingReminder
from bot.channels.commands import COMMANDS_KEY, CommandBook, set_chat_commands
from bot.channels.inplace import replace_pressed
from bot.channels.reminder_requests import ReminderRequests, load_reminder_requests
from bot.channels.state_processor import chat_state
from bot.config import Settings
from bot.dialogue.payloads import (
    ACK_PREFIX,
    BROADCAST_PREFIX,
    REMIND_CLAIM,
    REMINDER_CANCEL,
    REMINDER_CONFIRM,
    REMINDER_PREFIXES,
    REMINDER_QUICK,
    SUBSCRIBE_PREFIX,
)
from bot.dialogue.types import Button
from bot.privacy import mask_personal_numbers
from bot.render import telegram_length, to_plain
from bot.store.retention import FAILED_BIND_WINDOW, forget
from bot.telegram_keyboard import inline_keyboard
from scheduler.broadcasts import QUEUED, TEXT_LIMIT
from scheduler.departments import load_compliance_labels, write_compliance_csv
from scheduler.duties import ack_message_keys
from scheduler.outbox import now_utc
from scheduler.reminders import DEFAULT_TEXT, ReminderInfo, TooManyReminders, reminder_text
from scheduler.reporting import Period, ReportSchedule, period_for
from scheduler.runtime import SchedulerRuntime
from scheduler.when import WhenError, parse_when

log = logging.getLogger(__name__)

RUNTIME_KEY = "scheduler"

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _runtime(context: ContextTypes.DEFAULT_TYPE) -> SchedulerRuntime:
    return context.application.bot_data[RUNTIME_KEY]


def _render_today(context: ContextTypes.DEFAULT_TYPE, template: str, **extra: object) -> str:
    """A template rendered for today, the clock's (bot.clock)."""
    runtime = _runtime(context)
    return runtime.renderer.render(template, runtime.clock.today(), **extra)


def _render(context: ContextTypes.DEFAULT_TYPE, name: str, **extra: object) -> str:
    return _render_today(context, f"scheduled/{name}.j2", **extra)


async def _say_stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, _render_today(context, "messages/stale_button.j2"))


def toast_text(context: ContextTypes.DEFAULT_TYPE, toast: str, **extra: object) -> str:
    """A button press's short notice (responses/toasts/), as plain text."""
    return to_plain(_render_today(context, f"toasts/{toast}.j2", **extra))


async def _stale_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(toast_text(context, "stale"))
    await _say_stale(update, context)


async def _replace(
    update: Update,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    toast: str | None = None,
) -> None:
    await replace_pressed(update.callback_query, text, buttons, toast)


def _next_period(runtime: SchedulerRuntime) -> Period:
    """The next report due after today."""
    return period_for(runtime.clock.today() + timedelta(days=1), runtime.duties.schedule)


async def _say(update: Update, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
    await update.effective_message.reply_text(text, reply_markup=inline_keyboard(buttons))


def admin_only(handler: Handler) -> Handler:
    """Admins are listed in config.yml; others get a polite refusal. Every use is logged."""

    @wraps(handler)
    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        settings: Settings = context.application.bot_data["settings"]
        user = update.effective_user
        if user is None or user.id not in settings.admins:
            log.warning(
                "refused admin command %s from user %s", handler.__name__, user.id if user else None
            )
            if update.callback_query is not None:
                await update.callback_query.answer()
            await _say(update, _render(context, "not_admin"))
            return
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            # A bind code or a list of departments is not for everyone in a group.
            log.warning("admin command %s refused outside a private chat", handler.__name__)
            if update.callback_query is not None:
                await update.callback_query.answer()
            await _say(update, _render(context, "admin_private_only"))
            return
        log.info("admin %s: %s %s", user.id, handler.__name__, context.args or "")
        await handler(update, context)

    return wrapped


async def _refresh_commands(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This chat's "/" menu after binding or /stop: a contact's commands, or the public ones."""
    book: CommandBook | None = context.application.bot_data.get(COMMANDS_KEY)
    chat_id = update.effective_chat.id
    if book is None:
        return
    settings: Settings = context.application.bot_data["settings"]
    contact = await asyncio.to_thread(_runtime(context).departments.contact, chat_id) is not None
    await set_chat_commands(context.bot, book, chat_id, contact, chat_id in settings.admins)


async def may_act_for_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In a group, /stop, a new binding and "已报送" need the member who bound the chat or
    one of the chat's administrators (asked of Telegram: getChatMember)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if user is None:
        return False
    contact = await asyncio.to_thread(_runtime(context).departments.contact, chat.id)
    if contact is not None and contact.bound_by == user.id:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:
        log.warning("getChatMember failed for chat %s: %s", chat.id, error)
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def _refuse_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
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
    await _say(update, _render(context, "group_not_allowed"))
    return True


def _last_due_period(runtime: SchedulerRuntime) -> Period:
    schedule: ReportSchedule = runtime.duties.schedule
    today = runtime.clock.today()
    upcoming = period_for(today, schedule)
    return (
        upcoming
        if upcoming.due == today
        else Period(date(today.year, today.month, schedule.due_day))
    )


# ---- department contacts ----


async def on_bind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = _runtime(context)
    if not context.args:
        await _say(update, _render(context, "bind_usage"))
        return
    chat_id, user = update.effective_chat.id, update.effective_user
    bound = await asyncio.to_thread(runtime.departments.contact, chat_id)
    if bound is not None and await _refuse_in_group(update, context):
        return
    limits = runtime.settings.retention
    failures = await asyncio.to_thread(
        runtime.departments.failed_binds, chat_id, runtime.clock.now() - FAILED_BIND_WINDOW
    )
    if failures >= limits.failed_binds_per_hour:
        log.warning("bind refused: chat %s failed %d times within the hour", chat_id, failures)
        await _say(update, _render(context, "bind_limited"))
        return
    department = await asyncio.to_thread(
        runtime.departments.bind,
        chat_id,
        context.args[0],
        user.full_name if user else "",
        user.id if user else None,
        timedelta(days=limits.bind_code_valid_days),
    )
    if department is None:
        await asyncio.to_thread(runtime.departments.record_failed_bind, chat_id)
        # The code tried is not logged: it may be someone's valid code.
        log.warning("failed bind from chat %s (unknown, used or expired code)", chat_id)
        await _say(update, _render(context, "bind_failed", valid_days=limits.bind_code_valid_days))
        return
    log.info("chat %s bound to department %s", update.effective_chat.id, department)
    await _refresh_commands(update, context)
    await _say(
        update, _render(context, "bind_ok", department_name=runtime.departments.names[department])
    )


async def on_ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "已报送" under a reminder: recorded, and the reminder edited to say so (its button
    gone); a refusal is a new message and leaves the reminder as it was."""
    query = update.callback_query
    runtime = _runtime(context)
    contact = await asyncio.to_thread(runtime.departments.contact, update.effective_chat.id)
    if contact is None:
        await query.answer()
        await _say(update, _render(context, "ack_not_contact"))
        return
    found = period_key((query.data or "")[len(ACK_PREFIX) :])
    if found is None:
        await _stale_press(update, context)
        return
    period = Period(date(found[0], found[1], runtime.duties.schedule.due_day))
    if await _refuse_in_group(update, context):
        await query.answer()
        return
    # Only a period this chat was asked about: forged data (r:2099-12) would silence
    # future reminders and falsify the compliance export.
    asked = await asyncio.to_thread(
        runtime.outbox.delivered, update.effective_chat.id, ack_message_keys(period.key)
    )
    if not asked:
        log.warning("refused 已报送 for %s from chat %s: never asked", period.key, contact.chat_id)
        await query.answer()
        await _say(update, _render(context, "ack_not_asked"))
        return
    name = runtime.departments.names[contact.department]
    user = update.effective_user
    recorded = await asyncio.to_thread(
        runtime.departments.acknowledge, period.key, contact.department, user.id if user else 0
    )
    if recorded:
        when = (
            runtime.clock.short_text(update.effective_message.date)
            if update.effective_message and update.effective_message.date
            else ""
        )
        await _replace(
            update,
            _render(
                context,
                "ack_recorded",
                department_name=name,
                covers=period.covers,
                when=when or "刚刚",
            ),
            toast=toast_text(context, "ack_recorded"),
        )
    else:
        await _replace(
            update,
            _render(
                context,
                "ack_already",
                department_name=name,
                covers=period.covers,
                next_reminder=None,
                next_covers=None,
            ),
        )


# ---- subscriptions ----


def _subscribe_menu(runtime: SchedulerRuntime, chosen: set[str]) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        (Button(("✅ " if topic in chosen else "") + name, SUBSCRIBE_PREFIX + topic),)
        for topic, name in runtime.subscriptions.topics.items()
    )


def _subscriptions_text(context: ContextTypes.DEFAULT_TYPE, chosen: set[str]) -> str:
    runtime = _runtime(context)
    start, end = runtime.settings.scheduler.quiet_hours
    return _render(
        context,
        "subscribe_menu",
        topics=runtime.subscriptions.topics,
        chosen=chosen,
        quiet_start=start,
        quiet_end=end,
    )


async def _show_subscriptions(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chosen: set[str]
) -> None:
    runtime = _runtime(context)
    await _say(update, _subscriptions_text(context, chosen), _subscribe_menu(runtime, chosen))


async def on_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = _runtime(context)
    chosen = await asyncio.to_thread(runtime.subscriptions.topics_of, update.effective_chat.id)
    await _show_subscriptions(update, context, chosen)


async def on_subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A toggle: the subscription menu it was pressed on shows the new choice."""
    query = update.callback_query
    runtime = _runtime(context)
    topic = (query.data or "")[len(SUBSCRIBE_PREFIX) :]
    if topic not in runtime.subscriptions.topics:
        await _stale_press(update, context)
        return
    chosen = await asyncio.to_thread(runtime.subscriptions.toggle, update.effective_chat.id, topic)
    name = runtime.subscriptions.topics[topic]
    await _replace(
        update,
        _subscriptions_text(context, chosen),
        _subscribe_menu(runtime, chosen),
        toast=toast_text(context, "subscribed", on=topic in chosen, name=name),
    )


async def on_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await asyncio.to_thread(
        _runtime(context).subscriptions.unsubscribe_all, update.effective_chat.id
    )
    await _say(update, _render(context, "unsubscribed"))


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Everything kept about this chat, and the sender's id wherever it is kept, is erased."""
    runtime = _runtime(context)
    chat_id = update.effective_chat.id
    if await _refuse_in_group(update, context):
        return
    for reminder in await asyncio.to_thread(runtime.reminders.scheduled, chat_id):
        runtime.unschedule_reminder(reminder.id)
    user = update.effective_user
    await asyncio.to_thread(forget, runtime.sessions, chat_id, user.id if user else None)
    log.info("chat %s used /stop: its data was erased", chat_id)
    chat_state(update, context).clear()  # the row went with the rest
    await _refresh_commands(update, context)
    await _say(update, _render(context, "stopped"))


# ---- personal reminders ----


def _when_text(context: ContextTypes.DEFAULT_TYPE, moment: datetime) -> str:
    """The local date, its weekday and the time: a reminder at 07:30 here is stored as 23:30
    UTC the day before, and must still read as this day."""
    return _runtime(context).clock.moment_text(moment)


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
    buttons = ((Button("确认", REMINDER_CONFIRM + "ok"), Button("取消", REMINDER_CONFIRM + "no")),)
    proposal = _render(context, "reminder_confirm", when=_when_text(moment), text=text)
    if in_place:  # a quick choice ("一周后") becomes the proposal it asked for
        await _replace(update, proposal, buttons)
    else:
        await _say(update, proposal, buttons)


async def _at_reminder_limit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, in_place: bool = False
) -> bool:
    """A chat at its cap (config.yml → scheduler.reminders.per_chat) is told so before it is
    asked to confirm a reminder that would be refused."""
    runtime = _runtime(context)
    cap = runtime.settings.scheduler.reminders_per_chat
    count = await asyncio.to_thread(runtime.reminders.count_scheduled, update.effective_chat.id)
    if count < cap:
        return False
    text = _render(context, "reminder_limit", cap=cap)
    await (_replace(update, text) if in_place else _say(update, text))
    return True


def _quick_buttons() -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button("一周后", f"{REMINDER_QUICK}7"),
            Button("两周后", f"{REMINDER_QUICK}14"),
            Button("一个月后", f"{REMINDER_QUICK}30"),
        ),
    )


async def _propose_from_text(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    try:
        clock = _runtime(context).clock
        found = parse_when(raw, update.effective_message.date or clock.now(), clock.zone)
    except WhenError as error:
        await _say(
            update, _render(context, "reminder_when_error", error=str(error)), _quick_buttons()
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
        await _say(update, _render(context, "reminder_usage"), _quick_buttons())
        return
    await _propose_from_text(update, context, mask_personal_numbers(" ".join(context.args)).text)


async def on_reminders(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = _runtime(context)
    mine = await asyncio.to_thread(runtime.reminders.scheduled, update.effective_chat.id)
    listed = [{"when": _when_text(context, r.due_at), "text": r.text} for r in mine]
    buttons = tuple(
        (Button(f"取消 {i}. {r.text[:12]}", f"{REMINDER_CANCEL}{r.id}"),)
        for i, r in enumerate(mine, start=1)
    )
    await _say(update, _render(context, "reminder_list", reminders=listed), buttons)


async def on_reminder_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认/取消 edit the proposal they belong to; "提醒我申领" under a self-check result
    and 取消 in the list of reminders leave those messages and answer below them."""
    query = update.callback_query
    runtime = _runtime(context)
    data = query.data or ""
    chat_id = update.effective_chat.id
    state = chat_state(update, context)
    pending, state.pending_reminder = state.pending_reminder, None
    if data == REMINDER_CONFIRM + "ok" and pending and pending.due:
        cap = runtime.settings.scheduler.reminders_per_chat
        try:
            reminder = await asyncio.to_thread(
                runtime.reminders.create,
                chat_id,
                pending.text,
                datetime.fromisoformat(pending.due),
                cap,
            )
        except TooManyReminders:  # others were set since this proposal
            await _replace(update, _render(context, "reminder_limit", cap=cap))
            return
        runtime.schedule_reminder(reminder)
        when = _when_text(context, reminder.due_at)
        await _replace(
            update,
            _render(context, "reminder_set", when=when, text=reminder.text),
            toast=toast_text(context, "reminder_set"),
        )
    elif data == REMINDER_CONFIRM + "no" and pending:
        await _replace(
            update, _render(context, "reminder_dropped"), toast=toast_text(context, "cancelled")
        )
    elif data.startswith(REMINDER_QUICK) and (
        small_number(data[len(REMINDER_QUICK) :]) or 0
    ) in range(1, 367):
        day = (now_utc().astimezone(TZ) + timedelta(days=int(data[len(REMINDER_QUICK) :]))).date()
        moment = datetime.combine(day, time(9, 0), TZ)
        await _propose(update, context, DEFAULT_TEXT, moment, in_place=True)
    elif data == REMIND_CLAIM:
        await query.answer()
        await _say(update, _render(context, "reminder_usage"), _quick_buttons())
    elif (
        data.startswith(REMINDER_CANCEL) and small_number(data[len(REMINDER_CANCEL) :]) is not None
    ):
        reminder = await asyncio.to_thread(
            _cancel_reminder, runtime, int(data[len(REMINDER_CANCEL) :]), chat_id
        )
        if reminder is not None:
            runtime.unschedule_reminder(reminder.id)  # the scheduler's index: on the loop
            await query.answer(toast_text(context, "cancelled"))
            await _say(update, _render(context, "reminder_cancelled", text=reminder.text))
        else:
            await _stale_press(update, context)
    else:
        await _stale_press(update, context)


def _cancel_reminder(
    runtime: SchedulerRuntime, reminder_id: int, chat_id: int
) -> ReminderInfo | None:
    """The reminder cancelled; None when it is not this chat's or no longer scheduled."""
    reminder = runtime.reminders.get(reminder_id)
    if reminder is None or not runtime.reminders.set_status(reminder.id, "cancelled", chat_id):
        return None
    return reminder


# ---- admins ----


@admin_only
async def on_newcode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A one-time bind code; the department by its id, its Chinese name or a unique part."""
    runtime = _runtime(context)
    names = runtime.departments.names
    query = " ".join(context.args or [])
    matches = await asyncio.to_thread(runtime.departments.resolve, query)
    if len(matches) != 1:
        if matches:
            text = _render(
                context, "new_code_ambiguous", query=query, matches=[names[d] for d in matches]
            )
        else:
            text = _render(context, "new_code_usage", departments=names, query=query)
        await _say(update, text)
        return
    department = matches[0]
    code = await asyncio.to_thread(
        runtime.departments.new_code, department, update.effective_user.id
    )
    await _say(update, _render(context, "new_code", code=code, department_name=names[department]))


@admin_only
async def on_overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last due report and the next: departments with a contact that have not
    acknowledged (reminded), apart from those with no contact (never reminded)."""
    runtime = _runtime(context)
    term = runtime.duties.term
    last = _last_due_period(runtime)
    upcoming: Period | None = _next_period(runtime)
    if not term.covers(last.covered):  # the duties ended: their last report, nothing next
        last, upcoming = term.last_period(runtime.duties.schedule), None
    elif not term.covers(upcoming.covered):
        upcoming = None
    names = runtime.departments.names

    def split(period: Period | None) -> tuple[list[str], list[str]]:
        if period is None:
            return [], []
        ignored, unbound = runtime.departments.split_overdue(period.key)
        return [names[d] for d in ignored], [names[d] for d in unbound]

    last_ignored, last_unbound = await asyncio.to_thread(split, last)
    upcoming_ignored, upcoming_unbound = await asyncio.to_thread(split, upcoming)
    await _say(
        update,
        _render(
            context,
            "report_status_admin",
            last=last,
            upcoming=upcoming,
            last_ignored=last_ignored,
            last_unbound=last_unbound,
            upcoming_ignored=upcoming_ignored,
            upcoming_unbound=upcoming_unbound,
        ),
    )


@admin_only
async def on_remind_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the next report's reminder to every department that has not reported, now."""
    runtime = _runtime(context)
    period = _next_period(runtime)
    if not runtime.duties.term.covers(period.covered):  # the plan (or the operator's term) ended
        await _say(update, _render(context, "remind_now_ended", covers=period.covers))
        return
    stamp = update.effective_message.date.strftime("%Y%m%d%H%M%S")
    messages = await asyncio.to_thread(
        runtime.duties.reminders_for,
        period,
        f"report:{period.key}:manual-{stamp}",
        runtime.clock.today(),
    )
    count = await asyncio.to_thread(runtime.enqueue, messages)
    await _say(update, _render(context, "remind_now_done", count=count, covers=period.covers))


COMPLIANCE_MONTHS = 13  # the next report and the twelve before it


@admin_only
async def on_compliance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The acknowledgements as CSV (newest report first), within the duties' term, with a
    caption naming the months covered as the reminders name them."""
    runtime = _runtime(context)
    term = runtime.duties.term
    newest = _next_period(runtime)
    if not term.covers(newest.covered):
        newest = min(newest, term.last_period(runtime.duties.schedule), key=lambda p: p.due)
    periods = [newest]
    while len(periods) < COMPLIANCE_MONTHS:
        covered = periods[-1].covered  # the one before is due on the 1st of that month
        before = Period(date(covered.year, covered.month, runtime.duties.schedule.due_day))
        if not term.covers(before.covered):
            break
        periods.append(before)
    labels = load_compliance_labels(runtime.settings.paths.responses)
    buffer = io.StringIO()
    rows = await asyncio.to_thread(runtime.departments.compliance, periods)
    write_compliance_csv(rows, labels, buffer, runtime.clock.zone)
    caption = _render(
        context,
        "compliance_caption",
        first=periods[-1],
        last=periods[0],
        months=len(periods),
        departments=len(runtime.departments.names),
    )
    first, last = periods[-1].covered, periods[0].covered
    await update.effective_message.reply_document(
        io.BytesIO(buffer.getvalue().encode("utf-8-sig")),  # the BOM: Excel reads UTF-8
        filename=f"compliance-{first:%Y-%m}-to-{last:%Y-%m}.csv",
        caption=caption,
    )


def _broadcast_preview(
    context: ContextTypes.DEFAULT_TYPE, text: str, count: int, when: str | None
) -> str:
    """The preview adds a few lines to the message: a body that fits Telegram's limit may
    make a preview that does not, so the preview then shows the body's beginning."""
    runtime = _runtime(context)
    values = {"count": count, "topic_name": runtime.subscriptions.topics["publicity"], "when": when}
    preview = _render(context, "broadcast_preview", body=text, cut=False, **values)
    body = text
    while telegram_length(preview) > TEXT_LIMIT and body:
        body = body[: len(body) - (telegram_length(preview) - TEXT_LIMIT) - 1]
        preview = _render(context, "broadcast_preview", body=body + "……", cut=True, **values)
    return preview


def _cancel_button(broadcast_id: int) -> Button:
    return Button("取消这次广播", f"{BROADCAST_PREFIX}{broadcast_id}:no")


@admin_only
async def on_broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime = _runtime(context)
    text = mask_personal_numbers(update.effective_message.text or "").text.partition(" ")[2].strip()
    send_at = None
    if "|" in text:  # "/broadcast 明天上午10点 | 内容": scheduled
        when_text, _, text = (part.strip() for part in text.partition("|"))
        try:
            now = update.effective_message.date or runtime.clock.now()
            send_at = parse_when(when_text, now, runtime.clock.zone).moment
        except WhenError as error:
            await _say(update, _render(context, "reminder_when_error", error=str(error)))
            return
    if not text:
        await _say(update, _render(context, "broadcast_usage"))
        return
    draft = await asyncio.to_thread(
        runtime.broadcasts.draft, text, update.effective_user.id, send_at=send_at
    )
    if draft.id is None:  # longer than Telegram takes: refused before anything is saved
        await _say(
            update, _render(context, "broadcast_too_long", length=draft.length, limit=draft.limit)
        )
        return
    buttons = (
        (
            Button("确认发送", f"{BROADCAST_PREFIX}{draft.id}:ok"),
            Button("取消", f"{BROADCAST_PREFIX}{draft.id}:no"),
        ),
    )
    when = _when_text(context, send_at) if send_at else None
    await _say(update, _broadcast_preview(context, text, draft.audience, when), buttons)


@admin_only
async def on_broadcasts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirmed broadcasts not finished yet, each with a cancel button."""
    waiting = await asyncio.to_thread(_runtime(context).broadcasts.waiting)
    listed = [
        {
            "id": b.id,
            "text": b.text[:60] + ("……" if len(b.text) > 60 else ""),
            "when": _when_text(context, b.send_at) if b.send_at else "马上",
            "sending": b.status == QUEUED,
        }
        for b in waiting
    ]
    buttons = tuple((Button(f"取消 #{b.id}", f"{BROADCAST_PREFIX}{b.id}:no"),) for b in waiting)
    await _say(update, _render(context, "broadcast_list", broadcasts=listed), buttons)


@admin_only
async def on_broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认发送/取消 edit the preview they belong to, so it cannot be confirmed twice."""
    query = update.callback_query
    runtime = _runtime(context)
    raw_id, _, action = (query.data or "")[len(BROADCAST_PREFIX) :].partition(":")
    if small_number(raw_id) is None:
        await _stale_press(update, context)
        return
    broadcast_id = int(raw_id)
    if action == "ok":
        confirmed = await asyncio.to_thread(runtime.broadcasts.confirm, broadcast_id)
        if confirmed is not None:
            runtime.wake()  # an embedded active scheduler fans it out at once
            later = confirmed.send_at is not None and confirmed.send_at > runtime.clock.now()
            when = _when_text(context, confirmed.send_at) if later and confirmed.send_at else None
            buttons = ((_cancel_button(broadcast_id),),) if when else ()
            await _replace(
                update,
                _render(context, "broadcast_queued", count=confirmed.audience, when=when),
                buttons,
                toast=toast_text(context, "broadcast_queued"),
            )
            return
    elif action == "no":
        cancelled = await asyncio.to_thread(runtime.broadcasts.cancel, broadcast_id)
        if cancelled is not None:
            await _replace(
                update,
                _render(
                    context, "broadcast_cancelled", stopped=cancelled.stopped, sent=cancelled.sent
                ),
                toast=toast_text(context, "cancelled"),
            )
            return
    await _stale_press(update, context)


class _ReminderRequestFilter(filters.MessageFilter):
    """ "提醒我3月1日交月报", not "补贴到账了会提醒我吗" (a question for the dialogue)."""

    def __init__(self, requests: ReminderRequests) -> None:
        super().__init__(name="reminder_request")
        self._requests = requests

    def filter(self, message: Message) -> bool:
        return self._requests.is_request(message.text or "", message.date or now_utc())


def add_handlers(application: Application, settings: Settings) -> None:
    """Registered before the dialogue's own handlers, so their commands and buttons win."""
    for command, handler in [
        ("bind", on_bind),
        ("subscribe", on_subscribe),
        ("unsubscribe", on_unsubscribe),
        ("stop", on_stop),
        ("newcode", on_newcode),
        ("overdue", on_overdue),
        ("compliance", on_compliance),
        ("remindnow", on_remind_now),
        ("remind", on_remind),
        ("reminders", on_reminders),
        ("broadcast", on_broadcast),
        ("broadcasts", on_broadcasts),
    ]:
        application.add_handler(CommandHandler(command, handler))
    application.add_handler(CallbackQueryHandler(on_ack, pattern=f"^{ACK_PREFIX}"))
    application.add_handler(
        CallbackQueryHandler(on_reminder_button, pattern="^(" + "|".join(REMINDER_PREFIXES) + ")")
    )
    requests = load_reminder_requests(settings.paths.policy)
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & _ReminderRequestFilter(requests), on_remind_text
        )
    )
    application.add_handler(
        CallbackQueryHandler(on_subscribe_button, pattern=f"^{SUBSCRIBE_PREFIX}")
    )
    application.add_handler(
        CallbackQueryHandler(on_broadcast_button, pattern=f"^{BROADCAST_PREFIX}")
    )
