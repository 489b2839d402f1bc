"""Clock-free rules of the monthly report reminders (六(一)) on China's working calendar."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar import WorkCalendar, YearOverride, load_calendar
from scheduler.reporting import Period, ReportSchedule, overdue_day, period_for, reminder_days

SCHEDULE = ReportSchedule()


def test_national_day_2020_shifts_reminders_and_overdue():
    # 2020-10-01 fell inside the National Day holiday (1—8 October); Sunday 2020-09-27 and
    # Saturday 2020-10-10 were working days.
    calendar = WorkCalendar()
    period = Period(date(2020, 10, 1))
    assert calendar.is_workday(date(2020, 9, 27)) and not calendar.is_workday(date(2020, 10, 1))
    # 3 working days before 10-01: 09-30 (Wed), 09-29 (Tue), 09-28 (Mon).
    assert reminder_days(period, calendar, SCHEDULE) == [date(2020, 9, 28), date(2020, 9, 30)]
    assert overdue_day(period, calendar) == date(2020, 10, 9)


def test_adjusted_sunday_counts_as_a_working_day():
    calendar = WorkCalendar()
    schedule = ReportSchedule(lead_working_days=4)
    days = reminder_days(Period(date(2020, 10, 1)), calendar, schedule)
    assert days == [date(2020, 9, 27), date(2020, 9, 30)]  # Sunday 27th was a working day


def test_dragon_boat_holiday_month():
    # 2020-06-25..27 was the Dragon Boat holiday and Sunday 06-28 a working day.
    calendar = WorkCalendar()
    period = Period(date(2020, 7, 1))  # a Wednesday and a working day
    assert reminder_days(period, calendar, SCHEDULE) == [date(2020, 6, 28), date(2020, 6, 30)]
    assert overdue_day(period, calendar) == date(2020, 7, 2)


def test_ordinary_month():
    calendar = WorkCalendar()
    period = Period(date(2020, 12, 1))  # a Tuesday
    assert reminder_days(period, calendar, SCHEDULE) == [date(2020, 11, 26), date(2020, 11, 30)]
    assert overdue_day(period, calendar) == date(2020, 12, 2)


def test_year_missing_from_the_calendar_falls_back_to_weekdays_and_is_noted():
    calendar = WorkCalendar()
    assert not calendar.covers(2027)
    assert calendar.is_workday(date(2027, 1, 1))  # a Friday; really a holiday, but unknown yet
    assert not calendar.is_workday(date(2027, 1, 2))  # Saturday
    assert calendar.fallback_years == {2027}


def test_operator_file_adds_a_missing_year(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text("years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-01-02]\n")
    calendar = load_calendar(path)
    assert calendar.covers(2027)
    assert not calendar.is_workday(date(2027, 1, 1)) and calendar.is_workday(date(2027, 1, 2))
    assert calendar.fallback_years == set()


def test_shipped_calendar_file_loads(tmp_path):
    from tests.conftest import ROOT

    assert isinstance(load_calendar(ROOT / "policy/calendar.yml"), WorkCalendar)
    assert load_calendar(tmp_path / "absent.yml").overrides == {}
    assert WorkCalendar({2027: YearOverride(frozenset(), frozenset())}).covers(2027)


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2020, 9, 15), date(2020, 10, 1)),
        (date(2020, 10, 1), date(2020, 10, 1)),
        (date(2020, 10, 2), date(2020, 11, 1)),
        (date(2020, 12, 20), date(2021, 1, 1)),
    ],
)
def test_period_for(day: date, due: date):
    assert period_for(day, SCHEDULE).due == due


def test_period_names():
    assert Period(date(2021, 1, 1)).key == "2021-01"
    assert Period(date(2021, 1, 1)).covers == "2020年12月"
