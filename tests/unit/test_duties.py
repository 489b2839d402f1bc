"""Clock-controlled department duties on SQLite: reminders on working days, the 2020
National Day holiday, acknowledgements stop reminders, the overdue list, yearly duties,
a year missing from the calendar, and idempotent re-runs through the outbox."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest

from bot.render import Renderer
from scheduler.calendar import WorkCalendar
from scheduler.departments import Departments
from scheduler.duties import Duties
from scheduler.outbox import Outbox
from scheduler.reporting import TZ, ReportSchedule

NAMES = {"jingxin": "经信", "jiaoyu": "教育", "canlian": "残联"}
ADMIN = 9001


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=TZ)


@pytest.fixture()
def departments(sessions) -> Departments:
    departments = Departments(sessions, NAMES)
    for chat, department in [(101, "jingxin"), (102, "jiaoyu"), (103, "canlian")]:
        assert departments.bind(chat, departments.new_code(department, ADMIN), "联系人")
    return departments


@pytest.fixture()
def duties(departments: Departments, renderer: Renderer) -> Duties:
    return Duties(departments, WorkCalendar(), ReportSchedule(), renderer, frozenset({ADMIN}))


def keys(messages) -> set[tuple[str, int]]:
    return {(m.message_key, m.chat_id) for m in messages}


def test_no_reminder_on_non_reminder_days_or_before_nine(duties: Duties):
    assert duties.due_messages(at("2020-09-29")) == []  # between the two reminder days
    assert duties.due_messages(at("2020-09-28", 8, 59)) == []


def test_national_day_2020_reminders_and_overdue(duties: Duties, departments: Departments):
    first = duties.due_messages(at("2020-09-28"))
    assert keys(first) == {("report:2020-10:2020-09-28", c) for c in (101, 102, 103)}
    assert all(m.buttons[0][0].data == "r:2020-10" for m in first)
    assert "10月1日" in first[0].text and "2020年9月" in first[0].text
    # 教育 acknowledges: it gets no more reminders for that month.
    assert departments.acknowledge("2020-10", "jiaoyu", 102)
    assert not departments.acknowledge("2020-10", "jiaoyu", 102)  # once only
    last = duties.due_messages(at("2020-09-30"))
    assert keys(last) == {("report:2020-10:2020-09-30", c) for c in (101, 103)}
    # The 1st fell in the holiday: the overdue list comes on the first working day after.
    assert duties.due_messages(at("2020-10-01")) == []
    assert duties.due_messages(at("2020-10-08")) == []
    overdue = duties.due_messages(at("2020-10-09"))
    admin = [m for m in overdue if m.chat_id == ADMIN]
    assert len(admin) == 1 and "经信" in admin[0].text and "残联" in admin[0].text
    assert "教育" not in admin[0].text
    assert keys(m for m in overdue if m.chat_id != ADMIN) == {
        ("followup:2020-10", 101),
        ("followup:2020-10", 103),
    }
    # 经信 reports late: the admin's list for the period changes.
    departments.acknowledge("2020-10", "jingxin", 101)
    assert departments.overdue("2020-10") == ["canlian"]


def test_rerun_enqueues_nothing_new(duties: Duties, sessions):
    outbox = Outbox(sessions)
    assert outbox.enqueue(duties.due_messages(at("2020-09-28"))) == 3
    assert outbox.enqueue(duties.due_messages(at("2020-09-28", 15))) == 0


def test_year_end_and_start_of_year_duties(duties: Duties):
    year_end = duties.due_messages(at("2020-12-15"))  # a Tuesday
    assert {m.message_key for m in year_end} >= {"yearend:2020"}
    assert "市财政局" in next(m for m in year_end if m.message_key == "yearend:2020").text
    # 2021-01-01 was a holiday: the plan reminder comes on Monday 2021-01-04.
    assert not [m for m in duties.due_messages(at("2021-01-01")) if m.message_key == "plan:2021"]
    plan = [m for m in duties.due_messages(at("2021-01-04")) if m.message_key == "plan:2021"]
    assert len(plan) == 3 and "培训计划" in plan[0].text


def test_missing_calendar_year_falls_back_and_tells_admins_once(duties: Duties, sessions):
    messages = duties.due_messages(at("2026-12-28"))  # reminders for 2027-01-01 look into 2027
    notices = [m for m in messages if m.message_key == "calendar-missing:2027"]
    assert [m.chat_id for m in notices] == [ADMIN] and "policy/calendar.yml" in notices[0].text
    outbox = Outbox(sessions)
    assert outbox.enqueue(notices) == 1
    assert outbox.enqueue(duties.due_messages(at("2026-12-29"))) >= 0
    assert outbox.counts("calendar-missing:2027") == {"pending": 1}


def test_compliance_csv(departments: Departments):
    departments.acknowledge("2020-10", "jiaoyu", 102, at("2020-09-29", 10))
    out = io.StringIO()
    departments.write_compliance_csv(["2020-10"], out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("period,department")
    assert "2020-10,jiaoyu,教育,yes,2020-09-29T" in out.getvalue()
    assert "2020-10,jingxin,经信,no" in out.getvalue()


def test_bind_codes_are_one_time(departments: Departments):
    code = departments.new_code("canlian", ADMIN)
    assert departments.bind(200, code.lower(), "小李") == "canlian"
    assert departments.bind(201, code, "小张") is None
    assert departments.bind(202, "NOPE1234", "x") is None
    with pytest.raises(KeyError):
        departments.new_code("nosuch", ADMIN)
