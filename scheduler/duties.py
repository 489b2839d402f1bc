"""The departments' dates (六(一), 六(二)): what the daily 09:00 job puts in the outbox.

Every message key names its period and day, so running the job twice (or after a restart)
enqueues nothing new."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.dialogue.types import Button
from bot.render import Renderer
from scheduler.calendar import WorkCalendar
from scheduler.departments import Departments
from scheduler.outbox import Outgoing
from scheduler.reporting import TZ, Period, ReportSchedule, overdue_day, period_for, reminder_days

ACK_PREFIX = "r:"  # r:<period key> is the "已报送" button


@dataclass
class Duties:
    departments: Departments
    calendar: WorkCalendar
    schedule: ReportSchedule
    renderer: Renderer
    admins: frozenset[int]

    def due_messages(self, now: datetime) -> list[Outgoing]:
        local = now.astimezone(TZ)
        today = local.date()
        if local.time() < self.schedule.send_at:
            return []
        messages: list[Outgoing] = []
        messages += self._monthly_reminders(today)
        messages += self._overdue(today)
        messages += self._yearly(today)
        messages += self._calendar_notice(today)
        return messages

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
        if today not in reminder_days(period, self.calendar, self.schedule):
            return []
        return self.reminders_for(period, f"report:{period.key}:{today.isoformat()}", today)

    def reminders_for(self, period: Period, key: str, today: date | None = None) -> list[Outgoing]:
        """The report reminder for every contact of a department that has not reported."""
        return self._to_contacts(
            self.departments.overdue(period.key),
            key,
            "report_reminder",
            today or date.today(),
            self._ack_button(period),
            due=period.due,
            covers=period.covers,
        )

    def _overdue(self, today: date) -> list[Outgoing]:
        period = Period(date(today.year, today.month, self.schedule.due_day))
        if period.due > today or overdue_day(period, self.calendar) != today:
            return []
        late = self.departments.overdue(period.key)
        names = [self.departments.names[d] for d in late]
        admin_text = self._render(
            "report_overdue_admin", today, names=names, due=period.due, covers=period.covers
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
        )

    def _yearly(self, today: date) -> list[Outgoing]:
        everyone = list(self.departments.names)
        if today == self._first_working_day_from(date(today.year, 12, 15)):
            return self._to_contacts(
                everyone, f"yearend:{today.year}", "year_end", today, year=today.year
            )
        if today == self._first_working_day_from(date(today.year, 1, 1)):
            return self._to_contacts(
                everyone, f"plan:{today.year}", "start_of_year", today, year=today.year
            )
        return []

    def _first_working_day_from(self, day: date) -> date:
        return day if self.calendar.is_workday(day) else self.calendar.first_working_day_after(day)

    def _calendar_notice(self, today: date) -> list[Outgoing]:
        # Reminders look up to a month ahead: check this year and the next month's year.
        years = {today.year, period_for(today, self.schedule).due.year}
        messages = []
        for year in sorted(y for y in years if not self.calendar.covers(y)):
            text = self._render("calendar_missing", today, year=year)
            messages += [Outgoing(f"calendar-missing:{year}", a, text) for a in self.admins]
        return messages
