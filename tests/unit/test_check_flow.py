"""The guided self-check through the dialogue core (fake NLU): questions, buttons, why,
back, restart, unsure, typed numbers, stale buttons, prefill, and the result."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Settings
from bot.dialogue.check_flow import CheckFlow, result_context
from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context, Reply
from bot.eligibility.conversation import START, SelfCheck, load_questions
from bot.eligibility.service import Checker, load_checker
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from nlu.client import Entity
from tests.conftest import ROOT, TODAY
from tests.support.cases import json_facts, load_cases
from tests.support.check_answers import ICONS, WORKER_PRESSES
from tests.support.fake_nlu import FakeNlu, result
from tests.support.phone import phone_lines
from tests.support.telegram_html import telegram_html_error


@pytest.fixture(scope="module")
def checker() -> Checker:
    return load_checker(ROOT / "policy")


@pytest.fixture()
def fake() -> FakeNlu:
    return FakeNlu()


@pytest.fixture()
def dialogue(
    pack: PolicyPack, renderer: Renderer, fake: FakeNlu, settings: Settings, checker: Checker
) -> Dialogue:
    flow = CheckFlow(SelfCheck(checker, load_questions(ROOT / "policy")), renderer, lambda: TODAY)
    return Dialogue(pack, renderer, fake, settings.dialogue, today=lambda: TODAY, check_flow=flow)


def press(dialogue: Dialogue, context: Context, reply: Reply, label: str) -> Reply:
    for row in reply.buttons:
        for button in row:
            if button.label == label:
                return dialogue.handle_button(button.data, context)
    raise AssertionError(f"no button {label!r} in {[b.label for r in reply.buttons for b in r]}")


# The shared worker script, ending with a group that brings the living allowance in.
WORKER_ANSWERS = [*WORKER_PRESSES[:-1], "城市低保家庭学员", "3个月"]


def test_worker_check_asks_only_what_is_needed_and_explains(dialogue: Dialogue):
    context = Context()
    reply = dialogue.start_check(context)
    asked = []
    for label in WORKER_ANSWERS:
        asked.append(reply.text)
        assert reply.kind == "check" and "第" in reply.text
        reply = press(dialogue, context, reply, label)
    assert len(asked) == len(WORKER_ANSWERS)
    text = reply.text
    assert "自查结果" in text and "✅ <b>职业培训补贴</b>" in text
    assert "✅ <b>培训期间生活费补贴</b>" in text and "三(七)" in text and "三(一)" in text
    assert "算完即删" in text and "/stop" in text
    # One screen of a phone: a line per subsidy, the notes once, the reasons a tap away.
    assert phone_lines(text) <= 18, phone_lines(text)
    # Today is after the plan: confirm a claim first, no "到…申领", no list of documents.
    assert "已于2021年12月31日结束" in text and "请先拨打12333" in text
    assert "申领，按" not in text and "一般需准备" not in text
    assert "经贸摩擦" not in text  # not asked about, not shown
    assert telegram_html_error(text) is None and len(text) < 4096
    assert context.check is not None and context.check.facts == {}  # nothing kept


async def test_typed_number_answers_a_number_question(dialogue: Dialogue):
    context = Context()
    reply = dialogue.start_check(context)
    for label in [
        "企业（单位、人事）",
        "2020年",
        "企业新型学徒制",
        "职工学徒（本企业技能岗位职工）",
        "2年",
        "只有培训合格证书",
    ]:
        reply = press(dialogue, context, reply, label)
    assert "实际培训费用" in reply.text
    reply = await dialogue.handle_text("3000元", context)
    assert "还要查另一类补贴" in reply.text and reply.edit is False
    reply = press(dialogue, context, reply, "不用了，看结果")
    assert "✅ <b>企业新型学徒制（职工学徒）补贴</b>" in reply.text
    assert "符合条件，<b>1500 元</b>" in reply.text and "四(一)" in reply.text


def test_why_back_restart_and_unsure(dialogue: Dialogue):
    context = Context()
    reply = dialogue.start_check(context)
    reply = press(dialogue, context, reply, "个人（劳动者、学员）")
    why = press(dialogue, context, reply, "为什么问这个？")
    assert "为什么问这个" in why.text and "附则" in why.text
    back = press(dialogue, context, why, "返回上一步")
    assert "身份" in back.text
    # The earlier choice is marked; the other option is not.
    labels = [b.label for row in back.buttons for b in row]
    assert "个人（劳动者、学员）（上次选的）" in labels and "企业（单位、人事）" in labels
    reply = press(dialogue, context, back, "个人（劳动者、学员）（上次选的）")
    reply = press(dialogue, context, reply, "2020年")
    reply = press(dialogue, context, reply, "不确定")  # certificate unsure
    assert "本市" in reply.text  # next: residency
    restarted = press(dialogue, context, reply, "重新开始")
    assert "身份" in restarted.text and context.check is not None
    assert context.check.facts == {}


def test_unsure_answers_give_conditional_with_what_to_confirm(dialogue: Dialogue):
    context = Context()
    reply = dialogue.start_check(context)
    for label in ["个人（劳动者、学员）", "2020年", "职业技能等级证书", "有本市户籍"]:
        reply = press(dialogue, context, reply, label)
    for _ in range(3):  # pension, times this year, same level: all unsure
        reply = press(dialogue, context, reply, "不确定")
    reply = press(dialogue, context, reply, "都不是")
    assert "❓ <b>职业培训补贴</b>" in reply.text and "待确认" in reply.text


def test_stale_and_forged_buttons(dialogue: Dialogue):
    context = Context()
    first = dialogue.start_check(context)
    old_role_button = first.buttons[0][0].data
    reply = press(dialogue, context, first, "个人（劳动者、学员）")
    # The same question's button pressed again: we stay on the current question.
    again = dialogue.handle_button(old_role_button, context)
    assert "前面的问题" in again.text and "哪一年" in again.text
    assert again.edit is True and again.toast  # that message shows the current question
    # A button from a finished or different check.
    dialogue.start_check(context)
    stale = dialogue.handle_button(reply.buttons[0][0].data, context)
    assert "已经结束" in stale.text
    for forged in [
        "k:zzzzzz:a0.0",
        "k:",
        "k:abc",
        f"k:{context.check.id}:a0.99",
        f"k:{context.check.id}:q",
        f"k:{context.check.id}:a9999.0",
    ]:
        reply = dialogue.handle_button(forged, context)
        assert reply.text and reply.kind == "check", forged
    assert dialogue.handle_button("k:x:y", Context()).text


async def test_nlu_self_check_intent_prefills_what_was_said(dialogue: Dialogue, fake: FakeNlu):
    q = "我是退役军人，能领什么补贴"
    fake.answers[q] = result(q, ("self_check", 0.95))
    fake.answers[q] = type(fake.answers[q])(
        q, "self_check", 0.95, fake.answers[q].ranking, (Entity("group", "veteran", 2, 6),)
    )
    context = Context()
    reply = await dialogue.handle_text(q, context)
    assert reply.kind == "check" and context.check is not None
    assert context.check.facts == {"groups": ["veteran"], "role": "worker"}
    assert "哪一年" in reply.text  # role known, so the first question is the year


async def test_an_unsure_self_check_guess_starts_it_only_for_a_message_about_the_plan(
    dialogue: Dialogue, fake: FakeNlu
):
    about = "我这个情况有什么补贴能拿"
    fake.answers[about] = result(about, ("self_check", 0.45), ("subsidy_amount", 0.2))
    context = Context()
    assert (await dialogue.handle_text(about, context)).kind == "check"
    unrelated = "教我做红烧肉"
    fake.answers[unrelated] = result(unrelated, ("self_check", 0.45), ("help", 0.2))
    context = Context()
    assert (await dialogue.handle_text(unrelated, context)).kind != "check"
    assert context.check is None


def test_menu_offers_the_check(dialogue: Dialogue):
    menu = dialogue.menu()
    assert menu.buttons[0][0].data == START


@pytest.mark.parametrize("case", load_cases(), ids=[c["name"] for c in load_cases()])
def test_every_case_result_renders_as_valid_short_html(
    checker: Checker, renderer: Renderer, case: dict
):
    outcome = checker.check_raw(json_facts(case["facts"]), TODAY)
    shown = result_context(outcome, checker.rules.catalogue_note)
    text = renderer.render("messages/check_result.j2", TODAY, **shown)
    assert telegram_html_error(text) is None and len(text) < 4096
    if outcome.after_plan:  # one short screen: nothing in the plan applies
        assert "不在方案范围内" in text and len(text) < 300
        return
    for verdict in outcome.verdicts:
        # One line per subsidy: its verdict (and amount) on the label's line, and no reason.
        line = next(line for line in text.split("\n") if f"<b>{verdict.label}</b>" in line)
        assert line.startswith(ICONS[verdict.status]), line
        assert all(r.text not in text for r in verdict.reasons), verdict.label
        detail = renderer.render("messages/check_detail.j2", TODAY, v=verdict, result=outcome)
        assert telegram_html_error(detail) is None and len(detail) < 4096
        for reason in verdict.reasons:
            assert f"{reason.text}（{reason.section}）" in detail


# ---- on a phone: steps edit in place, one line per subsidy, reasons behind 详细说明 ----


def test_steps_edit_in_place_and_starting_does_not(dialogue: Dialogue):
    context = Context()
    first = dialogue.start_check(context)
    assert first.edit is False  # /check, the menu or free text: a new message
    step = press(dialogue, context, first, "个人（劳动者、学员）")
    assert step.edit is True and "哪一年" in step.text
    why = press(dialogue, context, step, "为什么问这个？")
    # The reason above the question: the edited message still asks it, with its buttons.
    assert why.edit is True and "为什么问这个" in why.text and "哪一年" in why.text
    assert why.buttons == step.buttons
    back = press(dialogue, context, why, "返回上一步")
    assert back.edit is True and "身份" in back.text
    restarted = press(dialogue, context, back, "重新开始")
    assert restarted.edit is True and "身份" in restarted.text
    stale = dialogue.handle_button(first.buttons[0][0].data, context)
    assert stale.edit is False and stale.toast == "这个按钮已经过期了"


def test_result_has_one_detail_button_per_subsidy_with_its_reasons(dialogue: Dialogue):
    context = Context()
    reply = dialogue.start_check(context)
    for label in WORKER_ANSWERS:
        reply = press(dialogue, context, reply, label)
    assert reply.edit is True and "自查结果" in reply.text
    result = context.check.result
    assert result is not None and context.check.facts == {}
    labels = [b.label for row in reply.buttons for b in row if b.label.startswith("详细说明")]
    assert labels == [f"详细说明：{v.label}" for v in result.verdicts] and len(labels) >= 2
    lines = reply.text.split("\n")
    for verdict in result.verdicts:
        # One line each: the verdict and amount, none of the reasons.
        assert sum(f"<b>{verdict.label}</b>" in line for line in lines) == 1
        assert all(r.text not in reply.text for r in verdict.reasons)
    assert reply.text.count("🔒") == 1 and reply.text.count("<b>下一步</b>") == 1
    for verdict in result.verdicts:
        detail = press(dialogue, context, reply, f"详细说明：{verdict.label}")
        assert detail.edit is False and detail.kind == "check"  # below the result
        assert detail.text.startswith(f"{ICONS[verdict.status]} <b>{verdict.label}</b>")
        for reason in verdict.reasons:
            assert f"{reason.text}（{reason.section}）" in detail.text
        others = [v for v in result.verdicts if v.label != verdict.label]
        assert all(f"<b>{v.label}</b>" not in detail.text for v in others)
        assert telegram_html_error(detail.text) is None
    # A new check: the old result's buttons are stale, and its reasons are gone.
    old = reply
    dialogue.start_check(context)
    assert context.check.result is None
    stale = press(dialogue, context, old, labels[0])
    assert "已经结束" in stale.text and stale.toast
    for forged in (f"k:{context.check.id}:d", f"k:{context.check.id}:d99", "k:abc:d0"):
        assert dialogue.handle_button(forged, context).toast, forged


# ---- the self-check speaks up (issue 11, item 5) ----

WORKER_TO_TIMES = ["个人（劳动者、学员）", "2020年", "职业技能等级证书", "有本市户籍", "没有领取"]
ENTERPRISE_TO_COST = [
    "企业（单位、人事）",
    "2020年",
    "企业新型学徒制",
    "职工学徒（本企业技能岗位职工）",
    "2年",
    "只有培训合格证书",
]


def answer_all(dialogue: Dialogue, context: Context, labels: list[str]) -> Reply:
    reply = dialogue.start_check(context)
    for label in labels:
        reply = press(dialogue, context, reply, label)
    return reply


async def test_started_from_free_text_says_so(dialogue: Dialogue, fake: FakeNlu):
    q = "我能领什么补贴"
    fake.answers[q] = result(q, ("self_check", 0.95))
    typed = await dialogue.handle_text(q, Context())
    assert typed.kind == "check" and "随时输入问题即可退出" in typed.text
    assert "第1题" in typed.text
    # /check or the menu button: the person chose the check, no introduction needed.
    assert "随时输入问题即可退出" not in dialogue.start_check(Context()).text


@pytest.mark.parametrize("typed", ["三千", "三千元", "3千"])
async def test_chinese_numerals_answer_a_number_question(dialogue: Dialogue, typed: str):
    context = Context()
    reply = answer_all(dialogue, context, ENTERPRISE_TO_COST)
    assert "实际培训费用" in reply.text
    reply = await dialogue.handle_text(typed, context)
    reply = press(dialogue, context, reply, "不用了，看结果")
    assert "符合条件，<b>1500 元</b>" in reply.text  # 50% of 3000


async def test_typed_months_in_chinese(dialogue: Dialogue, checker: Checker):
    parse = SelfCheck(checker, ()).parse_number
    assert [parse(t) for t in ["两个月", "十二个月", "3个月", "6", "两三个月"]] == [
        2,
        12,
        3,
        6,
        None,
    ]
    typed_context, pressed_context = Context(), Context()
    labels = [*WORKER_PRESSES[:-1], "城市低保家庭学员"]
    reply = answer_all(dialogue, typed_context, labels)
    assert "培训一共几个月" in reply.text
    typed = await dialogue.handle_text("两个月", typed_context)
    reply = answer_all(dialogue, pressed_context, labels)
    pressed = press(dialogue, pressed_context, reply, "2个月")
    assert "自查结果" in typed.text and typed.text == pressed.text


async def test_question_typed_mid_check_is_answered_and_the_check_resumes(
    dialogue: Dialogue, fake: FakeNlu
):
    context = Context()
    reply = answer_all(dialogue, context, WORKER_TO_TIMES)
    assert "领过几次" in reply.text
    facts = dict(context.check.facts)
    q = "什么是项目制培训"
    fake.answers[q] = result(q, ("project_training", 0.95))
    answer = await dialogue.handle_text(q, context)
    assert answer.kind == "answer" and "项目制" in answer.text
    assert answer.buttons[0][0].label == "继续自查"
    assert context.check.facts == facts  # the check is kept
    resumed = dialogue.handle_button(answer.buttons[0][0].data, context)
    assert resumed.kind == "check" and "领过几次" in resumed.text and "第6题" in resumed.text
    assert resumed.edit is False  # under the answer, which stays
    reply = press(dialogue, context, resumed, "1次")
    assert "同一职业" in reply.text
    # After the result there is nothing to resume.
    reply = press(dialogue, context, reply, "没有")
    reply = press(dialogue, context, reply, "都不是")
    assert "自查结果" in reply.text
    after = await dialogue.handle_text(q, context)
    assert all(b.label != "继续自查" for row in after.buttons for b in row)


async def test_no_resume_button_without_a_check(dialogue: Dialogue, fake: FakeNlu):
    q = "什么是项目制培训"
    fake.answers[q] = result(q, ("project_training", 0.95))
    answer = await dialogue.handle_text(q, Context())
    assert all(b.label != "继续自查" for row in answer.buttons for b in row)


def test_back_marks_an_unsure_choice(dialogue: Dialogue):
    context = Context()
    reply = answer_all(dialogue, context, ["个人（劳动者、学员）", "2020年", "不确定"])
    back = press(dialogue, context, reply, "返回上一步")
    labels = [b.label for row in back.buttons for b in row]
    assert "不确定（上次选的）" in labels
    assert not any(label.endswith("（上次选的）") for label in labels[:-4])
    # Answered again: the mark is gone from the next questions.
    reply = press(dialogue, context, back, "职业技能等级证书")
    assert not any("上次选的" in b.label for row in reply.buttons for b in row)


def test_same_occupation_skipped_after_none_this_year(dialogue: Dialogue):
    context = Context()
    reply = answer_all(dialogue, context, [*WORKER_TO_TIMES, "还没领过"])
    assert "同一职业" not in reply.text and "哪一类人员" in reply.text
    assert context.check.facts["same_occupation_level_this_year"] is False
    # Back from here undoes "还没领过" together with what it implied.
    back = press(dialogue, context, reply, "返回上一步")
    assert "领过几次" in back.text
    assert "same_occupation_level_this_year" not in context.check.facts
    # Once already: the same-occupation question is asked.
    reply = press(dialogue, context, back, "1次")
    assert "同一职业" in reply.text


@pytest.mark.parametrize(("year", "said"), [("2020年", "2020年"), ("2021年", "2021年")])
def test_this_year_follows_the_chosen_year(dialogue: Dialogue, year: str, said: str):
    labels = [*WORKER_TO_TIMES]
    labels[1] = year
    reply = answer_all(dialogue, Context(), labels)
    assert f"{said}您已经领过几次" in reply.text and "今年" not in reply.text


def test_this_year_stays_for_the_current_year(
    pack: PolicyPack, renderer: Renderer, settings: Settings, checker: Checker
):
    def in_2020() -> date:
        return date(2020, 9, 1)

    flow = CheckFlow(SelfCheck(checker, load_questions(ROOT / "policy")), renderer, in_2020)
    dialogue = Dialogue(pack, renderer, FakeNlu(), settings.dialogue, in_2020, check_flow=flow)
    reply = answer_all(dialogue, Context(), WORKER_TO_TIMES)
    assert "今年您已经领过几次" in reply.text


def test_enterprise_checks_several_programmes_in_one_run(dialogue: Dialogue):
    context = Context()
    reply = answer_all(dialogue, context, [*ENTERPRISE_TO_COST, "4000元及以上"])
    assert "还要查另一类补贴" in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert "企业新型学徒制" not in labels and "以工代训" in labels  # chosen: not offered again
    for label in ["以工代训", "贫困劳动力", "1—3个月"]:
        reply = press(dialogue, context, reply, label)
    assert "还要查另一类补贴" not in reply.text  # asked once per run
    assert "✅ <b>企业新型学徒制（职工学徒）补贴</b>" in reply.text
    assert "以工代训职业培训补贴" in reply.text
    details = [b.label for row in reply.buttons for b in row if b.label.startswith("详细说明")]
    assert len(details) == 2


def test_back_to_the_more_question_marks_the_programme_added(dialogue: Dialogue):
    context = Context()
    reply = answer_all(dialogue, context, [*ENTERPRISE_TO_COST, "4000元及以上", "以工代训"])
    back = press(dialogue, context, reply, "返回上一步")
    labels = [b.label for row in back.buttons for b in row]
    assert "以工代训（上次选的）" in labels and "企业新型学徒制" not in labels
