"""Dialogue turns with a fake NLU: answer, clarify, decline, degrade, buttons, bad input."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.dialogue.core import MENU, NONE_OF_THESE, TOPIC_PREFIX, Dialogue
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from nlu.client import Entity
from nlu.normalize import normalize
from tests.conftest import TODAY
from tests.support.fake_nlu import FakeNlu, result


async def test_confident_topic_is_answered_with_its_sections(dialogue: Dialogue, fake: FakeNlu):
    q = "我是外地户口，能领培训补贴吗？"
    fake.answers[q] = result(q, ("social_training_eligibility", 0.95), ("subsidy_amount", 0.02))
    context = Context()
    reply = await dialogue.handle_text(q, context)
    assert reply.answered and reply.kind == "answer"
    assert reply.sections == ("三(一)",)
    assert "居住证" in reply.text and "三(一)" in reply.text
    # Every answer names the plan and its period, and that it has expired by now.
    assert "2019—2021年" in reply.text and "已于2021年12月31日到期" in reply.text
    assert context.last_topic == "social_training_eligibility"


async def test_answer_figures_come_from_parameters(dialogue: Dialogue, fake: FakeNlu):
    q = "学徒制一年补多少钱"
    fake.answers[q] = result(q, ("apprentice_employee", 0.97))
    reply = await dialogue.handle_text(q, Context())
    assert "4000元" in reply.text and "50%" in reply.text and "1—2年" in reply.text
    assert reply.sections == ("四(一)",)


async def test_low_confidence_asks_did_you_mean(dialogue: Dialogue, fake: FakeNlu):
    q = "补贴"
    fake.answers[q] = result(
        q, ("subsidy_amount", 0.40), ("service_claim", 0.30), ("greet", 0.2), ("fraud", 0.1)
    )
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify" and not reply.answered
    assert "您是不是想问" in reply.text
    data = [b.data for row in reply.buttons for b in row]
    # In-scope candidates only (greet is not a topic), best first; fraud at 0.1 is under
    # the floor; then "都不是" and the menu.
    assert data == [
        TOPIC_PREFIX + "subsidy_amount",
        TOPIC_PREFIX + "service_claim",
        NONE_OF_THESE,
        MENU,
    ]
    assert reply.buttons[-1][0].label == "都不是"
    assert [c.topic for c in reply.candidates] == ["subsidy_amount", "service_claim"]
    assert reply.candidates[0].sections == ("三(一)", "六(二)")


async def test_close_second_intent_asks_did_you_mean(dialogue: Dialogue, fake: FakeNlu):
    q = "学徒补贴"
    fake.answers[q] = result(q, ("apprentice_employee", 0.62), ("apprentice_student", 0.58))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify"


async def test_fallback_intent_with_topic_candidates_clarifies(dialogue: Dialogue, fake: FakeNlu):
    q = "那个钱"
    fake.answers[q] = result(q, ("nlu_fallback", 0.35), ("subsidy_amount", 0.3))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify" and not reply.answered


async def test_out_of_scope_is_declined_with_pointer(dialogue: Dialogue, fake: FakeNlu):
    reply = await dialogue.handle_text("今天天气怎么样", Context())
    assert reply.kind == "decline" and not reply.answered
    assert "12333" in reply.text and reply.sections == ()


@pytest.mark.parametrize(
    ("intent", "must_say"),
    [
        ("oos_pension", "养老金"),
        ("oos_unemployment_insurance", "失业保险"),
        ("oos_other_program", "4050"),
        ("oos_case_status", "进度"),
    ],
)
async def test_each_out_of_scope_kind_has_its_own_pointer(
    dialogue: Dialogue, fake: FakeNlu, intent: str, must_say: str
):
    fake.answers["q"] = result("q", (intent, 0.9))
    reply = await dialogue.handle_text("q", Context())
    assert not reply.answered and must_say in reply.text and "12333" in reply.text


async def test_smalltalk_gets_its_reply(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["你是机器人吗"] = result("你是机器人吗", ("bot_challenge", 0.99))
    reply = await dialogue.handle_text("你是机器人吗", Context())
    assert "不是真人" in reply.text and reply.intent == "bot_challenge"


async def test_nlu_down_gives_apology_and_topic_menu(dialogue: Dialogue, fake: FakeNlu):
    fake.down = True
    reply = await dialogue.handle_text("外地户口能领补贴吗", Context())
    assert reply.kind == "degraded" and not reply.answered
    assert "抱歉" in reply.text
    assert any(b.data.startswith(TOPIC_PREFIX) for row in reply.buttons for b in row)
    fake.down = False
    fake.answers["外地户口能领补贴吗"] = result(
        "外地户口能领补贴吗", ("social_training_eligibility", 0.9)
    )
    assert (await dialogue.handle_text("外地户口能领补贴吗", Context())).answered


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200b\u200f"])
async def test_empty_message_gets_a_prompt_and_skips_nlu(dialogue: Dialogue, fake: FakeNlu, text):
    reply = await dialogue.handle_text(text, Context())
    assert "空消息" in reply.text and fake.seen == []


async def test_huge_message_is_cut_and_says_so(
    dialogue: Dialogue, fake: FakeNlu, settings: Settings
):
    reply = await dialogue.handle_text("补贴" * 5000, Context())
    assert len(fake.seen[0]) == settings.dialogue.max_input_chars
    assert "只看了前" in reply.text and len(reply.text) < 4096


async def test_template_syntax_and_markup_in_input_are_not_rendered(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "{{ plan.hotline }} <b>x</b> {% for x in y %}"
    fake.answers[q] = result(q, ("subsidy_amount", 0.3), ("service_claim", 0.28))
    reply = await dialogue.handle_text(q, Context())
    assert "{{" not in reply.text and "<b>x</b>" not in reply.text


async def test_personal_numbers_never_reach_nlu_or_logs(
    dialogue: Dialogue, fake: FakeNlu, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    await dialogue.handle_text("我身份证110101199003071234手机13812345678能领吗", Context())
    sent = fake.seen[0]
    assert "110101199003071234" not in sent and "13812345678" not in sent
    assert "110101199003071234" not in caplog.text and "13812345678" not in caplog.text


def test_topic_button_answers_that_topic(dialogue: Dialogue):
    reply = dialogue.handle_button(TOPIC_PREFIX + "living_allowance", Context())
    assert reply.answered and reply.sections == ("三(七)",) and "6个月" in reply.text


def test_none_of_these_points_to_12333(dialogue: Dialogue):
    reply = dialogue.handle_button(NONE_OF_THESE, Context())
    assert "12333" in reply.text and not reply.answered


def test_menu_button_shows_topics(dialogue: Dialogue, pack: PolicyPack):
    reply = dialogue.handle_button(MENU, Context())
    data = [b.data for row in reply.buttons for b in row]
    assert data == [TOPIC_PREFIX + t for t in pack.menu]


@pytest.mark.parametrize("data", ["t:no_such_topic", "x", "", "t:", "t:../../etc", "🙂" * 40])
def test_stale_or_forged_button_is_answered_politely(dialogue: Dialogue, data: str):
    reply = dialogue.handle_button(data, Context())
    assert "过期" in reply.text and not reply.answered


def test_all_button_payloads_fit_telegram(dialogue: Dialogue, pack: PolicyPack):
    for topic in pack.topics:
        assert len((TOPIC_PREFIX + topic).encode()) <= 64


def test_welcome_greets_by_name_with_the_topic_menu(dialogue: Dialogue, pack: PolicyPack):
    reply = dialogue.welcome("小王")
    assert "小王" in reply.text
    # Today is after the plan: the welcome says so, with where to ask about current policy.
    assert "已于2021年12月31日到期" in reply.text and "12333" in reply.text
    assert [b.data for row in reply.buttons for b in row] == [TOPIC_PREFIX + t for t in pack.menu]


async def test_short_followup_is_read_in_the_previous_topic(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["学徒制补贴多少"] = result("学徒制补贴多少", ("apprentice_employee", 0.95))
    fake.answers["要什么证书？"] = result("要什么证书？", ("social_training_certificates", 0.9))
    context = Context()
    await dialogue.handle_text("学徒制补贴多少", context)
    followup = await dialogue.handle_text("要什么证书？", context)
    assert followup.intent == "apprentice_employee" and "职业资格证书" in followup.text
    # Without that context the same words are about social training certificates.
    fresh = await dialogue.handle_text("要什么证书？", Context())
    assert fresh.intent == "social_training_certificates"


async def test_long_message_is_not_treated_as_followup(dialogue: Dialogue, fake: FakeNlu):
    q = "我想问一下社会上的职业培训一般需要考到哪些证书才能申请补贴呢"
    fake.answers["学徒制补贴多少"] = result("学徒制补贴多少", ("apprentice_employee", 0.95))
    fake.answers[q] = result(q, ("social_training_certificates", 0.9))
    context = Context()
    await dialogue.handle_text("学徒制补贴多少", context)
    assert (await dialogue.handle_text(q, context)).intent == "social_training_certificates"


async def test_personal_numbers_get_a_warning_and_the_answer(dialogue: Dialogue, fake: FakeNlu):
    q = "我手机13812345678，学徒补多少"
    fake.answers["我手机,学徒补多少"] = result(q, ("apprentice_employee", 0.95))
    reply = await dialogue.handle_text(q, Context())
    assert "不要在这里发送身份证号" in reply.text and "13812345678" not in reply.text
    assert reply.answered and "4000" in reply.text


async def test_other_city_gets_this_plans_rule_and_a_note(dialogue: Dialogue, fake: FakeNlu):
    q = "我在杭州上班，能领培训补贴吗"
    nlu_result = result(q, ("social_training_eligibility", 0.95))
    fake.answers[q] = replace(
        nlu_result, entities=(Entity("city", "杭州", 2, 4), Entity("city", "杭州", 9, 11))
    )
    reply = await dialogue.handle_text(q, Context())
    assert reply.answered and "居住证" in reply.text
    assert "杭州的政策可能不同" in reply.text and reply.text.count("杭州") == 1


async def test_several_questions_get_one_answer_each(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["外地户口能领补贴吗"] = result(
        "外地户口能领补贴吗", ("social_training_eligibility", 0.95)
    )
    fake.answers["学徒补多少"] = result("学徒补多少", ("apprentice_employee", 0.95))
    context = Context()
    reply = await dialogue.handle_text("外地户口能领补贴吗？学徒补多少？好的。", context)
    assert reply.answered and reply.sections == ("三(一)", "四(一)")
    assert "居住证" in reply.text and "4000" in reply.text
    # Each answer cites its own sections; the plan's expiry is said in full once.
    assert reply.text.index("三(一)") < reply.text.index("4000") < reply.text.index("依据 四(一)")
    assert reply.text.count("📄 依据") == 2 and reply.text.count("12月31日到期") == 1
    assert len(reply.text) < 4096
    assert context.last_topic == "apprentice_employee"
    labels = [b.label for row in reply.buttons for b in row]
    assert "📖 详细说明：谁能领培训补贴" in labels and labels[-1] == "菜单"
    assert len(labels) == len(set(labels)) <= 5


async def test_each_question_of_a_message_is_read_as_if_asked_alone(
    dialogue: Dialogue, fake: FakeNlu
):
    """The certificate named in the first question and "多久到账" in the second are both read:
    the electrician's card is 三(四), and the money's timing is not the plan's to say."""
    fake.answers["电工证补贴怎么领"] = result("电工证补贴怎么领", ("service_claim", 0.9))
    fake.answers["多久到账"] = result("多久到账", ("oos_case_status", 0.5))
    context = Context()
    reply = await dialogue.handle_text("电工证补贴怎么领，多久到账", context)
    assert reply.kind == "answer" and reply.answered
    assert reply.sections[0] == "三(四)" and "六(四)" in reply.sections
    assert "三(一)" not in reply.sections
    assert "特种作业" in reply.text and "没有规定具体时间" in reply.text
    assert context.last_topic == "service_claim"


