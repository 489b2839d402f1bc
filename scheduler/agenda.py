"""The departments' dates for a year (六(一), 六(二)): each monthly report's reminders, due
date and overdue follow-up, the year-end report and the start-of-year plan, by China's
working-day calendar and within the duties' term.

The same rules as the daily job (scheduler.duties), so a contact's calendar shows exactly
the days the bot writes on. `python -m bot schedule`, `/schedule` and the .ics file read this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from bot.config import Settings
from bot.policy_pack import Plan
from scheduler.calendar import WorkCalendar, load_calendar
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


@dataclass(frozen=True)
class DutyRules:
    """What decides the departments' dates: the working-day calendar, the monthly report's
    schedule and the duties' term (the plan's, or the operator's in config.yml)."""

    calendar: WorkCalendar
    schedule: ReportSchedule
    term: DutyTerm

    @classmethod
    def from_settings(cls, settings: Settings, plan: Plan) -> DutyRules:
        config = settings.scheduler
        hour, minute = (int(x) for x in config.send_at.split(":"))
        return cls(
            load_calendar(settings.paths.policy / "calendar.yml"),
            ReportSchedule(
                config.report_lead_working_days, time(hour, minute), config.report_due_day
            ),
            DutyTerm(
                plan.end,
                config.duties_until,
                config.duties_from,
                config.duties_basis,
                plan_start=plan.issued or plan.first_day,
            ),
        )


class DutyKind(StrEnum):
    REMINDER = "reminder"  # the bot reminds the contacts of the coming report
    DUE = "due"  # the report is due (六(一): the 1st of each month)
    FOLLOWUP = "followup"  # the bot follows up an unacknowledged report; the admins get the list
    YEAR_END = "year_end"  # the year-end report (六(一))
    START_OF_YEAR = "start_of_year"  # the start-of-year training plan (六(二))


@dataclass(frozen=True)
class DutyDate:
    day: date
    kind: DutyKind
    period: Period | None = None  # the monthly report concerned
    year: int | None = None  # the year a yearly duty concerns
    basis: str | None = None  # the operator's legal basis; None: the plan

    @property
    def key(self) -> str:
        """Stable per duty and day (an .ics UID): re-importing updates, never duplicates."""
        about = self.period.key if self.period is not None else str(self.year)
        return f"{self.kind}-{about}-{self.day.isoformat()}"


@dataclass(frozen=True)
class ReportDates:
    """One monthly report's dates, for a line per report."""

    period: Period
    reminders: tuple[date, ...]
    followup: date | None
    basis: str | None


@dataclass(frozen=True)
class Agenda:
    year: int
    dates: tuple[DutyDate, ...]  # in order of day
    last_day: date  # the last duty of the term
    first_day: date | None  # the first covered day (the plan's, or a replacement's)
    estimated: bool  # the official calendar of the year is unknown: Monday—Friday
    basis: str | None  # the operator's basis for the term's last duties; None: the plan
    last_report: Period  # the term's last monthly report
    send_at: time  # when the bot writes on these days

    @property
    def ended(self) -> bool:
        """The duties ended before this year."""
        return self.year > self.last_day.year

    @property
    def ends_this_year(self) -> bool:
        return self.year == self.last_day.year

    @property
    def not_started(self) -> bool:
        return self.first_day is not None and self.year < self.first_day.year

    @property
    def bases(self) -> list[str | None]:
        """The legal bases of this year's dates, in order (None: the plan)."""
        return list(dict.fromkeys(d.basis for d in self.dates))

    def reports(self) -> list[ReportDates]:
        return reports_of(self.dates)

    def yearly(self) -> list[DutyDate]:
        return [d for d in self.dates if d.period is None]


