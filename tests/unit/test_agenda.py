"""The departments' dates of a year (scheduler/agenda.py): China's working-day calendar, the
same days the daily job writes on, the end of the duties with the plan (or an operator's
extension), the report a contact's "已报送" is for, and the .ics file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from bot.clock import Clock
from bot.render import Renderer
from scheduler.agenda import DutyKind, DutyRules, agenda, asked_period, next_reminder, upcoming
from scheduler.calendar import WorkCalendar
from scheduler.departments import Departments
from scheduler.duties import Duties
from scheduler.ics import agenda_ics
from scheduler.reporting import DutyTerm, Period, ReportSchedule
from tests.conftest import TZ

PLAN_END = date(2021, 12, 31)
PLAN_START = date(2019, 1, 1)
STAMP = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
ON_THE_26TH = Clock.fixed(STAMP, TZ.key)  # 10:00 in Shanghai
BASIS = "《关于继续做好职业技能培训数据报送的通知》（X人社发〔2022〕1号）"


def rules(term: DutyTerm | None = None) -> DutyRules:
    return DutyRules(
        WorkCalendar(), ReportSchedule(), term or DutyTerm(PLAN_END, plan_start=PLAN_START)
    )


def days(year: int, kind: DutyKind, term: DutyTerm | None = None) -> list[date]:
    return [d.day for d in agenda(year, rules(term)).dates if d.kind is kind]


def test_national_day_2020_and_the_yearly_duties():
    dates = agenda(2020, rules())
    september = [d for d in dates.dates if d.period == Period(date(2020, 10, 1))]
    assert [(d.day, d.kind) for d in september] == [
        (date(2020, 9, 28), DutyKind.REMINDER),
        (date(2020, 9, 30), DutyKind.REMINDER),
        (date(2020, 10, 1), DutyKind.DUE),
        (date(2020, 10, 9), DutyKind.FOLLOWUP),  # after the National Day holiday
    ]
    assert days(2020, DutyKind.START_OF_YEAR) == [date(2020, 1, 2)]  # 1 January is a holiday
    assert days(2020, DutyKind.YEAR_END) == [date(2020, 12, 15)]
    assert len(days(2020, DutyKind.DUE)) == 12 and not dates.estimated
    # Every reminder and follow-up falls on an official working day.
    calendar = WorkCalendar()
    for d in dates.dates:
        if d.kind is not DutyKind.DUE:
            assert calendar.is_workday(d.day), d
    # Adjusted working weekends count: 2020-09-27 (a Sunday) was a working day.
    assert calendar.is_workday(date(2020, 9, 27))
    assert [d.day for d in dates.dates] == sorted(d.day for d in dates.dates)


def test_dates_are_the_days_the_daily_job_writes_on(sessions, renderer: Renderer):
    """Run the real job on every day from 2020-12 to 2022-02: its messages fall exactly on
    the agenda's reminder, follow-up and yearly dates, and on no other day."""
    names = {"jingxin": "经信", "jiaoyu": "教育"}
    departments = Departments(sessions, names)
    for chat, department in [(101, "jingxin"), (102, "jiaoyu")]:
        departments.bind(chat, departments.new_code(department, 1), "联系人")
    term = DutyTerm(PLAN_END, plan_start=PLAN_START)
    duties = Duties(
        departments, WorkCalendar(), ReportSchedule(), renderer, frozenset({9001}), term, TZ
    )
    kinds = {
        "report": DutyKind.REMINDER,
        "followup": DutyKind.FOLLOWUP,
        "yearend": DutyKind.YEAR_END,
        "plan": DutyKind.START_OF_YEAR,
    }
    sent: set[tuple[date, DutyKind]] = set()
    day = date(2020, 12, 1)
    while day <= date(2022, 2, 28):
        moment = datetime.combine(day, time(9, 0), tzinfo=TZ)
        for message in duties.due_messages(moment):
            kind = kinds.get(message.message_key.split(":")[0])
            if kind is not None:
                sent.add((day, kind))
        day += timedelta(days=1)
    planned = {
        (d.day, d.kind)
        for year in (2020, 2021, 2022)
        for d in agenda(year, rules(term)).dates
        if d.kind is not DutyKind.DUE and date(2020, 12, 1) <= d.day <= date(2022, 2, 28)
    }
    assert sent == planned
    assert (date(2022, 1, 4), DutyKind.FOLLOWUP) in sent  # the last duty of the plan


def test_the_duties_end_with_the_plan():
    last_year = agenda(2022, rules())
    assert [(d.day, d.kind) for d in last_year.dates] == [
        (date(2022, 1, 1), DutyKind.DUE),  # the report covering December 2021
        (date(2022, 1, 4), DutyKind.FOLLOWUP),
    ]
    assert last_year.ends_this_year and not last_year.ended
    after = agenda(2023, rules())
    assert after.dates == () and after.ended and after.last_day == date(2022, 1, 4)
    before = agenda(2018, rules())
    assert before.dates == () and before.not_started


