"""When the departments' monthly report reminders go out (六(一): report to 市人力社保局
by the 1st of each month), and when a report counts as overdue. Pure date arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from scheduler.calendar import WorkCalendar


@dataclass(frozen=True)
class ReportSchedule:
    lead_working_days: int = 3  # first reminder: this many working days before the due date
    send_at: time = time(9, 0)
    due_day: int = 1


@dataclass(frozen=True)
class Period:
    """The report due on `due` covers the month before it."""

    due: date

    @property
    def key(self) -> str:  # "2020-10": the report due on 2020-10-01
        return f"{self.due.year}-{self.due.month:02d}"

    @property
    def covers(self) -> str:  # the month being reported, "2020年9月"
        return f"{self.covered.year}年{self.covered.month}月"

    @property
    def covered(self) -> date:  # the first day of the month being reported
        month = self.due.month - 1 or 12
        year = self.due.year if self.due.month > 1 else self.due.year - 1
        return date(year, month, 1)


@dataclass(frozen=True)
class DutyTerm:
    """Which months and years the departments' duties cover, and the legal basis cited.

    The duties belong to the plan (六(一), 六(二)) and end with it: the last monthly report
    covers the plan's last month (due on the 1st after it), the last year-end report and
    start-of-year plan are for its last year. An operator may extend them (`until`) or
    replace them (`start` and `until`) under its own legal basis, which the reminders then
    cite for the months and years past the plan (all of them, for a replacement)."""

    plan_end: date
    until: date | None = None  # the operator's last covered day; None: the plan's end
    start: date | None = None  # the operator's first covered day (a replacement schedule)
    basis: str | None = None  # the operator's legal basis
    plan_start: date | None = None  # the plan's first day: no duty before it

    @property
    def first_day(self) -> date | None:
        return self.start or self.plan_start

    @property
    def last_day(self) -> date:
        return self.until or self.plan_end

    def covers(self, day: date) -> bool:
        """A duty for the month (or year) starting on `day` is due."""
        first = self.first_day
        return (first is None or day >= first) and day <= self.last_day

    def basis_for(self, day: date) -> str | None:
        """The operator's basis, or None: the plan itself is cited."""
        if self.basis is None or (self.start is None and day <= self.plan_end):
            return None
        return self.basis

    def last_period(self, schedule: ReportSchedule) -> Period:
        """The last monthly report: the one covering the last covered month."""
        year, month = self.last_day.year, self.last_day.month
        return period_for(date(year + (month == 12), month % 12 + 1, 1), schedule)


def period_for(day: date, schedule: ReportSchedule) -> Period:
    """The next report due on or after `day`."""
    due = date(day.year, day.month, schedule.due_day)
    if due < day:
        due = date(day.year + (day.month == 12), day.month % 12 + 1, schedule.due_day)
    return Period(due)


def reminder_days(period: Period, calendar: WorkCalendar, schedule: ReportSchedule) -> list[date]:
    """Working days for the reminders: N working days before the due date, and the last
    working day before it (the two coincide when N is 1), earliest first."""
    before = calendar.working_days_before(period.due, schedule.lead_working_days)
    return sorted({before[-1], before[0]})


def overdue_day(period: Period, calendar: WorkCalendar) -> date:
    """The first working day after the due date: unacknowledged reports are overdue then.
    When the 1st itself is a working day and the report is not in, the next working day."""
    return calendar.first_working_day_after(period.due)


def first_working_day_from(day: date, calendar: WorkCalendar) -> date:
    return day if calendar.is_workday(day) else calendar.first_working_day_after(day)


def year_end_day(year: int, calendar: WorkCalendar) -> date:
    """The year-end report's reminder (六(一)): the first working day from 15 December."""
    return first_working_day_from(date(year, 12, 15), calendar)


def start_of_year_day(year: int, calendar: WorkCalendar) -> date:
    """The start-of-year training plan's reminder (六(二)): the first working day of January."""
    return first_working_day_from(date(year, 1, 1), calendar)


def last_duty_day(term: DutyTerm, schedule: ReportSchedule, calendar: WorkCalendar) -> date:
    """The day of the last duty: the last monthly report's overdue follow-up, or the last
    year-end report when that comes later."""
    last = overdue_day(term.last_period(schedule), calendar)
    year = term.last_day.year
    if term.covers(date(year, 12, 1)):
        last = max(last, year_end_day(year, calendar))
    return last