@pytest.mark.parametrize(
    "text",
    [
        # Statements of background, not questions ("。" ends each).
        "建议培训期间企业发生活补贴。外地户口也要能领补贴。",
        # A letter: longer than letter_chars, one matter however many "？".
        "我是前年参加的电工培训，考了证，单位也交着社保，外地户口能领补贴吗？"
        "到现在一年多了，找了几次都说在审核，补贴款到底什么时候发？",
    ],
)
async def test_statements_and_letters_are_read_whole(dialogue: Dialogue, fake: FakeNlu, text: str):
    from bot.dialogue.core import split_questions

    # Each part alone would be answered, each from another topic.
    parts = split_questions(text, 3)
    assert len(parts) >= 2
    topics = ["living_allowance", "apprentice_employee", "subsidy_amount"]
    for part, topic in zip(parts, topics, strict=False):
        fake.answers[part] = result(part, (topic, 0.95))
    fake.answers[text] = result(text, ("oos_case_status", 0.95))
    reply = await dialogue.handle_text(text, Context())
    assert (reply.kind, reply.intent) == ("decline", "oos_case_status")


async def test_a_message_whose_questions_do_not_settle_is_read_whole(
    dialogue: Dialogue, fake: FakeNlu
):
    """One answer and one vague part: the whole message decides, and the trial reading of
    its parts leaves the conversation as it was."""
    q = "外地户口能领补贴吗？那个呢？"
    fake.answers["外地户口能领补贴吗"] = result(
        "外地户口能领补贴吗", ("social_training_eligibility", 0.95)
    )
    fake.answers["那个呢"] = result("那个呢", ("nlu_fallback", 0.3), ("fraud", 0.1))
    fake.answers[q] = result(q, ("apprentice_employee", 0.9))
    context = Context(last_topic="living_allowance")
    reply = await dialogue.handle_text(q, context)
    assert reply.intent == "apprentice_employee" and reply.sections == ("四(一)",)
    assert context.last_topic == "apprentice_employee" and context.expiry_noted