def test_an_operator_extension_and_a_replacement_cite_their_basis():
    extended = DutyTerm(PLAN_END, date(2023, 12, 31), None, BASIS, plan_start=PLAN_START)
    dates = agenda(2022, rules(extended))
    january = [d for d in dates.dates if d.period == Period(date(2022, 1, 1))]
    assert january and all(d.basis is None for d in january)  # December 2021: the plan
    assert all(d.basis == BASIS for d in dates.dates if d.day >= date(2022, 1, 10))
    assert dates.bases == [None, BASIS]
    assert days(2022, DutyKind.YEAR_END, extended) == [date(2022, 12, 15)]
    assert agenda(2024, rules(extended)).last_day == date(2024, 1, 2)

    replaced = DutyTerm(PLAN_END, date(2023, 12, 31), date(2023, 1, 1), BASIS)
    assert agenda(2022, rules(replaced)).dates == ()
    assert agenda(2022, rules(replaced)).not_started
    assert days(2023, DutyKind.START_OF_YEAR, replaced) == [date(2023, 1, 3)]


def test_a_year_the_calendar_does_not_know_is_flagged():
    extended = DutyTerm(PLAN_END, date(2099, 12, 31), None, BASIS)
    assert agenda(2027, rules(extended)).estimated
    assert not agenda(2026, rules(extended)).estimated


@pytest.mark.parametrize(
    ("today", "due"),
    [
        ("2020-09-25", date(2020, 9, 1)),  # before the first reminder: the last one due
        ("2020-09-28", date(2020, 10, 1)),  # from the first reminder on: the coming one
        ("2020-10-01", date(2020, 10, 1)),
        ("2020-10-12", date(2020, 10, 1)),  # after the follow-up, still that one
        ("2020-10-28", date(2020, 11, 1)),
        ("2022-01-20", date(2022, 1, 1)),  # the plan's last report
    ],
)
def test_the_report_a_contact_acknowledges(today: str, due: date):
    assert asked_period(date.fromisoformat(today), rules()) == Period(due)


def test_no_report_to_acknowledge_outside_the_duties():
    assert asked_period(date(2022, 1, 28), rules()) is None  # the February 2022 report
    assert asked_period(date(2022, 2, 10), rules()) is None
    assert asked_period(date(2026, 11, 26), rules()) is None
    assert next_reminder(date(2026, 11, 26), rules()) is None
    assert next_reminder(date(2020, 9, 28), rules()) == (
        date(2020, 9, 30),
        Period(date(2020, 10, 1)),
    )


def test_the_coming_reports_span_the_new_year():
    extended = DutyTerm(PLAN_END, date(2099, 12, 31), None, BASIS)
    reports, yearly = upcoming(date(2026, 12, 10), rules(extended), 2)
    assert [r.period.due for r in reports] == [date(2027, 1, 1), date(2027, 2, 1)]
    assert reports[0].reminders == (date(2026, 12, 29), date(2026, 12, 31))
    assert [(d.kind, d.year) for d in yearly] == [
        (DutyKind.YEAR_END, 2026),
        (DutyKind.START_OF_YEAR, 2027),
    ]
    assert upcoming(date(2026, 12, 10), rules(), 2) == ([], [])


def test_the_ics_file_parses_with_stable_uids(renderer: Renderer):
    dates = agenda(2020, rules())
    first = agenda_ics(dates, renderer, ON_THE_26TH)
    second = agenda_ics(dates, renderer, ON_THE_26TH)
    events = Calendar.from_ical(first).walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [d.day for d in dates.dates]
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(days=1) for e in events)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids) == 50
    assert uids == [str(e["UID"]) for e in Calendar.from_ical(second).walk("VEVENT")]
    national_day = next(e for e in events if e.decoded("DTSTART") == date(2020, 10, 9))
    assert str(national_day["SUMMARY"]) == "逾期跟进：2020年9月月报未确认的部门"
    reminder = next(e for e in events if e.decoded("DTSTART") == date(2020, 9, 28))
    assert "10月1日" in str(reminder["SUMMARY"]) and "/reported" in str(reminder["DESCRIPTION"])
    assert "&lt;" not in first.decode() and "<b>" not in first.decode()  # plain text
    # Stamped and named by the clock handed in, not the host's.
    assert Calendar.from_ical(first)["X-WR-TIMEZONE"] == TZ.key
    assert {e.decoded("DTSTAMP") for e in events} == {STAMP}
    with pytest.raises(ValueError):
        agenda_ics(agenda(2023, rules()), renderer, ON_THE_26TH)
