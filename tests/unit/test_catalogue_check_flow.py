"""The guided self-check with a subsidy catalogue loaded: it asks the occupation (typed) and
the level, and the result shows the amount and the trade-friction uplift; without a
catalogue those questions are never asked."""

from __future__ import annotations

from datetime import date

from bot.config import Settings
from bot.dialogue.check_flow import CheckFlow
from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context
from bot.eligibility.conversation import SelfCheck, load_questions
from bot.eligibility.evaluator import CatalogueFigure
from bot.eligibility.service import load_checker
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import ROOT, TODAY
from tests.support.check_answers import WORKER_PRESSES
from tests.support.fake_nlu import FakeNlu
from tests.unit.test_check_flow import press

STANDARDS = {("美容师", "level_4"): 1200.0}
asked: list[tuple[str, str, date]] = []


def figures(occupation: str, level: str, on: date) -> CatalogueFigure | None:
    asked.append((occupation, level, on))
    amount = STANDARDS.get((occupation, level))
    if amount is None:
        return None
    return CatalogueFigure(occupation, level, "中级（四级）", amount, date(2020, 7, 23), "测试目录")


def _dialogue(pack: PolicyPack, renderer: Renderer, settings: Settings, loaded: bool) -> Dialogue:
    selfcheck = SelfCheck(
        load_checker(ROOT / "policy", figures),
        load_questions(ROOT / "policy"),
        catalogue_loaded=lambda: loaded,
    )
    flow = CheckFlow(selfcheck, renderer, lambda: TODAY)
    return Dialogue(
        pack, renderer, FakeNlu(), settings.dialogue, today=lambda: TODAY, check_flow=flow
    )


async def test_with_a_catalogue_the_check_asks_occupation_and_level_and_shows_amounts(
    pack: PolicyPack, renderer: Renderer, settings: Settings
):
    dialogue = _dialogue(pack, renderer, settings, loaded=True)
    context = Context()
    reply = dialogue.start_check(context)
    for label in WORKER_PRESSES[:3]:  # role, 2021, skill-level certificate
        reply = press(dialogue, context, reply, label)
    assert "哪个职业（工种）" in reply.text
    reply = await dialogue.handle_text("美容师", context)
    assert "哪个等级" in reply.text
    reply = press(dialogue, context, reply, "中级（四级）")
    for label in WORKER_PRESSES[3:]:
        reply = press(dialogue, context, reply, label)
    assert "自查结果" in reply.text
    assert "<b>1200 元</b>" in reply.text  # 职业培训补贴, exact
    assert "<b>不高于 1560 元</b>" in reply.text
    # The figure's source and the uplift's rule are in that subsidy's 详细说明.
    assert "测试目录" not in reply.text
    uplift = press(dialogue, context, reply, "详细说明：经贸摩擦企业职工补贴上浮")
    assert "最多上浮30%" in uplift.text and "测试目录，2020年7月23日起执行" in uplift.text
    assert "<b>不高于 1560 元</b>" in uplift.text and not uplift.edit
    assert asked[-1] == ("美容师", "level_4", date(2021, 7, 1))  # the training's date


def test_without_a_catalogue_the_check_never_asks_them(
    pack: PolicyPack, renderer: Renderer, settings: Settings
):
    dialogue = _dialogue(pack, renderer, settings, loaded=False)
    context = Context()
    reply = dialogue.start_check(context)
    for label in WORKER_PRESSES:
        assert "哪个职业（工种）" not in reply.text and "哪个等级" not in reply.text
        reply = press(dialogue, context, reply, label)
    assert "自查结果" in reply.text and "1200" not in reply.text