def test_split_questions_keeps_real_questions_only():
    from bot.dialogue.core import split_questions

    assert split_questions("外地户口能领补贴吗？学徒补多少？好的。", 3) == [
        "外地户口能领补贴吗",
        "学徒补多少",
    ]
    assert split_questions("一二三四？五六七八？九十百千？万亿兆京？", 3) == [
        "一二三四",
        "五六七八",
        "九十百千",
    ]


# ---- real questions: no dead ends, careful declines, who is asking ---------------------------


async def test_abuse_decline_needs_abusive_words(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["去哪儿申请"] = result("去哪儿申请", ("oos_abuse", 0.7), ("service_claim", 0.2))
    reply = await dialogue.handle_text("去哪儿申请", Context())
    assert reply.kind != "decline" and "抱歉没能帮上忙" not in reply.text
    assert reply.buttons
    rude = await dialogue.handle_text("你们就是一群废物", Context())
    assert rude.kind == "decline" and rude.intent == "oos_abuse" and rude.buttons


async def test_decline_with_a_policy_cue_needs_high_confidence(dialogue: Dialogue, fake: FakeNlu):
    q = "培训补贴的事到哪一步了"
    fake.answers[q] = result(q, ("oos_case_status", 0.6), ("key_groups", 0.35))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify"
    # The decline stays one tap away, next to the topic.
    assert {c.topic for c in reply.candidates} >= {"oos_case_status", "key_groups"}
    data = [b.data for row in reply.buttons for b in row]
    assert "d:oos_case_status" in data
    declined = dialogue.handle_button("d:oos_case_status", Context())
    assert declined.kind == "decline" and "12333" in declined.text
    q2 = "养老金什么时候涨"
    fake.answers[q2] = result(q2, ("oos_pension", 0.71))
    assert (await dialogue.handle_text(q2, Context())).kind == "decline"


async def test_every_reply_that_is_not_an_answer_has_buttons(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["嗯"] = result("嗯", ("nlu_fallback", 0.3))
    vague = await dialogue.handle_text("嗯", Context())
    assert vague.kind == "menu" and vague.buttons and not vague.answered
    # Punctuation or emoji alone: the menu, whatever the classifier would guess.
    for text in ("？？", "??", "…", "👍👍"):
        fake.answers[normalize(text)] = result(text, ("oos_other_program", 0.99))
        reply = await dialogue.handle_text(text, Context())
        assert reply.kind == "menu" and reply.buttons, text
    declined = await dialogue.handle_text("今天天气怎么样", Context())
    assert declined.kind == "decline" and declined.buttons
    for reply in (
        dialogue.handle_button(NONE_OF_THESE, Context()),
        dialogue.handle_button("t:no_such_topic", Context()),
        dialogue.message("non_text"),
    ):
        assert any(b.data == TOPIC_PREFIX + "subsidy_amount" for row in reply.buttons for b in row)


async def test_department_topics_are_offered_only_to_departments(dialogue: Dialogue, fake: FakeNlu):
    for q in ("那个表", "我们局那个表"):
        fake.answers[q] = result(
            q, ("monthly_report", 0.4), ("service_claim", 0.3), ("subsidy_amount", 0.2)
        )
    worker = await dialogue.handle_text("那个表", Context())
    assert "monthly_report" not in [c.topic for c in worker.candidates]
    context = Context()
    department = await dialogue.handle_text("我们局那个表", context)
    assert department.candidates[0].topic == "monthly_report"
    assert context.audience == "department"


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("我想咨询一下贵单位，怎么办一个培训学校", "institution"),
        ("请问贵局，我们公司员工培训有补贴吗", "enterprise"),
        ("想问一下贵单位，培训补贴怎么领", None),
    ],
)
def test_the_receiver_named_says_nothing_about_who_is_asking(
    pack: PolicyPack, text: str, audience: str | None
):
    assert pack.cues.audience(text) == audience


