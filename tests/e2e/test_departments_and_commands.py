"""Discoverability and the department/admin workflow end to end, over HTTP against the Bot
API stand-in: the "/" menu registered per scope, /help by role, /start deep links,
/reported and the contacts' phrases, /overdue split by bound contact, /newcode by name,
the compliance CSV with its caption, and /schedule with an .ics file that parses."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date, timedelta

from icalendar import Calendar

from bot.config import load_settings
from bot.policy_pack import load_policy_pack
from scheduler.agenda import DutyRules, agenda, asked_period
from scheduler.reporting import DutyTerm
from tests.conftest import CLOCK, ROOT
from tests.e2e.conftest import ADMIN, E2E_DUTIES_BASIS, BotProcess
from tests.support.botapi import BotApiStandIn, Sent

CONTACT = 7201
OTHER_CONTACT = 7202
PERSON = 7301


def _rules() -> DutyRules:
    """The e2e bot's rules: the repository's settings with the test config's extension."""
    settings = load_settings(ROOT / "config.yml", env={})
    plan = load_policy_pack(settings.paths.policy).plan
    rules = DutyRules.from_settings(settings, plan)
    term = DutyTerm(
        plan.end, date(2099, 12, 31), None, E2E_DUTIES_BASIS, plan_start=rules.term.plan_start
    )
    return DutyRules(rules.calendar, rules.schedule, term)


def _wait_calls(api: BotApiStandIn, method: str, count: int, timeout: float = 30) -> list[Sent]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.calls(method)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} {method} calls, got {len(api.calls(method))}")


def _scope(call: Sent) -> dict:
    scope = call.params.get("scope")
    return json.loads(scope) if isinstance(scope, str) else scope


def _commands(call: Sent) -> list[str]:
    commands = call.params["commands"]
    return [c["command"] for c in (json.loads(commands) if isinstance(commands, str) else commands)]


def _chat_commands(api: BotApiStandIn, chat: int) -> list[list[str]]:
    return [
        _commands(c)
        for c in api.calls("setMyCommands")
        if _scope(c) == {"type": "chat", "chat_id": chat}
    ]


def _bind(api: BotApiStandIn, chat: int, department: str) -> None:
    count = len(api.messages_to(ADMIN))
    api.push_text(ADMIN, f"/newcode {department}")
    reply = api.wait_for_messages(ADMIN, count + 1)[-1].text
    code = re.search(r"<code>([A-Z0-9]+)</code>", reply)
    assert code is not None, reply
    api.push_text(chat, f"/bind {code.group(1)}")
    api.wait_for_text(chat, "绑定成功")


def _next_text(api: BotApiStandIn, chat: int, push: str) -> Sent:
    count = len(api.messages_to(chat))
    api.push_text(chat, push)
    return api.wait_for_messages(chat, count + 1)[count]


def _documents_to(api: BotApiStandIn, chat: int, count: int) -> list[Sent]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [d for d in api.calls("sendDocument") if d.chat_id == chat]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} documents to {chat}")


