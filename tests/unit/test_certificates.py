"""Certificates and occupations people name → the clause that governs them."""

from __future__ import annotations

import pytest

from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from tests.support.fake_nlu import FakeNlu, result


@pytest.mark.parametrize(
    ("text", "name", "kind", "topic"),
    [
        ("焊工中级 职业技能等级证", "中级焊工", "skill_level", "social_training_certificates"),
        ("焊工操作证有补贴吗", "焊工", "special_operation", "special_operations"),
        ("电工证能补贴吗", "电工证", "special_operation", "special_operations"),
        ("我考了高级电工", "高级电工", "skill_level", "social_training_certificates"),
        ("叉车证有补贴吗", "叉车证", "special_equipment", "special_operations"),
        ("茶艺师证有补贴吗", "茶艺师", "skill_level", "social_training_certificates"),
        ("SYB证书能补多少", "SYB", "entrepreneurship", "entrepreneurship_training"),
        ("只有培训合格证能领吗", "培训合格证", "training_only", "social_training_certificates"),
    ],
)
def test_certificate_names_find_their_clause(
    pack: PolicyPack, text: str, name: str, kind: str, topic: str
):
    mention = pack.certificates.find(text)
    assert mention is not None
    assert (mention.name, mention.kind.id, mention.kind.topic) == (name, kind, topic)


def test_no_certificate_no_mention(pack: PolicyPack):
    assert pack.certificates.find("外地户口能领补贴吗") is None


async def test_answer_names_the_persons_certificate_and_its_clause(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "焊工中级 职业技能等级证"
    fake.answers[q] = result(q, ("special_operations", 0.63), ("subsidy_amount", 0.2))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "answer" and reply.sections == ("三(一)",)
    assert "中级焊工属于职业技能等级证书" in reply.text
    q2 = "茶艺师证补多少钱"
    fake.answers[q2] = result(q2, ("subsidy_amount", 0.63))
    amount = await dialogue.handle_text(q2, Context())
    assert amount.intent == "subsidy_amount" and "茶艺师" in amount.text


async def test_a_certificate_named_outweighs_another_programmes_money_word(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "厨师证怎么申请国家补助金"
    fake.answers[q] = result(q, ("oos_other_program", 0.48), ("service_claim", 0.3))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "answer" and "三(一)" in reply.sections
