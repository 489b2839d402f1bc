"""Answers through the real NLU service: sections, plan period, follow-ups, traditional
input, personal numbers, other cities, and the unanswered-questions export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.assistant import Assistant, build_dialogue
from bot.config import Settings
from bot.dialogue.types import Context
from nlu.client import NluClient
from tests.conftest import NluEndpoint, bot_env, run_bot


@pytest.fixture()
async def assistant(
    settings: Settings, nlu_endpoint: NluEndpoint, database_url: str
) -> AsyncIterator[Assistant]:
    client = NluClient(nlu_endpoint.url, nlu_endpoint.token, timeout=30)
    yield build_dialogue(replace(settings, database_url=database_url), client)
    await client.aclose()


@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("我是外地户口，能领培训补贴吗？", "三(一)"),
        ("学徒制一年补多少钱", "四(一)"),
        ("以工代训最多补几个月", "四(二)"),
        ("部门月报每个月几号报", "六(一)"),
        ("这个方案现在还有效吗", "附则"),
        ("受经贸摩擦影响的企业职工培训补贴能上浮多少", "三(七)"),
    ],
)
async def test_answers_cite_sections_and_the_plan_period(
    assistant: Assistant, question: str, section: str
):
    reply = await assistant.dialogue.handle_text(question, Context())
    assert reply.answered and section in reply.sections
    assert "2019—2021年" in reply.text and "到期" in reply.text


# Issue #10 point 12: the preamble, 六(一)'s mechanisms, 六(三)'s special account and 四(一)'s
# workflow reference, asked in words that are neither training nor held-out examples.
@pytest.mark.parametrize(
    ("question", "topic", "section"),
    [
        ("这个实施方案是按国务院和省里哪些文件制定的", "legal_basis", "序言"),
        ("提升行动的联络协调和考核通报机制是怎样的", "work_mechanisms", "六(一)"),
        ("专账里的钱能列支哪些培训项目", "special_account", "六(三)"),
        ("企业新型学徒制具体按什么流程办理", "apprentice_workflow", "四(一)"),
    ],
)
async def test_background_questions_reach_their_topics(
    assistant: Assistant, question: str, topic: str, section: str
):
    reply = await assistant.dialogue.handle_text(question, Context())
    assert reply.answered and reply.intent == topic and section in reply.sections


async def test_followups_use_the_previous_topic(assistant: Assistant):
    context = Context()
    first = await assistant.dialogue.handle_text("学徒制一年补多少钱", context)
    assert first.intent == "apprentice_employee"
    certificates = await assistant.dialogue.handle_text("要什么证书？", context)
    assert certificates.intent == "apprentice_employee" and "职业资格证书" in certificates.text
    student = await assistant.dialogue.handle_text("那学生学徒呢？", context)
    assert student.intent == "apprentice_student" and "3000" in student.text


async def test_traditional_chinese_is_understood(assistant: Assistant):
    reply = await assistant.dialogue.handle_text("學徒制一年補多少錢？", Context())
    assert reply.intent == "apprentice_employee" and reply.sections == ("四(一)",)
    reply = await assistant.dialogue.handle_text("培訓期間有生活費補貼嗎", Context())
    assert reply.intent == "living_allowance"


async def test_other_city_gets_this_plans_rule_and_a_note(assistant: Assistant):
    reply = await assistant.dialogue.handle_text(
        "我在杭州打工，户口在外地，能领培训补贴吗", Context()
    )
    assert reply.answered and reply.sections == ("三(一)",)
    assert "杭州的政策可能不同" in reply.text


async def test_out_of_scope_kinds_are_declined(assistant: Assistant):
    for question, must_say in [
        ("养老金每个月能领多少", "养老金"),
        ("失业金怎么申请", "失业保险"),
        ("雨露计划补贴怎么领", "另一项政策"),
        ("帮我查查我的补贴到账没有", "进度"),
        ("今天天气怎么样", "不在"),
    ]:
        reply = await assistant.dialogue.handle_text(question, Context())
        assert not reply.answered and "12333" in reply.text, question
        assert must_say in reply.text, question


async def test_a_level_named_alone_is_a_skill_level_certificate(assistant: Assistant):
    reply = await assistant.dialogue.handle_text("我考了个三级证书，能申请补贴吗", Context())
    assert reply.answered and "三(一)" in reply.sections
    assert "三级证书属于职业技能等级证书" in reply.text


async def test_when_the_money_arrives_gets_the_plans_words_and_a_pointer(assistant: Assistant):
    reply = await assistant.dialogue.handle_text("学徒补贴审核完多久能到账", Context())
    assert (reply.kind, reply.intent) == ("decline", "oos_case_status")
    assert "没有规定具体时间" in reply.text and "六(四)" in reply.text and "12333" in reply.text


async def test_each_question_of_a_message_is_read_on_its_own(assistant: Assistant):
    """The certificate in the first question decides its clause; "多久到账" after it is the
    payment-time reply, as if the two had been sent one after the other."""
    reply = await assistant.dialogue.handle_text("电工证补贴怎么领，多久到账", Context())
    assert reply.answered and reply.sections[0] == "三(四)" and "三(一)" not in reply.sections
    assert "特种作业" in reply.text and "没有规定具体时间" in reply.text


def test_personal_numbers_are_masked_and_misses_exported(
    nlu_endpoint: NluEndpoint, database_url: str
):
    env = bot_env(nlu_endpoint, database_url)
    questions = "今天天气怎么样\n今天天气怎么样\n我身份证110101199003071234，帮我查下补贴到账没\n"
    asked = run_bot(["ask", "--json"], env, stdin=questions)
    assert asked.returncode == 0, asked.stderr
    assert "110101199003071234" not in asked.stdout
    assert "不要在这里发送身份证号" in asked.stdout
    report = run_bot(["report", "unanswered"], env)
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    by_text = {row["question"]: row for row in rows}
    assert by_text["今天天气怎么样"]["count"] == "2"
    assert by_text["今天天气怎么样"]["kind"] == "decline"
    assert "110101199003071234" not in report.stdout
    assert any("******************" in text for text in by_text)


async def test_several_questions_in_one_message(assistant: Assistant):
    reply = await assistant.dialogue.handle_text(
        "我是外地户口，能领培训补贴吗？培训期间有生活费吗？", Context()
    )
    assert reply.answered and set(reply.sections) == {"三(一)", "三(七)"}


async def test_whether_the_plan_goes_on_gets_its_end_date_not_a_choice(assistant: Assistant):
    reply = await assistant.dialogue.handle_text("职业技能提升行动今年还会继续吗", Context())
    assert (reply.kind, reply.sections) == ("answer", ("附则",))
    assert "已经到期" in reply.text and "12333" in reply.text
    successor = await assistant.dialogue.handle_text("新一轮职业技能提升方案出了没", Context())
    assert (successor.kind, successor.intent) == ("decline", "oos_current_policy")


async def test_training_for_the_unemployed_is_answered_not_declined(assistant: Assistant):
    # The classifier is sure it is 失业金; the words say training, and the plan's words choose.
    reply = await assistant.dialogue.handle_text("失业培训每人补多少", Context())
    assert (reply.kind, reply.intent) == ("answer", "subsidy_amount")
    assert "三(一)" in reply.sections


@pytest.mark.parametrize("question", ["办理居住证要住满多久", "失业登记去哪办"])
async def test_getting_a_document_gets_the_office_that_issues_it(
    assistant: Assistant, question: str
):
    reply = await assistant.dialogue.handle_text(question, Context())
    assert reply.kind == "decline" and "派出所" in reply.text and "12333" in reply.text


async def test_who_is_in_charge_gets_the_rule_of_responsibility(assistant: Assistant):
    reply = await assistant.dialogue.handle_text("以工代训归哪个部门管", Context())
    assert (reply.kind, reply.intent) == ("answer", "work_for_training")
    assert reply.sections[0] == "六(二)" and "四(二)" in reply.sections
    assert "谁主管、谁培训、谁负责" in reply.text


async def test_a_letter_to_the_bureau_about_opening_a_school_is_from_an_institution(
    assistant: Assistant,
):
    context = Context()
    reply = await assistant.dialogue.handle_text(
        "我想咨询一下贵单位，怎么开办一所职业培训学校，需要什么手续", context
    )
    assert context.audience == "institution"
    assert reply.kind == "clarify" and reply.candidates[0].topic == "private_institutions"
