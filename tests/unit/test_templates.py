"""Every template renders, fits one Telegram message and is valid Telegram HTML."""

from __future__ import annotations

from datetime import date

import pytest

from bot.channels.commands import load_commands
from bot.dialogue.check_flow import result_context
from bot.eligibility.conversation import load_questions
from bot.eligibility.service import load_checker
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from scheduler.agenda import DutyRules, agenda, upcoming
from scheduler.calendar import WorkCalendar
from scheduler.reporting import DutyTerm, Period, ReportSchedule
from tests.conftest import PLAN_DAY, ROOT, TODAY
from tests.support.telegram_html import telegram_html_error

_QUESTIONS = load_questions(ROOT / "policy")
# Extra variables some templates take.
EXTRA = {
    "messages/citation.j2": lambda pack: {
        "cited": [pack.sections["三(一)"], pack.sections["附则"]]
    },
    "messages/welcome.j2": lambda pack: {"name": "<小王 & 朋友>"},
    "messages/too_long.j2": lambda pack: {"limit": 300},
    "messages/nlu_starting.j2": lambda pack: {"seconds": 20},
    "messages/help.j2": lambda pack: {
        "commands": load_commands(ROOT / "responses").for_chat(contact=True, admin=True)
    },
    "messages/group.j2": lambda pack: {"group": pack.groups.groups[0]},
    "messages/other_city.j2": lambda pack: {"cities": ["杭州", "<苏州>"]},
    "messages/check_question.j2": lambda pack: {
        "question": _QUESTIONS[0],
        "number": 1,
        "intro": True,
        "year": 2020,
        "current_year": 2026,
    },
    "messages/check_previous.j2": lambda pack: {"label": "<1次>"},
    "messages/payment_time.j2": lambda pack: {"about_training": True},
    "messages/check_why.j2": lambda pack: {"question": _QUESTIONS[-1]},
    "messages/check_stale.j2": lambda pack: {"current": True},
    "messages/check_result.j2": lambda pack: result_context(
        load_checker(ROOT / "policy").check_raw(
            {"role": "worker", "as_of": "2020-01-01", "groups": ["urban_dibao"]}, TODAY
        ),
        load_checker(ROOT / "policy").rules.catalogue_note,
    ),
    "messages/check_detail.j2": lambda pack: _detail(),
    "toasts/subscribed.j2": lambda pack: {"name": "政策宣传<&>", "on": True},
}


def _detail() -> dict:
    result = load_checker(ROOT / "policy").check_raw(
        {"role": "worker", "as_of": "2020-01-01", "certificate": "project_training"}, TODAY
    )
    return {"result": result, "v": result.verdicts[0]}


_PERIOD = {
    "due": date(2020, 10, 1),
    "covers": "2020年9月",
    "department_name": "经信<&>",
    "basis": None,
}
_LAST = Period(date(2020, 10, 1))
_RULES = DutyRules(WorkCalendar(), ReportSchedule(), DutyTerm(date(2021, 12, 31)))
_COMING = upcoming(date(2020, 12, 1), _RULES, 2)
SCHEDULED = {
    "report_reminder": _PERIOD,
    "report_followup": _PERIOD,
    "report_overdue_admin": {**_PERIOD, "ignored": ["经信"], "unbound": ["残联<&>"]},
    "report_status_admin": {
        "last": _LAST,
        "upcoming": Period(date(2020, 11, 1)),
        "last_ignored": ["经信"],
        "last_unbound": ["残联"],
        "upcoming_ignored": [],
        "upcoming_unbound": ["残联"],
    },
    "year_end": {"department_name": "教育", "year": 2020, "basis": None},
    "start_of_year": {"department_name": "教育", "year": 2021, "basis": "《关于<继续>报送的通知》"},
    "duties_ended": {
        "last_due": date(2022, 1, 1),
        "last_covers": "2021年12月",
        "last_year": 2021,
        "basis": None,
        "tips_stop": True,
    },
    "remind_now_ended": {"covers": "2021年12月"},
    "calendar_missing": {"year": 2027},
    "ack_recorded": {**_PERIOD, "when": "09月29日 10:00"},
    "ack_already": {**_PERIOD, "next_reminder": date(2020, 10, 28), "next_covers": "2020年10月"},
    "new_code_ambiguous": {"query": "农", "matches": ["农业农村", "农<业>"]},
    "reported_no_duty": {"last_day": date(2022, 1, 4), "basis": None},
    "how_cancel": {"contact": True, "department_name": "经信"},
    "how_bind_code": {"contact": True, "department_name": "经信<&>"},
    "compliance_caption": {
        "first": Period(date(2019, 12, 1)),
        "last": Period(date(2020, 12, 1)),
        "months": 13,
        "departments": 11,
    },
    "schedule_coming": {
        "reports": _COMING[0],
        "yearly": _COMING[1],
        "department_name": "经信<&>",
        "contact": False,
        "estimated": [2021],
        "send_at": "09:00",
        "has_file": True,
        "year": 2020,
    },
    "schedule_year": {"agenda": agenda(2021, _RULES)},
    "schedule_closed": {"agenda": agenda(2023, _RULES), "for_operator": True},
    "schedule_caption": {"year": 2020, "count": 50},
    "bind_ok": _PERIOD,
    "bind_failed": {"valid_days": 7},
    "new_code": {**_PERIOD, "code": "ABCD2345"},
    "new_code_usage": {"departments": {"jingxin": "经信"}, "query": "<x>"},
    "subscribe_menu": {
        "topics": {"publicity": "政策宣传", "claim": "申领提醒"},
        "chosen": {"publicity"},
        "quiet_start": "22:00",
        "quiet_end": "08:00",
    },
    "broadcast_preview": {
        "body": "<b>x</b>",
        "count": 3,
        "topic_name": "政策宣传",
        "when": "2026年12月01日（周二）10:00",
        "cut": True,
    },
    "broadcast_queued": {"count": 3, "when": "2026年12月01日（周二）10:00"},
    "broadcast_cancelled": {"stopped": 40, "sent": 60},
    "broadcast_too_long": {"length": 5000, "limit": 4096},
    "broadcast_list": {
        "broadcasts": [{"id": 3, "text": "<b>通知</b>", "when": "马上", "sending": True}]
    },
    "broadcast_message": {"body": "{{ 1 }} <i>", "topic_name": "政策宣传"},
    "broadcast_report": {
        "id": 7,
        "counts": {"sent": 5, "uncertain": 1},
        "outcome": "done",
        "topic_name": "政策宣传",
    },
    "remind_now_done": {"count": 2, "covers": "2020年9月"},
    "reminder": {"text": "去申领补贴", "kind": "claim", "late": True, "due": "12月04日 09:00"},
    "reminder_confirm": {"when": "2026年12月04日（周五）09:00", "text": "去申领<补贴>"},
    "reminder_set": {"when": "2026年12月04日（周五）09:00", "text": "去申领补贴"},
    "reminder_limit": {"cap": 20},
    "reminder_when_error": {"error": "没看出是什么时候。"},
    "reminder_list": {"reminders": [{"when": "12月04日 09:00", "text": "a&b"}]},
    "reminder_cancelled": {"text": "去申领补贴"},
    "weekly_tip": {"body": "<b>以工代训</b>", "sections": ["四(二)"], "topic_name": "政策宣传"},
}
for _name, _values in SCHEDULED.items():
    EXTRA[f"scheduled/{_name}.j2"] = lambda pack, values=_values: values


