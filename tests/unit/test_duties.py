"""Clock-controlled department duties on SQLite: reminders on working days, the 2020
National Day holiday, acknowledgements stop reminders, the overdue list, yearly duties,
the end of the duties with the plan (and an operator's extension or replacement under its
own legal basis), a year missing from the calendar, and idempotent re-runs."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest

from bot.render import Renderer
from bot.spreadsheet import safe_cell
from scheduler.calendar import WorkCalendar
from scheduler.departments import (
    Departments,
    load_compliance_labels,
    write_compliance_csv,
)
from scheduler.duties import Duties
from scheduler.outbox import Outbox
from scheduler.reporting import DutyTerm, Period, ReportSchedule
from tests.conftest import ROOT, TODAY, TZ

NAMES = {"jingxin": "经信", "jiaoyu": "教育", "canlian": "残联"}
ADMIN = 9001
PLAN_END = date(2021, 12, 31)
BASIS = "《关于继续做好职业技能培训数据报送的通知》（X人社发〔2022〕1号）"


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=TZ)


@pytest.fixture()
def departments(sessions) -> Departments:
    departments = Departments(sessions, NAMES)
    for chat, department in [(101, "jingxin"), (102, "jiaoyu"), (103, "canlian")]:
        assert departments.bind(chat, departments.new_code(department, ADMIN), "联系人")
    return departments


def make_duties(departments: Departments, renderer: Renderer, term: DutyTerm) -> Duties:
    return Duties(
        departments, WorkCalendar(), ReportSchedule(), renderer, frozenset({ADMIN}), term, TZ
    )


@pytest.fixture()
def duties(departments: Departments, renderer: Renderer) -> Duties:
    return make_duties(departments, renderer, DutyTerm(PLAN_END))


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


def test_missing_calendar_year_falls_back_and_tells_admins_once(
    departments: Departments, renderer: Renderer, sessions
):
    # Duties extended by the operator into 2027: reminders for 2027-01-01 look into 2027.
    duties = make_duties(departments, renderer, DutyTerm(PLAN_END, date(2027, 12, 31), None, BASIS))
    messages = duties.due_messages(at("2026-12-28"))
    notices = [m for m in messages if m.message_key == "calendar-missing:2027"]
    assert [m.chat_id for m in notices] == [ADMIN] and "policy/calendar.yml" in notices[0].text
    outbox = Outbox(sessions)
    assert outbox.enqueue(notices) == 1
    assert outbox.enqueue(duties.due_messages(at("2026-12-29"))) >= 0
    assert outbox.counts("calendar-missing:2027") == {"pending": 1}


def test_compliance_csv_in_chinese_names_the_month_covered(departments: Departments):
    departments.acknowledge("2020-10", "jiaoyu", 102, at("2020-09-29", 10))
    out = io.StringIO()
    rows = departments.compliance([Period(date(2020, 10, 1)), Period(date(2020, 9, 1))])
    write_compliance_csv(rows, load_compliance_labels(ROOT / "responses"), out, TZ)
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == ["所属月份", "应报日期", "部门", "状态", "确认时间", "确认人", "当前联系人"]
    by_key = {(r[0], r[2]): r for r in table[1:]}
    assert len(table) == 1 + 2 * len(NAMES)
    # The month covered, as the reminders say it; the time in Asia/Shanghai.
    assert by_key[("2020年9月月报", "教育")] == [
        "2020年9月月报",
        "2020-10-01",
        "教育",
        "已确认",
        "2020-09-29 10:00",
        "联系人（102）",
        "联系人",
    ]
    assert by_key[("2020年9月月报", "经信")][3:6] == ["未确认", "", ""]
    assert by_key[("2020年8月月报", "教育")][3] == "未确认"


def test_compliance_csv_neutralises_formula_cells(sessions):
    names = {"evil": '=HYPERLINK("http://x","点我")', "plus": "+1", "ok": "经信"}
    departments = Departments(sessions, names)
    departments.bind(301, departments.new_code("evil", ADMIN), "@SUM(A1:A9)")
    departments.bind(302, departments.new_code("plus", ADMIN), "-2+3")
    departments.acknowledge("2020-10", "evil", 301, at("2020-09-29", 10))
    out = io.StringIO()
    rows = departments.compliance([Period(date(2020, 10, 1))])
    write_compliance_csv(rows, load_compliance_labels(ROOT / "responses"), out, TZ)
    table = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    cells = [cell for row in table for cell in row if cell]
    assert not [c for c in cells if c[0] in "=+-@"], cells
    evil = next(r for r in table if "HYPERLINK" in r[2])
    assert evil[2] == "'" + names["evil"]
    assert evil[5] == "'@SUM(A1:A9)（301）" and evil[6] == "'@SUM(A1:A9)"
    assert next(r for r in table if r[2] == "'+1")[6] == "'-2+3"
    assert safe_cell("经信") == "经信" and safe_cell("\t=1") == "'\t=1"


def test_overdue_splits_departments_without_a_contact(sessions, renderer: Renderer):
    departments = Departments(sessions, NAMES)
    departments.bind(101, departments.new_code("jingxin", ADMIN), "联系人")
    departments.bind(102, departments.new_code("jiaoyu", ADMIN), "联系人")
    departments.acknowledge("2020-10", "jiaoyu", 102)
    assert departments.split_overdue("2020-10") == (["jingxin"], ["canlian"])
    duties = make_duties(departments, renderer, DutyTerm(PLAN_END))
    (admin,) = [m for m in duties.due_messages(at("2020-10-09")) if m.chat_id == ADMIN]
    reminded, unbound = admin.text.split("没有联系人")
    assert "经信" in reminded and "残联" not in reminded
    assert "残联" in unbound and "/newcode" in unbound


def test_departments_are_found_by_name_or_a_unique_part(sessions):
    departments = Departments(
        sessions, {"jingxin": "经信", "nongye": "农业农村", "tuiyi": "退役军人事务", "x": "农业"}
    )
    assert departments.resolve("jingxin") == ["jingxin"]
    assert departments.resolve("经信") == ["jingxin"]
    assert departments.resolve("市经信局") == ["jingxin"]  # the name inside a longer one
    assert departments.resolve("退役军人") == ["tuiyi"]
    assert departments.resolve("农业") == ["x"]  # an exact name wins
    assert departments.resolve("农") == ["nongye", "x"]  # ambiguous: both offered
    assert departments.resolve("教育") == [] and departments.resolve("  ") == []


def test_bind_codes_are_one_time(departments: Departments):
    code = departments.new_code("canlian", ADMIN)
    assert departments.bind(200, code.lower(), "小李") == "canlian"
    assert departments.bind(201, code, "小张") is None
    assert departments.bind(202, "NOPE1234", "x") is None
    with pytest.raises(KeyError):
        departments.new_code("nosuch", ADMIN)


# ---- the duties end with the plan (六(一), 六(二), 附则) ----


def test_the_last_monthly_report_is_the_one_due_2022_01_01(duties: Duties):
    last = duties.due_messages(at("2021-12-29"))
    assert keys(last) == {("report:2022-01:2021-12-29", c) for c in (101, 102, 103)}
    assert "2021年12月" in last[0].text and "六(一)：于每月1日报送" in last[0].text
    overdue = duties.due_messages(at("2022-01-04"))
    assert {m.message_key for m in overdue} == {"overdue:2022-01", "followup:2022-01"}
    # The next report (due 2022-02-01, covering January 2022) is not the plan's.
    for day in ["2022-01-28", "2022-02-07", "2022-02-24", "2022-02-28", "2026-11-26"]:
        assert not [
            m
            for m in duties.due_messages(at(day))
            if m.message_key.startswith(("report:", "overdue:", "followup:"))
        ], day
    # /remindnow after the end: nothing to send for a month no duty covers.
    assert duties.reminders_for(Period(date(2022, 1, 1)), "manual", TODAY) != []
    assert duties.reminders_for(Period(date(2022, 2, 1)), "manual", TODAY) == []


def test_the_last_year_end_report_and_plan_are_for_2021(duties: Duties):
    assert [m for m in duties.due_messages(at("2021-12-15")) if m.message_key == "yearend:2021"]
    assert [m for m in duties.due_messages(at("2021-01-04")) if m.message_key == "plan:2021"]
    assert not [m for m in duties.due_messages(at("2022-12-15")) if "yearend" in m.message_key]
    assert not [m for m in duties.due_messages(at("2022-01-04")) if "plan:" in m.message_key]


def test_admins_are_told_once_when_the_duties_end(duties: Duties, sessions):
    assert not [m for m in duties.due_messages(at("2022-01-04")) if m.chat_id == ADMIN
                and m.message_key.startswith("duties-ended")]  # fmt: skip
    notice = duties.due_messages(at("2022-01-05"))
    assert [(m.message_key, m.chat_id) for m in notice] == [("duties-ended:2022-01", ADMIN)]
    text = notice[0].text
    assert "2022年1月1日应报的2021年12月报表" in text and "2021年的" in text
    assert "每周政策小知识也已随方案停止" in text and "scheduler.duties" in text
    outbox = Outbox(sessions)
    assert outbox.enqueue(notice) == 1
    # Every later run (a restart years on) yields the same key: nothing new is queued, and
    # no calendar notices for years no duty reaches.
    later = duties.due_messages(at("2026-11-26"))
    assert [m.message_key for m in later] == ["duties-ended:2022-01"]
    assert outbox.enqueue(later) == 0


def test_an_operator_extension_cites_its_own_basis(departments: Departments, renderer: Renderer):
    duties = make_duties(departments, renderer, DutyTerm(PLAN_END, date(2023, 12, 31), None, BASIS))
    plans_last = duties.due_messages(at("2021-12-29"))
    assert "六(一)" in plans_last[0].text and BASIS not in plans_last[0].text
    extended = duties.due_messages(at("2022-01-28"))  # the report due 2022-02-01
    assert keys(extended) == {("report:2022-02:2022-01-28", c) for c in (101, 102, 103)}
    assert f"依据：{BASIS}" in extended[0].text and "六(一)" not in extended[0].text
    year_end = [m for m in duties.due_messages(at("2022-12-15")) if m.message_key == "yearend:2022"]
    assert len(year_end) == 3 and BASIS in year_end[0].text
    assert [m for m in duties.due_messages(at("2023-12-27")) if m.message_key.startswith("report:")]
    assert not [m for m in duties.due_messages(at("2024-01-02")) if m.chat_id == ADMIN
                and m.message_key.startswith("duties-ended")]  # fmt: skip
    ended = duties.due_messages(at("2024-01-03"))
    assert [m.message_key for m in ended] == ["duties-ended:2024-01"]
    assert BASIS in ended[0].text


def test_an_operator_replacement_runs_only_in_its_own_months(
    departments: Departments, renderer: Renderer
):
    term = DutyTerm(PLAN_END, date(2023, 12, 31), date(2023, 1, 1), BASIS)
    duties = make_duties(departments, renderer, term)
    assert not duties.due_messages(at("2021-12-29"))  # the plan's months are not its own
    assert not duties.due_messages(at("2022-01-28"))
    first = duties.due_messages(at("2023-01-29"))  # due 2023-02-01, covering January 2023
    assert keys(first) == {("report:2023-02:2023-01-29", c) for c in (101, 102, 103)}
    assert BASIS in first[0].text