async def test_traditional_question_gets_traditional_reply(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["外地戶口能領補貼嗎"] = result("q", ("social_training_eligibility", 0.95))
    reply = await dialogue.handle_text("外地戶口能領補貼嗎", Context())
    assert reply.answered and "戶籍" in reply.text and "户籍" not in reply.text
    declined = await dialogue.handle_text("今天天氣怎麼樣", Context())
    labels = [b.label for row in declined.buttons for b in row]
    assert "範圍" in declined.text and "補貼標準（目錄清單）" in labels
    simplified = await dialogue.handle_text("今天天气怎么样", Context())
    assert "范围" in simplified.text
    assert "补贴标准（目录清单）" in [b.label for row in simplified.buttons for b in row]


async def test_buttons_pressed_after_a_traditional_question_answer_in_traditional(
    dialogue: Dialogue, fake: FakeNlu
):
    fake.answers["外地戶口能領補貼嗎"] = result("q", ("social_training_eligibility", 0.95))
    context = Context()
    await dialogue.handle_text("外地戶口能領補貼嗎", context)
    details = dialogue.handle_button("x:social_training_eligibility", context)
    assert (
        details.kind == "answer" and "詳細說明" in details.text and "详细说明" not in details.text
    )
    await dialogue.handle_text("123", context)  # neither script: still traditional
    assert "話題" in dialogue.handle_button(MENU, context).text
    await dialogue.handle_text("今天天气怎么样", context)  # simplified again
    menu = dialogue.handle_button(MENU, context)
    assert "话题" in menu.text and "話題" not in menu.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("学徒制补多少，要什么证书", ["学徒制补多少", "要什么证书"]),
        ("我是外地户口，能领补贴吗", ["我是外地户口，能领补贴吗"]),
        ("一年能补几次然后补多少钱", ["一年能补几次", "补多少钱"]),
        ("学徒补多少？还想问生活费补贴谁能领", ["学徒补多少", "生活费补贴谁能领"]),
    ],
)
def test_split_questions(text: str, expected: list[str]):
    from bot.dialogue.core import split_questions

    assert split_questions(text, 3) == expected


