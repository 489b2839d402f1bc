"""Two dates: the rules in force on the training's date, the advice as of today. The result
message (messages/check_result.j2) for a worker and an enterprise, rendered while the plan
was in force (2020-06-01) and today (after its end), and the guided check around them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.dialogue.check_flow import CheckFlow, result_context
from bot.dialogue.payloads import REMIND_CLAIM
from bot.dialogue.types import Context, Reply
from bot.eligibility.conversation import SelfCheck, load_questions
from bot.eligibility.evaluator import CheckResult
from bot.eligibility.service import Checker, load_checker
from bot.render import Renderer
from tests.conftest import CLOCK, ROOT
from tests.support.telegram_html import telegram_html_error

IN_FORCE = date(2020, 6, 1)
TODAY = date(2026, 11, 26)

WORKER = {
    "role": "worker",
    "as_of": "2020-06-01",
    "residency": ["residence_permit"],
    "certificate": "skill_level",
    "monthly_pension": False,
    "subsidies_this_year": 1,
    "same_occupation_level_this_year": False,
    "groups": ["urban_dibao"],
    "training_months": 3,
}
ENTERPRISE = {
    "role": "enterprise",
    "as_of": "2020-06-01",
    "apprentice": {
        "type": "employee",
        "contract_years": 2,
        "certificates": ["training", "qualification"],
        "training_cost_per_year": 6000,
    },
}


@pytest.fixture(scope="module")
def checker() -> Checker:
    return load_checker(ROOT / "policy")


def render(checker: Checker, renderer: Renderer, facts: dict, today: date) -> str:
    """The result message: one line per subsidy and the shared notes."""
    result = checker.check_raw({**facts, "today": today.isoformat()}, today)
    shown = result_context(result, checker.rules.catalogue_note)
    text = renderer.render("messages/check_result.j2", today, **shown)
    assert telegram_html_error(text) is None and len(text) < 4096
    return text


def details(checker: Checker, renderer: Renderer, facts: dict, today: date) -> dict[str, str]:
    """Each subsidy's "详细说明" message (its reasons, payee and amount note), by label."""
    result = checker.check_raw({**facts, "today": today.isoformat()}, today)
    shown = {
        v.label: renderer.render("messages/check_detail.j2", today, v=v, result=result)
        for v in result.verdicts
    }
    for text in shown.values():
        assert telegram_html_error(text) is None and len(text) < 4096
    return shown


def test_worker_while_the_plan_was_in_force(checker: Checker, renderer: Renderer):
    text = render(checker, renderer, WORKER, IN_FORCE)
    assert "✅ <b>职业培训补贴</b>：符合条件" in text
    assert "✅ <b>培训期间生活费补贴</b>：符合条件" in text
    # What to bring is labelled as general advice, the plan's own words are cited.
    assert "一般需准备（方案未列出，以经办部门要求为准）：身份证件" in text
    assert "鼓励通过社保卡发放补贴（六(四)）" in text
    assert "结束" not in text and "到市人力社保局或行业主管部门申领" not in text


def test_worker_today_same_rules_different_advice(checker: Checker, renderer: Renderer):
    text = render(checker, renderer, WORKER, TODAY)
    assert "✅ <b>职业培训补贴</b>：符合条件" in text  # the 2020 rules still decide
    assert "方案已于2021年12月31日结束" in text and "请先拨打12333" in text
    assert "一般需准备" not in text and "社保卡" not in text and "申领，按" not in text


def test_enterprise_apprentice_floor_in_both_dates(checker: Checker, renderer: Renderer):
    then = render(checker, renderer, ENTERPRISE, IN_FORCE)
    now = render(checker, renderer, ENTERPRISE, TODAY)
    for text in (then, now):
        assert "符合条件，<b>不低于 4000 元</b>" in text and "约" not in text
    for when in (IN_FORCE, TODAY):
        detail = details(checker, renderer, ENTERPRISE, when)["企业新型学徒制（职工学徒）补贴"]
        assert "不低于 4000 元" in detail and "以本市公布的标准为准" in detail
        assert "✔" in detail and "（四(一)）" in detail
    assert "劳动合同" in then and "方案已于2021年12月31日结束" not in then
    assert "方案已于2021年12月31日结束" in now and "劳动合同、" not in now


def with_cost(cost: object) -> dict:
    apprentice = {**ENTERPRISE["apprentice"], "training_cost_per_year": cost}
    return {**ENTERPRISE, "apprentice": apprentice}


def test_amount_words_follow_the_basis(checker: Checker, renderer: Renderer):
    assert "符合条件，<b>3000 元</b>" in render(checker, renderer, with_cost(3000), IN_FORCE)
    student = {
        "role": "enterprise",
        "as_of": "2021-06-01",
        "apprentice": {"type": "student", "contract_and_insurance_after_training": True},
    }
    assert "符合条件，<b>不高于 3000 元</b>" in render(checker, renderer, student, IN_FORCE)
    text = render(checker, renderer, with_cost("unsure"), IN_FORCE)
    assert "符合条件\n" in text and "填写实际费用才能算出金额" not in text
    shown = details(checker, renderer, with_cost("unsure"), IN_FORCE)
    assert "填写实际费用才能算出金额" in shown["企业新型学徒制（职工学徒）补贴"]


