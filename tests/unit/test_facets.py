"""Follow-ups that ask one facet of the previous answer get one or two lines, not the topic."""

from __future__ import annotations

import pytest

from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import TODAY
from tests.support.fake_nlu import FakeNlu, result


def body(text: str) -> str:
    """The reply without its citation footer."""
    return text.split("📄")[0].strip()


@pytest.mark.parametrize(
    ("topic", "question", "must_say", "section"),
    [
        ("apprentice_employee", "要什么证书", "培训合格证书", "四(一)"),
        ("apprentice_employee", "合同要多久", "1年及以上劳动合同", "四(一)"),
        ("apprentice_employee", "补几年", "1—2年", "四(一)"),
        ("work_for_training", "补几个月", "6个月", "四(二)"),
        ("living_allowance", "一个月多少钱", "最低生活保障标准", "三(七)"),
        ("social_training_eligibility", "明年还能再补吗", "每年", "三(一)"),
        ("social_training_frequency", "要什么证书", "专项职业能力证书", "三(一)"),
    ],
)
async def test_facet_follow_up_is_one_or_two_lines(
    dialogue: Dialogue, fake: FakeNlu, topic: str, question: str, must_say: str, section: str
):
    fake.answers[question] = result(question, ("subsidy_amount", 0.5), ("nlu_fallback", 0.3))
    context = Context(last_topic=topic)
    reply = await dialogue.handle_text(question, context)
    assert reply.kind == "answer" and reply.sections == (section,)
    assert must_say in reply.text and section in reply.text
    assert len(body(reply.text).splitlines()) <= 2
    whole = dialogue.handle_button(f"t:{topic}", Context())
    assert len(body(reply.text)) < len(body(whole.text))


async def test_a_new_topic_is_not_read_as_a_facet(dialogue: Dialogue, fake: FakeNlu):
    q = "学徒制补多少"
    fake.answers[q] = result(q, ("apprentice_employee", 0.95))
    reply = await dialogue.handle_text(q, Context(last_topic="living_allowance"))
    assert reply.intent == "apprentice_employee" and "4000" in reply.text


async def test_a_sure_claim_guess_is_still_a_facet_of_the_previous_answer(
    dialogue: Dialogue, fake: FakeNlu
):
    # "要什么证书" right after the apprentice answer: the classifier may be sure it is about
    # claiming, but how to claim says nothing about which subsidy; the facet answers.
    q = "要什么证书"
    fake.answers[q] = result(q, ("service_claim", 0.61), ("social_training_certificates", 0.15))
    reply = await dialogue.handle_text(q, Context(last_topic="apprentice_employee"))
    assert reply.intent == "apprentice_employee" and "培训合格证书" in reply.text


def test_every_facet_renders(pack: PolicyPack, renderer: Renderer):
    for facets in pack.facets.by_topic.values():
        for facet in facets:
            text = renderer.render(facet.template, TODAY, facet=facet.id)
            assert text and "{" not in text, (facet.topic, facet.id)