def test_commands_by_scope_help_by_role_and_deep_links(bot_process: BotProcess):
    api = bot_process.api
    # At start-up: the public commands for everyone, the admin's own in the admin's chat.
    calls = _wait_calls(api, "setMyCommands", 2)
    public = [_commands(c) for c in calls if _scope(c) == {"type": "default"}]
    assert public and {"start", "check", "help", "subscribe", "stop"} <= set(public[0])
    assert "newcode" not in public[0] and "reported" not in public[0]
    (admin_menu,) = _chat_commands(api, ADMIN)
    assert set(public[0]) < set(admin_menu)
    assert {"newcode", "overdue", "compliance", "broadcast", "schedule"} <= set(admin_menu)

    # Binding gives the contact's chat its menu; /stop takes it away again.
    _bind(api, CONTACT, "经信")
    _wait_calls(api, "setMyCommands", 3)
    assert {"reported", "schedule"} <= set(_chat_commands(api, CONTACT)[-1])
    assert "newcode" not in _chat_commands(api, CONTACT)[-1]

    # /help lists what each may use, one line each.
    person_help = _next_text(api, PERSON, "/help").text
    assert "/check" in person_help and "/subscribe" in person_help
    assert "/newcode" not in person_help and "/reported" not in person_help
    contact_help = _next_text(api, CONTACT, "/help").text
    assert "/reported" in contact_help and "/schedule" in contact_help
    assert "/newcode" not in contact_help
    admin_help = _next_text(api, ADMIN, "/help").text
    assert "/newcode" in admin_help and "/compliance" in admin_help
    lines = [line for line in admin_help.splitlines() if line.startswith("/")]
    assert len(lines) == len(set(lines)) == len(admin_menu)  # /schedule once

    # Deep links from a poster: straight into the feature.
    check = _next_text(api, PERSON, "/start check")
    assert "补贴自查" in check.text and "第1题" in check.text and check.buttons
    menu = _next_text(api, PERSON, "/start subscribe")
    assert "请选择要订阅的内容" in menu.text
    topic = _next_text(api, PERSON, "/start apprentice_employee")
    assert "4000" in topic.text and "四(一)" in topic.text
    welcome = _next_text(api, PERSON, "/start from-a-poster")  # unknown: the welcome
    assert "政策助手" in welcome.text
    schedule = _next_text(api, CONTACT, "/start schedule")
    assert "接下来的报送日程" in schedule.text

    api.push_text(CONTACT, "/stop")
    api.wait_for_text(CONTACT, "已停止所有消息")
    deadline = time.monotonic() + 20
    while not any(
        _scope(c) == {"type": "chat", "chat_id": CONTACT} for c in api.calls("deleteMyCommands")
    ):
        assert time.monotonic() < deadline, "the contact's menu was not removed after /stop"
        time.sleep(0.05)

    # A restart registers the bound contacts' menus again.
    _bind(api, OTHER_CONTACT, "教育")
    before = len(_chat_commands(api, OTHER_CONTACT))
    bot_process.kill()
    bot_process.restart()
    deadline = time.monotonic() + 60
    while len(_chat_commands(api, OTHER_CONTACT)) <= before:
        assert time.monotonic() < deadline, "the contact's menu was not registered at start-up"
        time.sleep(0.1)
    assert "reported" in _chat_commands(api, OTHER_CONTACT)[-1]
    assert api.errors == []


