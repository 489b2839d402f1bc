"""Telegram for admins (config.yml → admins, private chats only): /newcode, /overdue,
/remindnow, /compliance for the departments' monthly reports, and /broadcast, /broadcasts
with their 确认发送/取消 buttons for policy publicity."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.channels.callbacks import small_number
from bot.channels.telegram_common import (
    admin_only,
    render,
    replace,
    say,
    stale_press,
    toast_text,
    when_text,
)
from bot.channels.telegram_context import runtime
from bot.dialogue.payloads import BROADCAST_PREFIX
from bot.dialogue.types import Button
from bot.privacy import mask_personal_numbers
from bot.render import telegram_length
from scheduler.broadcasts import QUEUED, TEXT_LIMIT
from scheduler.departments import load_compliance_labels, write_compliance_csv
from scheduler.reporting import Period, ReportSchedule, period_for
from scheduler.runtime import SchedulerRuntime
from scheduler.when import WhenError, parse_when

COMPLIANCE_MONTHS = 13  # the next report and the twelve before it


def _next_period(scheduler: SchedulerRuntime) -> Period:
    """The next report due after today."""
    return period_for(scheduler.clock.today() + timedelta(days=1), scheduler.duties.schedule)


def _last_due_period(scheduler: SchedulerRuntime) -> Period:
    schedule: ReportSchedule = scheduler.duties.schedule
    today = scheduler.clock.today()
    upcoming = period_for(today, schedule)
    return (
        upcoming
        if upcoming.due == today
        else Period(date(today.year, today.month, schedule.due_day))
    )


# ---- department reports ----


@admin_only
async def on_newcode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A one-time bind code; the department by its id, its Chinese name or a unique part."""
    scheduler = runtime(context)
    names = scheduler.departments.names
    query = " ".join(context.args or [])
    matches = await asyncio.to_thread(scheduler.departments.resolve, query)
    if len(matches) != 1:
        if matches:
            text = render(
                context, "new_code_ambiguous", query=query, matches=[names[d] for d in matches]
            )
        else:
            text = render(context, "new_code_usage", departments=names, query=query)
        await say(update, text)
        return
    department = matches[0]
    code = await asyncio.to_thread(
        scheduler.departments.new_code, department, update.effective_user.id
    )
    await say(update, render(context, "new_code", code=code, department_name=names[department]))


@admin_only
async def on_overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last due report and the next: departments with a contact that have not
    acknowledged (reminded), apart from those with no contact (never reminded)."""
    scheduler = runtime(context)
    term = scheduler.duties.term
    last = _last_due_period(scheduler)
    upcoming: Period | None = _next_period(scheduler)
    if not term.covers(last.covered):  # the duties ended: their last report, nothing next
        last, upcoming = term.last_period(scheduler.duties.schedule), None
    elif not term.covers(upcoming.covered):
        upcoming = None
    names = scheduler.departments.names

    def split(period: Period | None) -> tuple[list[str], list[str]]:
        if period is None:
            return [], []
        ignored, unbound = scheduler.departments.split_overdue(period.key)
        return [names[d] for d in ignored], [names[d] for d in unbound]

    last_ignored, last_unbound = await asyncio.to_thread(split, last)
    upcoming_ignored, upcoming_unbound = await asyncio.to_thread(split, upcoming)
    await say(
        update,
        render(
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
    scheduler = runtime(context)
    period = _next_period(scheduler)
    if not scheduler.duties.term.covers(period.covered):  # the plan (or the term) ended
        await say(update, render(context, "remind_now_ended", covers=period.covers))
        return
    stamp = update.effective_message.date.strftime("%Y%m%d%H%M%S")
    messages = await asyncio.to_thread(
        scheduler.duties.reminders_for,
        period,
        f"report:{period.key}:manual-{stamp}",
        scheduler.clock.today(),
    )
    count = await asyncio.to_thread(scheduler.enqueue, messages)
    await say(update, render(context, "remind_now_done", count=count, covers=period.covers))


@admin_only
async def on_compliance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The acknowledgements as CSV (newest report first), within the duties' term, with a
    caption naming the months covered as the reminders name them."""
    scheduler = runtime(context)
    term = scheduler.duties.term
    newest = _next_period(scheduler)
    if not term.covers(newest.covered):
        newest = min(newest, term.last_period(scheduler.duties.schedule), key=lambda p: p.due)
    periods = [newest]
    while len(periods) < COMPLIANCE_MONTHS:
        covered = periods[-1].covered  # the one before is due on the 1st of that month
        before = Period(date(covered.year, covered.month, scheduler.duties.schedule.due_day))
        if not term.covers(before.covered):
            break
        periods.append(before)
    labels = load_compliance_labels(scheduler.settings.paths.responses)
    buffer = io.StringIO()
    rows = await asyncio.to_thread(scheduler.departments.compliance, periods)
    write_compliance_csv(rows, labels, buffer, scheduler.clock.zone)
    caption = render(
        context,
        "compliance_caption",
        first=periods[-1],
        last=periods[0],
        months=len(periods),
        departments=len(scheduler.departments.names),
    )
    first, last = periods[-1].covered, periods[0].covered
    await update.effective_message.reply_document(
        io.BytesIO(buffer.getvalue().encode("utf-8-sig")),  # the BOM: Excel reads UTF-8
        filename=f"compliance-{first:%Y-%m}-to-{last:%Y-%m}.csv",
        caption=caption,
    )