def agenda(year: int, rules: DutyRules) -> Agenda:
    """Every department date falling in `year`."""
    calendar, schedule, term = rules.calendar, rules.schedule, rules.term
    found: list[DutyDate] = []
    # A report due in December of the year before may be followed up in January; one due
    # early next year is reminded in December. A month either side more is cheap and safe.
    for due in _due_dates(date(year - 1, 12, 1), date(year + 1, 2, 1), schedule.due_day):
        period = Period(due)
        if not term.covers(period.covered):
            continue
        basis = term.basis_for(period.covered)
        found += [
            DutyDate(day, DutyKind.REMINDER, period, basis=basis)
            for day in reminder_days(period, calendar, schedule)
        ]
        found.append(DutyDate(due, DutyKind.DUE, period, basis=basis))
        found.append(
            DutyDate(overdue_day(period, calendar), DutyKind.FOLLOWUP, period, basis=basis)
        )
    december, january = date(year, 12, 1), date(year, 1, 1)
    if term.covers(january):
        day = start_of_year_day(year, calendar)
        found.append(
            DutyDate(day, DutyKind.START_OF_YEAR, year=year, basis=term.basis_for(january))
        )
    if term.covers(december):
        day = year_end_day(year, calendar)
        found.append(DutyDate(day, DutyKind.YEAR_END, year=year, basis=term.basis_for(december)))
    in_year = sorted(
        (d for d in found if d.day.year == year),
        key=lambda d: (d.day, list(DutyKind).index(d.kind)),
    )
    return Agenda(
        year,
        tuple(in_year),
        last_duty_day(term, schedule, calendar),
        term.first_day,
        not calendar.covers(year),
        term.basis_for(term.last_day),
        term.last_period(schedule),
        schedule.send_at,
    )


def upcoming(
    today: date, rules: DutyRules, reports: int
) -> tuple[list[ReportDates], list[DutyDate]]:
    """The next `reports` monthly reports with any date from today on, and the yearly duties
    up to the last of those reports' dates."""
    dates = [
        d
        for year in (today.year, today.year + 1)
        for d in agenda(year, rules).dates
        if d.day >= today
    ]
    coming = reports_of(dates)[:reports]
    horizon = max((r.followup or r.period.due for r in coming), default=today)
    yearly = [d for d in dates if d.period is None and d.day <= horizon]
    return coming, yearly


def asked_period(today: date, rules: DutyRules) -> Period | None:
    """The monthly report the bot is asking departments about today: the coming one from
    its first reminder day on, before that the last one due (its follow-up is still to
    come). None when no duty covers it (the duties ended, or not begun). "/reported" and
    "我们这个月已经报了" acknowledge this one, never another."""
    coming = period_for(today, rules.schedule)
    if today >= reminder_days(coming, rules.calendar, rules.schedule)[0]:
        chosen = coming
    else:
        covered = coming.covered  # the last one due is the one due on the 1st of that month
        chosen = Period(date(covered.year, covered.month, rules.schedule.due_day))
    return chosen if rules.term.covers(chosen.covered) else None


def next_reminder(today: date, rules: DutyRules) -> tuple[date, Period] | None:
    """The first report reminder after today, and its report."""
    reports, _ = upcoming(today + timedelta(days=1), rules, 2)
    found = [(day, r.period) for r in reports for day in r.reminders if day > today]
    return min(found, default=None, key=lambda item: item[0])


def reports_of(dates: tuple[DutyDate, ...] | list[DutyDate]) -> list[ReportDates]:
    by_period: dict[Period, list[DutyDate]] = {}
    for d in dates:
        if d.period is not None:
            by_period.setdefault(d.period, []).append(d)
    return [
        ReportDates(
            period,
            tuple(d.day for d in items if d.kind is DutyKind.REMINDER),
            next((d.day for d in items if d.kind is DutyKind.FOLLOWUP), None),
            items[0].basis,
        )
        for period, items in sorted(by_period.items(), key=lambda item: item[0].due)
    ]


def _due_dates(first: date, last: date, due_day: int) -> list[date]:
    dues, year, month = [], first.year, first.month
    while date(year, month, due_day) <= last:
        dues.append(date(year, month, due_day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dues