def _all_templates(renderer: Renderer) -> list[str]:
    folders = ("answers", "details", "messages", "declines", "scheduled", "toasts")
    return [n for folder in folders for n in renderer.names(folder)]


def test_there_is_an_answer_template_for_every_topic(pack: PolicyPack, renderer: Renderer):
    answers = {n.removeprefix("answers/").removesuffix(".j2") for n in renderer.names("answers")}
    assert answers == set(pack.topics)


def test_details_belong_to_topics_and_toasts_are_short(pack: PolicyPack, renderer: Renderer):
    details = {n.removeprefix("details/").removesuffix(".j2") for n in renderer.names("details")}
    assert details and details <= set(pack.topics)
    for name in renderer.names("toasts"):
        # Telegram shows at most 200 characters of a toast; a toast is read at a glance.
        text = renderer.render(name, TODAY, **EXTRA.get(name, lambda _: {})(pack))
        assert 0 < len(text) <= 30 and "<" not in text, name


def test_there_is_a_decline_for_every_out_of_scope_kind(pack: PolicyPack, renderer: Renderer):
    declines = {n.removeprefix("declines/").removesuffix(".j2") for n in renderer.names("declines")}
    assert declines == set(pack.out_of_scope)
    messages = {n.removeprefix("messages/").removesuffix(".j2") for n in renderer.names("messages")}
    assert set(pack.smalltalk) <= messages
    # Each kind of administration declined has its pointer (bot/dialogue/core.py).
    assert {f"{kind}_admin" for kind in pack.cues.administration} <= messages


@pytest.mark.parametrize("today", [PLAN_DAY, TODAY], ids=["during-plan", "today"])
def test_every_template_renders_as_valid_short_telegram_html(
    pack: PolicyPack, renderer: Renderer, today
):
    names = _all_templates(renderer)
    assert len(names) > 40
    for name in names:
        extra = EXTRA.get(name, lambda _: {})(pack)
        text = renderer.render(name, today, **extra)
        assert text.strip(), name
        assert len(text) < 4096, name
        assert telegram_html_error(text) is None, (name, telegram_html_error(text))
        assert "None" not in text, name


def test_user_text_in_templates_is_escaped(pack: PolicyPack, renderer: Renderer):
    text = renderer.render("messages/welcome.j2", TODAY, name="<b>x</b>&{{1}}")
    assert "&lt;b&gt;x&lt;/b&gt;&amp;{{1}}" in text


def test_validity_answer_follows_the_date(renderer: Renderer):
    assert "已经到期" in renderer.render("answers/validity.j2", TODAY)
    assert "已经到期" not in renderer.render("answers/validity.j2", PLAN_DAY)


def test_the_checker_catches_what_telegram_rejects():
    assert telegram_html_error("<b>ok</b> &amp; &#39;fine&#39;") is None
    assert telegram_html_error("<div>no</div>") is not None
    assert telegram_html_error("<b>open") is not None
    assert telegram_html_error("a < b") is not None
    assert telegram_html_error("Tom & Jerry") is not None
