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
        ("学插花交社保能申请补贴吗", "插花", "skill_level", "social_training_certificates"),
        ("高级营养师证有技能补贴吗", "高级营养师", "skill_level", "social_training_certificates"),
        # A level with a certificate word and no occupation is a skill-level certificate.
        ("中级考试成绩出来能领补贴吗", "中级证书", "skill_level", "social_training_certificates"),
        ("人力资源三级证书有补贴吗", "三级证书", "skill_level", "social_training_certificates"),
    ],
)
def test_certificate_names_find_their_clause(
    pack: PolicyPack, text: str, name: str, kind: str, topic: str
):
    mention = pack.certificates.find(text)
    assert mention is not None
    assert (mention.name, mention.kind.id, mention.kind.topic) == (name, kind, topic)


@pytest.mark.parametrize(
    "text",
    [
        "外地户口能领补贴吗",
        # Levels of professional titles and other exams are not skill levels.
        "会计中级考试有补贴吗",
        "英语四级证书有用吗",
        "中级职称考试补贴",
        "计算机二级考试",
        # Words that contain a name but are not it.
        "我在汽车工厂上班能领培训补贴吗",
        "骑自行车摔伤了",
    ],
)
def test_no_certificate_no_mention(pack: PolicyPack, text: str):
    assert pack.certificates.find(text) is None


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


async def test_a_claim_question_naming_a_certificate_gets_its_clause_and_how_to_claim(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "美容师证补贴怎么领"
    fake.answers[q] = result(q, ("service_claim", 0.95), ("social_training_certificates", 0.02))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "answer" and reply.intent == "service_claim"
    assert reply.sections == ("三(一)", "六(四)")  # the certificate's clause first
    assert "美容师属于职业技能等级证书" in reply.text and "怎么申领" in reply.text


async def test_money_asked_for_a_certificate_outweighs_a_sure_other_topic(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "美容师中级补多少"
    fake.answers[q] = result(q, ("project_training", 0.93), ("subsidy_amount", 0.03))
    reply = await dialogue.handle_text(q, Context())
    assert reply.intent == "subsidy_amount" and "三(一)" in reply.sections
    assert "中级美容师" in reply.text
    # A count or a duration is not money: the classifier's topic stands.
    q2 = "美容师培训多少天"
    fake.answers[q2] = result(q2, ("project_training", 0.93), ("subsidy_amount", 0.03))
    other = await dialogue.handle_text(q2, Context())
    assert other.intent == "project_training" and "美容师属于" not in other.text


async def test_a_claim_question_naming_a_certificate_is_not_a_case_status_question(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "人力资源管理师补贴怎么领?"
    fake.answers[q] = result(q, ("oos_case_status", 0.96))
    reply = await dialogue.handle_text(q, Context())
    # How to claim asked outright: how to claim, the certificate's clause cited first.
    assert reply.kind == "answer" and reply.intent == "service_claim"
    assert reply.sections == ("三(一)", "六(四)")
    # Asking after one's own payment is still case status.
    q2 = "人力资源管理师补贴什么时候到账"
    fake.answers[q2] = result(q2, ("oos_case_status", 0.96))
    assert (await dialogue.handle_text(q2, Context())).kind == "decline"


async def test_another_programme_needs_naming_when_the_message_is_about_training(
    dialogue: Dialogue, fake: FakeNlu
):
    # Sure of "another programme", but the message asks about a training subsidy and names
    # no other programme: the person is asked, not turned away.
    q = "县里就业局组织的培训，国家补贴是多少"
    fake.answers[q] = result(q, ("oos_other_program", 0.9), ("subsidy_amount", 0.35))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify"
    assert "oos_other_program" in [c.topic for c in reply.candidates]
    # Named, it is declined.
    q2 = "县里的培训算不算人才补贴，国家补贴是多少"
    fake.answers[q2] = result(q2, ("oos_other_program", 0.9), ("subsidy_amount", 0.35))
    assert (await dialogue.handle_text(q2, Context())).kind == "decline"


async def test_how_to_claim_asked_outright_answers_an_unsure_classifier(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "培训补贴怎么领"
    fake.answers[q] = result(q, ("social_training_eligibility", 0.44), ("service_claim", 0.12))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "answer" and reply.intent == "service_claim"
    # "可以申领…吗" asks who may claim, not how.
    q2 = "在校学生可以申领培训补贴吗"
    fake.answers[q2] = result(q2, ("social_training_eligibility", 0.44), ("service_claim", 0.3))
    assert (await dialogue.handle_text(q2, Context())).intent != "service_claim"