def test_reported_overdue_split_newcode_by_name_and_compliance_csv(bot_process: BotProcess):
    api = bot_process.api
    rules = _rules()
    period = asked_period(CLOCK.today(), rules)
    assert period is not None

    # /newcode by Chinese name, by a unique part, and an ambiguous part.
    ambiguous = _next_text(api, ADMIN, "/newcode 管").text
    assert "应急管理" in ambiguous and "市场监管" in ambiguous and "<code>" not in ambiguous
    unknown = _next_text(api, ADMIN, "/newcode 外星").text
    assert "没有找到" in unknown and "经信" in unknown
    _bind(api, CONTACT, "市经信局")
    _bind(api, OTHER_CONTACT, "退役军人")

    # /overdue: reminded departments apart from those nobody can be reminded in.
    status = _next_text(api, ADMIN, "/overdue").text
    section = status.split(f"{period.covers}月报")[1]
    reminded, unbound = section.split("没有联系人")[:2]
    assert "经信" in reminded and "退役军人事务" in reminded
    assert "教育" in unbound and "经信" not in unbound

    # A contact's phrase records the report the bot asks about, for that month only.
    recorded = _next_text(api, CONTACT, "我们这个月已经报了").text
    assert "已记录" in recorded and f"{period.covers}月报" in recorded
    again = _next_text(api, CONTACT, "/reported").text
    assert "不用重复" in again and period.covers in again
    reported = _next_text(api, OTHER_CONTACT, "/reported").text
    assert "已记录" in reported and period.covers in reported
    # Anyone else's "已经报了" is a question for the dialogue, not an acknowledgement.
    not_contact = _next_text(api, PERSON, "我们这个月已经报了").text
    assert "已记录" not in not_contact
    assert "绑定" in _next_text(api, PERSON, "/reported").text

    # Operational questions get operational answers.
    cancel = _next_text(api, CONTACT, "怎么取消提醒").text
    assert "/reminders" in cancel and "/reported" in cancel and "/stop" in cancel
    code = _next_text(api, PERSON, "绑定码在哪里要").text
    assert "市人力社保局" in code and "/bind" in code

    after = _next_text(api, ADMIN, "/overdue").text.split(f"{period.covers}月报")[1]
    assert "经信" not in after.split("没有联系人")[0]

    # The compliance CSV: Chinese headers, the month covered, a caption, formula-safe.
    api.push_text(ADMIN, "/compliance")
    (document,) = _documents_to(api, ADMIN, 1)
    assert "月报确认记录" in document.params["caption"]
    assert period.covers in document.params["caption"]
    assert document.params["document_filename"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(document.params["document"])))
    headers = {"所属月份", "应报日期", "部门", "状态", "确认时间", "确认人", "当前联系人"}
    assert set(rows[0]) == headers
    month = f"{period.covers}月报"
    assert rows[0]["所属月份"] == month  # newest first: the report just acknowledged
    mine = {r["部门"]: r for r in rows if r["所属月份"] == month}
    assert mine["经信"]["状态"] == "已确认" and mine["经信"]["确认人"].endswith(f"（{CONTACT}）")
    assert mine["教育"]["状态"] == "未确认" and mine["教育"]["当前联系人"] == ""
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    assert len({r["所属月份"] for r in rows}) == 13
    assert api.errors == []


def test_schedule_sends_an_ics_that_parses(bot_process: BotProcess):
    api = bot_process.api
    rules = _rules()
    today = CLOCK.today()
    _bind(api, CONTACT, "经信")

    coming = _next_text(api, CONTACT, "/schedule").text
    assert "接下来的报送日程" in coming and "经信" in coming and "月报" in coming
    (document,) = _documents_to(api, CONTACT, 1)
    assert document.params["document_filename"] == f"schedule-{today.year}.ics"
    assert "导入手机日历" in document.params["caption"]
    calendar = Calendar.from_ical(document.params["document"])
    events = calendar.walk("VEVENT")
    expected = agenda(today.year, rules)
    assert sorted(e.decoded("DTSTART") for e in events) == [d.day for d in expected.dates]
    assert len({str(e["UID"]) for e in events}) == len(events)
    # The next reminder day in the text is one of the file's dates.
    soon = [d.day for d in expected.dates if d.day >= today]
    if soon:
        assert f"{soon[0].month}月{soon[0].day}日" in coming or soon[0] - today > timedelta(40)

    # An admin sees a whole year; a year's file has every date of it.
    year_text = _next_text(api, ADMIN, "/schedule 2021").text
    assert "2021年部门报送日程" in year_text and "2021年12月月报 1/1应报" in year_text
    (admin_file,) = _documents_to(api, ADMIN, 1)
    admin_events = Calendar.from_ical(admin_file.params["document"]).walk("VEVENT")
    assert len(admin_events) == len(agenda(2021, rules).dates) == 50
    summaries = {str(e["SUMMARY"]) for e in admin_events}
    assert "年度报告提醒：2021年绩效结果，年底前报送" in summaries
    descriptions = [str(e["DESCRIPTION"]) for e in admin_events]
    assert all("依据：《XX市职业技能提升行动实施方案" in text for text in descriptions)

    assert "/schedule 2021" in _next_text(api, CONTACT, "/schedule 去年").text
    assert api.errors == []