def test_project_training_names_who_is_paid(checker: Checker, renderer: Renderer):
    facts = {**WORKER, "certificate": "project_training", "groups": []}
    text = render(checker, renderer, facts, IN_FORCE)
    assert "❌ <b>培训期间生活费补贴</b>：不符合" in text  # answered the group question
    shown = details(checker, renderer, facts, IN_FORCE)
    assert "💳 补贴发给：实施项目的企业或培训机构" in shown["项目制培训补贴"]


def test_a_2019_training_is_open_not_refused(checker: Checker, renderer: Renderer):
    facts = {**WORKER, "as_of": "2019-05-01"}
    assert "❓ <b>职业培训补贴</b>" in render(checker, renderer, facts, IN_FORCE)
    detail = details(checker, renderer, facts, IN_FORCE)["职业培训补贴"]
    assert "按原补贴标准列支" in detail and "（附则）" in detail


# ---- the guided check around the result ----


def flow(checker: Checker, renderer: Renderer, today: date) -> CheckFlow:
    selfcheck = SelfCheck(checker, load_questions(ROOT / "policy"))
    return CheckFlow(selfcheck, renderer, lambda: today, offer_reminder=True)


def press(check: CheckFlow, context: Context, reply: Reply, label: str) -> Reply:
    for row in reply.buttons:
        for button in row:
            if button.label == label:
                return check.on_button(button.data, context)
    raise AssertionError(f"no button {label!r} in {[b.label for r in reply.buttons for b in r]}")


def run(check: CheckFlow, labels: list[str]) -> Reply:
    context = Context()
    reply = check.start(context)
    for label in labels:
        reply = press(check, context, reply, label)
    return reply


WORKER_PRESSES = [
    "个人（劳动者、学员）", "2020年", "职业技能等级证书", "有本市居住证",
    "没有领取", "1次", "没有", "城市低保家庭学员", "4个月",
]  # fmt: skip


def buttons(reply: Reply) -> set[str]:
    return {b.data for row in reply.buttons for b in row}


def test_claim_reminder_only_while_the_plan_is_in_force(checker: Checker, renderer: Renderer):
    then = run(flow(checker, renderer, IN_FORCE), WORKER_PRESSES)
    now = run(flow(checker, renderer, TODAY), WORKER_PRESSES)
    assert "自查结果" in then.text and "自查结果" in now.text
    assert REMIND_CLAIM in buttons(then)
    assert REMIND_CLAIM not in buttons(now)


def test_living_allowance_counts_the_months_trained(checker: Checker, renderer: Renderer):
    # 4 months is 4, not a bucket's upper end; without the local standard no amount.
    result: CheckResult = checker.check_raw({**WORKER, "training_months": 4}, CLOCK.today())
    allowance = next(v for v in result.verdicts if v.subsidy == "living_allowance")
    assert allowance.status == "eligible" and allowance.amount_yuan is None
    labels = [o.label for q in load_questions(ROOT / "policy") if q.id == "training_months"
              for o in q.options]  # fmt: skip
    assert "4—6个月" not in labels and {"4个月", "5个月", "6个月"} <= set(labels)


def test_a_year_after_the_plan_ends_the_check_at_once(checker: Checker, renderer: Renderer):
    reply = run(flow(checker, renderer, TODAY), ["个人（劳动者、学员）", "2022年及以后"])
    assert "自查结果" in reply.text and "不在方案范围内" in reply.text
    assert "第" not in reply.text and len(reply.text) < 300
    assert REMIND_CLAIM not in buttons(reply)


def test_enterprise_training_asks_the_enterprise_type(checker: Checker, renderer: Renderer):
    check = flow(checker, renderer, IN_FORCE)
    context = Context()
    reply = check.start(context)
    for label in [
        "企业（单位、人事）", "2020年", "职工培训（岗前、转岗、在岗等）", "在岗或技能提升培训",
    ]:  # fmt: skip
        reply = press(check, context, reply, label)
    assert "哪类企业" in reply.text
    more = press(check, context, reply, "不确定")
    unsure = press(check, context, more, "不用了，看结果")
    assert "❓ <b>企业职工培训补贴</b>" in unsure.text
    context = Context()
    reply = check.start(context)
    for label in [
        "企业（单位、人事）", "2021年", "职工培训（岗前、转岗、在岗等）", "在岗或技能提升培训",
        "受经贸摩擦影响企业（列入目录清单）", "不用了，看结果",
    ]:  # fmt: skip
        reply = press(check, context, reply, label)
    assert "✅ <b>企业职工培训补贴</b>" in reply.text
    assert "✅ <b>经贸摩擦企业职工补贴上浮</b>" in reply.text