# ---- broadcasts ----


def _broadcast_preview(
    context: ContextTypes.DEFAULT_TYPE, text: str, count: int, when: str | None
) -> str:
    """The preview adds a few lines to the message: a body that fits Telegram's limit may
    make a preview that does not, so the preview then shows the body's beginning."""
    scheduler = runtime(context)
    values = {
        "count": count,
        "topic_name": scheduler.subscriptions.topics["publicity"],
        "when": when,
    }
    preview = render(context, "broadcast_preview", body=text, cut=False, **values)
    body = text
    while telegram_length(preview) > TEXT_LIMIT and body:
        body = body[: len(body) - (telegram_length(preview) - TEXT_LIMIT) - 1]
        preview = render(context, "broadcast_preview", body=body + "……", cut=True, **values)
    return preview


def _cancel_button(broadcast_id: int, label: str = "取消这次广播") -> Button:
    return Button(label, f"{BROADCAST_PREFIX}{broadcast_id}:no")


@admin_only
async def on_broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    scheduler = runtime(context)
    text = mask_personal_numbers(update.effective_message.text or "").text.partition(" ")[2].strip()
    send_at = None
    if "|" in text:  # "/broadcast 明天上午10点 | 内容": scheduled
        when_words, _, text = (part.strip() for part in text.partition("|"))
        try:
            now = update.effective_message.date or scheduler.clock.now()
            send_at = parse_when(when_words, now, scheduler.clock.zone).moment
        except WhenError as error:
            await say(update, render(context, "reminder_when_error", error=str(error)))
            return
    if not text:
        await say(update, render(context, "broadcast_usage"))
        return
    draft = await asyncio.to_thread(
        scheduler.broadcasts.draft, text, update.effective_user.id, send_at=send_at
    )
    if draft.id is None:  # longer than Telegram takes: refused before anything is saved
        await say(
            update, render(context, "broadcast_too_long", length=draft.length, limit=draft.limit)
        )
        return
    buttons = (
        (
            Button("确认发送", f"{BROADCAST_PREFIX}{draft.id}:ok"),
            _cancel_button(draft.id, "取消"),
        ),
    )
    when = when_text(context, send_at) if send_at else None
    await say(update, _broadcast_preview(context, text, draft.audience, when), buttons)


@admin_only
async def on_broadcasts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirmed broadcasts not finished yet, each with a cancel button."""
    waiting = await asyncio.to_thread(runtime(context).broadcasts.waiting)
    listed = [
        {
            "id": b.id,
            "text": b.text[:60] + ("……" if len(b.text) > 60 else ""),
            "when": when_text(context, b.send_at) if b.send_at else "马上",
            "sending": b.status == QUEUED,
        }
        for b in waiting
    ]
    buttons = tuple((_cancel_button(b.id, f"取消 #{b.id}"),) for b in waiting)
    await say(update, render(context, "broadcast_list", broadcasts=listed), buttons)


@admin_only
async def on_broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认发送/取消 edit the preview they belong to, so it cannot be confirmed twice."""
    query = update.callback_query
    scheduler = runtime(context)
    raw_id, _, action = (query.data or "")[len(BROADCAST_PREFIX) :].partition(":")
    if small_number(raw_id) is None:
        await stale_press(update, context)
        return
    broadcast_id = int(raw_id)
    if action == "ok":
        confirmed = await asyncio.to_thread(scheduler.broadcasts.confirm, broadcast_id)
        if confirmed is not None:
            scheduler.wake()  # an embedded active scheduler fans it out at once
            later = confirmed.send_at is not None and confirmed.send_at > scheduler.clock.now()
            when = when_text(context, confirmed.send_at) if later and confirmed.send_at else None
            buttons = ((_cancel_button(broadcast_id),),) if when else ()
            await replace(
                update,
                render(context, "broadcast_queued", count=confirmed.audience, when=when),
                buttons,
                toast=toast_text(context, "broadcast_queued"),
            )
            return
    elif action == "no":
        cancelled = await asyncio.to_thread(scheduler.broadcasts.cancel, broadcast_id)
        if cancelled is not None:
            await replace(
                update,
                render(
                    context, "broadcast_cancelled", stopped=cancelled.stopped, sent=cancelled.sent
                ),
                toast=toast_text(context, "cancelled"),
            )
            return
    await stale_press(update, context)


def add_handlers(application: Application) -> None:
    for command, handler in [
        ("newcode", on_newcode),
        ("overdue", on_overdue),
        ("compliance", on_compliance),
        ("remindnow", on_remind_now),
        ("broadcast", on_broadcast),
        ("broadcasts", on_broadcasts),
    ]:
        application.add_handler(CommandHandler(command, handler))
    application.add_handler(
        CallbackQueryHandler(on_broadcast_button, pattern=f"^{BROADCAST_PREFIX}")
    )