@pytest.mark.parametrize(
    ("text", "intent", "group_says", "sections"),
    [
        ("我是建档立卡贫困户家里的", "oos_case_status", "建档立卡", {"三(七)", "四(二)"}),
        ("残疾人能享受什么", "key_groups", "就业困难人员", {"二(一)", "三(七)"}),
        ("我是农村出来打工的 算不算", "nlu_fallback", "外地户口", {"二(一)", "三(一)"}),
    ],
)
async def test_a_named_group_gets_the_clauses_for_it(
    dialogue: Dialogue, fake: FakeNlu, text: str, intent: str, group_says: str, sections: set
):
    fake.answers[text] = result(text, (intent, 0.6))
    reply = await dialogue.handle_text(text, Context())
    assert reply.kind == "answer" and reply.answered
    assert group_says in reply.text and sections <= set(reply.sections)
    assert all(s in reply.text for s in sections)


async def test_a_letter_naming_a_group_in_passing_is_not_a_self_description(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "我想问一下，农民工和下岗职工培训补贴的审批工作什么时候会继续？补贴款什么时候发？"
    fake.answers[q] = result(q, ("oos_case_status", 0.6), ("service_claim", 0.1))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and reply.intent == "oos_case_status"


async def test_several_questions_about_a_certificates_administration_are_declined_whole(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "制冷与空调作业证分为几种?如何报名?"
    for part, intent in [
        ("制冷与空调作业证分为几种", "special_operations"),
        ("如何报名", "service_claim"),
    ]:
        fake.answers[part] = result(part, (intent, 0.9))
    fake.answers[q] = result(q, ("special_operations", 0.6))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and not reply.sections


async def test_another_programmes_benefit_is_declined_with_its_pointer(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "杭州上班有住房补贴吗多少钱"
    fake.answers[q] = result(q, ("social_training_eligibility", 0.7), ("oos_other_program", 0.2))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and reply.intent == "oos_other_program" and reply.buttons
    # Training named: not declined on the benefit word alone.
    q2 = "住房困难的人参加技能培训有补贴吗"
    fake.answers[q2] = result(q2, ("social_training_eligibility", 0.9))
    assert (await dialogue.handle_text(q2, Context())).kind == "answer"


async def test_the_previous_topic_leads_a_vague_follow_ups_candidates(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "那这个呢怎么弄"
    fake.answers[q] = result(q, ("service_claim", 0.36), ("living_allowance", 0.32))
    fresh = await dialogue.handle_text(q, Context())
    assert [c.topic for c in fresh.candidates][:2] == ["service_claim", "living_allowance"]
    after = await dialogue.handle_text(q, Context(last_topic="living_allowance"))
    assert after.candidates[0].topic == "living_allowance"


async def test_answers_offer_related_topics_and_say_the_expiry_once(
    dialogue: Dialogue, fake: FakeNlu
):
    q1, q2 = "学徒制一年补多少钱", "外地户口能领补贴吗"
    fake.answers[q1] = result(q1, ("apprentice_employee", 0.97))
    fake.answers[q2] = result(q2, ("social_training_eligibility", 0.97))
    context = Context()
    first = await dialogue.handle_text(q1, context)
    data = [b.data for row in first.buttons for b in row]
    assert data[-1] == MENU and 2 <= len(data) - 1 <= 3
    assert TOPIC_PREFIX + "apprentice_student" in data
    assert "已于2021年12月31日到期" in first.text
    second = await dialogue.handle_text(q2, context)
    footer = second.text.splitlines()[-1]
    assert footer == "📄 依据 三(一) · 方案已于2021年底到期"
    assert "已于2021年12月31日到期" not in second.text


# ---- issue #10 point 12: what no answer reached before ----


@pytest.mark.parametrize(
    ("topic", "sections", "wanted"),
    [
        ("legal_basis", ("序言",), "国办发〔2019〕24号"),
        ("work_mechanisms", ("六(一)",), "考核通报"),
        ("special_account", ("六(三)", "附则"), "主管部门管理拨付"),
        ("apprentice_workflow", ("四(一)",), "X人社发〔2019〕51号"),
    ],
)
async def test_background_topics_are_answered_with_their_clauses(
    dialogue: Dialogue, fake: FakeNlu, topic: str, sections: tuple[str, ...], wanted: str
):
    q = f"问{topic}"
    fake.answers[q] = result(q, (topic, 0.95))
    for reply in (
        await dialogue.handle_text(q, Context()),
        dialogue.handle_button(TOPIC_PREFIX + topic, Context()),
    ):
        assert reply.answered and reply.intent == topic and reply.sections == sections
        assert wanted in reply.text and "已于2021年12月31日到期" in reply.text
        for section in sections:
            assert section in reply.text


async def test_how_to_apply_after_an_apprentice_answer_is_the_workflow(
    dialogue: Dialogue, fake: FakeNlu
):
    fake.answers["学徒制补贴多少"] = result("学徒制补贴多少", ("apprentice_employee", 0.95))
    fake.answers["怎么申请？"] = result("怎么申请？", ("service_claim", 0.9))
    context = Context()
    await dialogue.handle_text("学徒制补贴多少", context)
    followup = await dialogue.handle_text("怎么申请？", context)
    assert followup.intent == "apprentice_workflow" and "51号" in followup.text
    # Without that context it is the general claim answer.
    assert (await dialogue.handle_text("怎么申请？", Context())).intent == "service_claim"


async def test_coordination_mechanisms_are_offered_only_to_departments(
    dialogue: Dialogue, fake: FakeNlu
):
    for q in ("那个机制", "我们局那个机制"):
        fake.answers[q] = result(
            q, ("work_mechanisms", 0.4), ("monthly_report", 0.3), ("service_claim", 0.2)
        )
    worker = await dialogue.handle_text("那个机制", Context())
    assert "work_mechanisms" not in [c.topic for c in worker.candidates]
    department = await dialogue.handle_text("我们局那个机制", Context())
    assert department.candidates[0].topic == "work_mechanisms"


async def test_asking_for_help_in_words_gets_the_help_text(dialogue: Dialogue, fake: FakeNlu):
    fake.answers["你能做什么"] = result("你能做什么", ("help", 0.95))
    reply = await dialogue.handle_text("你能做什么", Context())
    assert reply.kind == "smalltalk" and "/help" in reply.text and reply.buttons


async def test_unsure_guess_at_an_unrelated_message_is_declined_with_the_menu(
    dialogue: Dialogue, fake: FakeNlu
):
    # Nothing in it ties it to the plan: a pointer, not a list of unrelated topics.
    q = "本人的社保卡不慎丢失了，请问怎么处理？"
    ranking = (("nlu_fallback", 0.35), ("publicity", 0.2), ("oos_case_status", 0.1))
    fake.answers[q] = result(q, *ranking)
    reply = await dialogue.handle_text(q, Context())
    # A decline guessed at 0.1 is no better than none: the general pointer.
    assert reply.kind == "decline" and reply.intent == "out_of_scope"
    assert any(reply.buttons)
    # A decline the classifier does lean to gives its own pointer.
    q3 = "我上个月交的材料审核好了没有，能不能查一下"
    fake.answers[q3] = result(q3, ("nlu_fallback", 0.35), ("oos_case_status", 0.33))
    assert (await dialogue.handle_text(q3, Context())).intent == "oos_case_status"
    # The same unsure guess at a message naming a subsidy is still a clarification.
    q2 = "请问那个补贴现在还有没有，想了解一下"
    fake.answers[q2] = result(q2, ("nlu_fallback", 0.35), ("subsidy_amount", 0.3))
    assert (await dialogue.handle_text(q2, Context())).kind == "clarify"
    # A short fragment gets the menu, not a decline.
    fake.answers["嗯嗯"] = result("嗯嗯", ("nlu_fallback", 0.3))
    assert (await dialogue.handle_text("嗯嗯", Context())).kind == "menu"


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        # A certificate's administration: the issuing bodies.
        ("叉车证满四年复审要交钱吗", "发证机构"),
        ("中级职称考试成绩什么时候公布", "发证机构"),
        ("电工证过期了怎么办", "发证机构"),
        ("常州哪里可以办焊工证", "发证机构"),
        ("哪里可以办理办学许可证", None),
        ("叉车证复审培训有补贴吗", None),
        ("学生学徒和职工学徒有啥区别", None),
        # Getting a document the plan names as a condition: the office that issues it.
        ("住多久才可以办理居住证", "派出所"),
        ("失业登记怎么操作", "派出所"),
        ("社保卡丢了去哪办", "派出所"),
        # Whether the plan needs it, or the document with training or a subsidy: the plan's.
        ("要先去失业登记吗", None),
        ("办了居住证能领培训补贴吗", None),
        ("办理失业登记后参加培训有补贴吗", None),
    ],
)
async def test_administration_is_declined_with_its_office_however_sure_the_classifier_is(
    dialogue: Dialogue, fake: FakeNlu, text: str, pointer: str | None
):
    fake.answers[text] = result(text, ("special_operations", 0.95))
    reply = await dialogue.handle_text(text, Context())
    assert (reply.kind == "decline") is (pointer is not None)
    if pointer is not None:
        assert pointer in reply.text and "12333" in reply.text and any(reply.buttons)


@pytest.mark.parametrize(
    ("text", "topic", "noted"),
    [
        ("以工代训是哪个部门管", "work_for_training", True),
        ("学徒制补贴归哪个部门负责", "apprentice_employee", True),
        # The topic's own clause says who is in charge.
        ("培训资金由哪个部门负责监管", "fund_supervision", False),
        ("各部门职责谁负责", "department_duties", False),
        # Where to apply is not who is in charge.
        ("以工代训找哪个部门申请", "work_for_training", False),
    ],
)
async def test_who_is_in_charge_gets_the_plans_rule_of_responsibility_first(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack, text: str, topic: str, noted: bool
):
    fake.answers[text] = result(text, (topic, 0.93))
    reply = await dialogue.handle_text(text, Context())
    assert reply.kind == "answer" and reply.intent == topic
    assert reply.text.startswith("💡 按方案“谁主管、谁培训、谁负责”") is noted
    assert ("六(二)" in reply.sections) is (noted or "六(二)" in pack.topics[topic].sections)
    assert set(pack.topics[topic].sections) <= set(reply.sections)


async def test_a_whole_question_with_no_candidate_says_so_with_pointer_and_menu(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    q = "西地省职业技能鉴定个人网上申请什么时候开通？"
    fake.answers[q] = result(q, ("nlu_fallback", 0.35))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and not reply.answered
    assert "没找到" in reply.text and "12333" in reply.text
    offered = {b.data for row in reply.buttons for b in row}
    assert {TOPIC_PREFIX + topic for topic in pack.menu} <= offered


async def test_training_for_the_unemployed_is_not_declined_as_unemployment_benefit(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "失业培训要多少钱"
    fake.answers[q] = result(q, ("oos_unemployment_insurance", 0.97), ("subsidy_amount", 0.01))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind in {"clarify", "menu"} and reply.buttons  # asked, not declined
    # Naming the benefit itself is still declined with its pointer.
    q2 = "参加培训期间失业金还发吗"
    fake.answers[q2] = result(q2, ("oos_unemployment_insurance", 0.97))
    assert (await dialogue.handle_text(q2, Context())).kind == "decline"


@pytest.mark.parametrize(
    ("text", "guess", "says"),
    [
        # About a training subsidy: the plan sets no time, and says what 六(四) does.
        ("以工代训补贴多久到账", ("work_for_training", 0.93), "没有规定具体时间"),
        ("技能补贴公示后多久收到补贴款?", ("oos_other_program", 0.95), "六(四)"),
        # A subsidy with nothing of training: only the pointer.
        ("审核通过后还有多久拿补贴", ("department_duties", 0.38), "我这里查不到"),
    ],
)
async def test_when_the_money_arrives_is_a_case_status_reply_with_the_plans_words(
    dialogue: Dialogue, fake: FakeNlu, text: str, guess: tuple[str, float], says: str
):
    fake.answers[text] = result(text, guess)
    reply = await dialogue.handle_text(text, Context())
    assert (reply.kind, reply.intent) == ("decline", "oos_case_status")
    assert says in reply.text and "12333" in reply.text and any(reply.buttons)


@pytest.mark.parametrize(
    ("text", "guess", "intent"),
    [
        # When to apply is not when the money arrives.
        ("技能提升补贴什么时候申领?有时间限制吗?", ("service_claim", 0.9), "service_claim"),
        # Another programme's benefit keeps its own decline.
        ("人才购房补贴什么时候到账", ("oos_other_program", 0.9), "oos_other_program"),
        # A duration, or a certificate's arrival, is not about money.
        ("培训要多久", ("training_categories", 0.9), "training_categories"),
        ("多久能拿到证书", ("social_training_certificates", 0.9), "social_training_certificates"),
    ],
)
async def test_other_timing_questions_are_left_to_the_other_rules(
    dialogue: Dialogue, fake: FakeNlu, text: str, guess: tuple[str, float], intent: str
):
    fake.answers[text] = result(text, guess)
    assert (await dialogue.handle_text(text, Context())).intent == intent


async def test_when_the_money_arrives_right_after_an_answer_is_about_that_subsidy(
    dialogue: Dialogue, fake: FakeNlu
):
    context = Context()
    q = "以工代训补贴怎么申请"
    fake.answers[q] = result(q, ("work_for_training", 0.95))
    assert (await dialogue.handle_text(q, context)).intent == "work_for_training"
    followup = "多久能到账"
    fake.answers[followup] = result(followup, ("nlu_fallback", 0.35))
    reply = await dialogue.handle_text(followup, context)
    assert (reply.kind, reply.intent) == ("decline", "oos_case_status")
    assert "六(四)" in reply.text and "12333" in reply.text


@pytest.mark.parametrize(
    ("text", "kind", "intent"),
    [
        # The plan named with a word of its going on: its validity clause, not a choice.
        ("职业技能提升行动今年还会继续吗", "answer", "validity"),
        ("方案到哪年结束", "answer", "validity"),
        # What came after it: today's policy is not this plan's to say.
        ("新一轮职业技能提升方案出了没", "decline", "oos_current_policy"),
    ],
)
async def test_whether_the_plan_goes_on_is_answered_directly(
    dialogue: Dialogue, fake: FakeNlu, text: str, kind: str, intent: str
):
    fake.answers[text] = result(
        text, ("oos_current_policy", 0.45), ("validity", 0.3), ("legal_basis", 0.2)
    )
    reply = await dialogue.handle_text(text, Context())
    assert (reply.kind, reply.intent) == (kind, intent)
    assert "2021年12月31日" in reply.text and "12333" in reply.text


async def test_a_confident_topic_is_not_taken_for_the_plans_period(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "学徒合同到期了，学徒补贴还会继续发吗"  # the plan is not named: the topic answers
    fake.answers[q] = result(q, ("apprentice_employee", 0.5), ("validity", 0.2))
    fake.answers["方案里的学徒补贴标准还会调整吗"] = result(
        "方案里的学徒补贴标准还会调整吗", ("apprentice_employee", 0.9)
    )
    assert (await dialogue.handle_text(q, Context())).intent != "validity"
    confident = await dialogue.handle_text("方案里的学徒补贴标准还会调整吗", Context())
    assert confident.intent == "apprentice_employee"


class _Misses:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def record(self, text: str, kind: str, intent: str | None, confidence: float | None) -> None:
        self.rows.append((text, kind))


async def test_the_declined_part_of_a_message_with_several_questions_is_recorded(
    pack: PolicyPack, renderer: Renderer, fake: FakeNlu, settings: Settings
):
    misses = _Misses()
    dialogue = Dialogue(pack, renderer, fake, settings.dialogue, today=lambda: TODAY, misses=misses)
    fake.answers["学徒补多少"] = result("学徒补多少", ("apprentice_employee", 0.95))
    fake.answers["养老金怎么领"] = result("养老金怎么领", ("oos_pension", 0.97))
    reply = await dialogue.handle_text("学徒补多少？养老金怎么领？", Context())
    assert reply.kind == "answer" and "4000" in reply.text and "12333" in reply.text
    assert misses.rows == [("养老金怎么领", "decline")]
