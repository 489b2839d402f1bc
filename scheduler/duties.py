"""The departments' dates (六(一), 六(二)): what the daily 09:00 job puts in the outbox.

The duties end with the plan unless an operator extends them (DutyTerm); after the last one
the admins are told once. Every message key names its period and day, so running the job
twice (or after a restart) enqueues nothing new."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.dialogue.payloads import ACK_PREFIX
from bot.dialogue.types import Button
from bot.render import Renderer
from scheduler.calendar import WorkCalendar
from scheduler.departments import Departments
from scheduler.outbox import Outgoing
from scheduler.reporting import (
    DutyTerm,
    Period,
    ReportSchedule,
    last_duty_day,
    overdue_day,
    period_for,
    reminder_days,
    start_of_year_day,
    year_end_day,
)


def ack_message_keys(period_key: str) -> tuple[str, ...]:
    """LIKE patterns of the messages that carry a period's "已报送" button: its reminders
    (report:<period>:<day> or :manual-<time>) and its follow-up (followup:<period>)."""
    return (f"report:{period_key}:%", f"followup:{period_key}")


@dataclass
class Duties:
    departments: Departments
    calendar: WorkCalendar
    schedule: ReportSchedule
    renderer: Renderer
    admins: frozenset[int]
    term: DutyTerm
    zone: tzinfo  # the clock's: the days and send_at are local
    tips_stop: bool = True  # the weekly tips stop with the plan (said in the admins' notice)

    def due_messages(self, now: datetime) -> list[Outgoing]:
        local = now.astimezone(self.zone)
        today = local.date()
        if local.time() < self.schedule.send_at:
            return []
        messages: list[Outgoing] = []
        messages += self._monthly_reminders(today)
        messages += self._overdue(today)
        messages += self._yearly(today)
        if self.ended(today):
            return messages + self._ended_notice(today)
        messages += self._calendar_notice(today)
        return messages

    def ended(self, today: date) -> bool:
        """Past the last duty: the last monthly report's overdue day and the last year-end."""
        return today > last_duty_day(self.term, self.schedule, self.calendar)

    def _ended_notice(self, today: date) -> list[Outgoing]:
        last = self.term.last_period(self.schedule)
        text = self._render(
            "duties_ended",
            today,
            last_due=last.due,
            last_covers=last.covers,
            last_year=self.term.last_day.year,
            basis=self.term.basis_for(last.covered),
            tips_stop=self.tips_stop,
        )
        key = f"duties-ended:{last.key}"
        return [Outgoing(key, admin, text) for admin in self.admins]

    def _render(self, template: str, today: date, **extra: object) -> str:
        return self.renderer.render(f"scheduled/{template}.j2", today, **extra)

    def _ack_button(self, period: Period) -> tuple[tuple[Button, ...], ...]:
        return ((Button("✅ 已报送", ACK_PREFIX + period.key),),)

    def _to_contacts(
        self,
        departments: Iterable[str],
        key: str,
        template: str,
        today: date,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **extra: object,
    ) -> list[Outgoing]:
        messages = []
        for department in departments:
            name = self.departments.names[department]
            text = self._render(template, today, department_name=name, **extra)
            messages += [
                Outgoing(key, contact.chat_id, text, buttons)
                for contact in self.departments.contacts(department)
            ]
        return messages

    def _monthly_reminders(self, today: date) -> list[Outgoing]:
        period = period_for(today, self.schedule)
        if not self.term.covers(period.covered):
            return []
        if today not in reminder_days(period, self.calendar, self.schedule):
            return []
        return self.reminders_for(period, f"report:{period.key}:{today.isoformat()}", today)

    def reminders_for(self, period: Period, key: str, today: date) -> list[Outgoing]:
        """The report reminder for every contact of a department that has not reported;
        none for a period no duty covers."""
        if not self.term.covers(period.covered):
            return []
        return self._to_contacts(
            self.departments.overdue(period.key),
            key,
            "report_reminder",
            today,
            self._ack_button(period),
            due=period.due,
            covers=period.covers,
            basis=self.term.basis_for(period.covered),
        )

    def _overdue(self, today: date) -> list[Outgoing]:
        period = Period(date(today.year, today.month, self.schedule.due_day))
        if period.due > today or overdue_day(period, self.calendar) != today:
            return []
        if not self.term.covers(period.covered):
            return []
        ignored, unbound = self.departments.split_overdue(period.key)
        late = ignored + unbound
        names = self.departments.names
        admin_text = self._render(
            "report_overdue_admin",
            today,
            ignored=[names[d] for d in ignored],
            unbound=[names[d] for d in unbound],
            due=period.due,
            covers=period.covers,
        )
        messages = [Outgoing(f"overdue:{period.key}", admin, admin_text) for admin in self.admins]
        return messages + self._to_contacts(
            late,
            f"followup:{period.key}",
            "report_followup",
            today,
            self._ack_button(period),
            due=period.due,
            covers=period.covers,
            basis=self.term.basis_for(period.covered),
        )

    def _yearly(self, today: date) -> list[Outgoing]:
        """The year-end report (六(一)) and the start-of-year plan (六(二)), each in a year
        its duty covers (its December, its January)."""
        everyone = list(self.departments.names)
        december, january = date(today.year, 12, 1), date(today.year, 1, 1)
        if today == year_end_day(today.year, self.calendar):
            if not self.term.covers(december):
                return []
            key, template, basis = f"yearend:{today.year}", "year_end", december
        elif today == start_of_year_day(today.year, self.calendar):
            if not self.term.covers(january):
                return []
            key, template, basis = f"plan:{today.year}", "start_of_year", january
        else:
            return []
        return self._to_contacts(
            everyone, key, template, today, year=today.year, basis=self.term.basis_for(basis)
        )

    def _calendar_notice(self, today: date) -> list[Outgoing]:
        # Reminders look up to a month ahead: check this year and the next month's year.
        years = {today.year, period_for(today, self.schedule).due.year}
        messages = []
        for year in sorted(y for y in years if not self.calendar.covers(y)):
            text = self._render("calendar_missing", today, year=year)
            messages += [Outgoing(f"calendar-missing:{year}", a, text) for a in self.admins]
        return messages
