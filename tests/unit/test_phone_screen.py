"""Short on a phone (about 18 Chinese characters a line): every topic answer's body fits 12
lines; a longer answer's rest is behind its "详细说明" button, which sends it."""

from __future__ import annotations

import pytest

from bot.channels.console import reply_json
from bot.dialogue.core import Dialogue
from bot.dialogue.payloads import DETAILS_PREFIX, MENU, TOPIC_PREFIX
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import ASK_JSON_FIELDS, PLAN_DAY, TODAY
from tests.support.fake_nlu import FakeNlu, result
from tests.support.phone import phone_lines
from tests.support.telegram_html import telegram_html_error

MAX_BODY_LINES = 12


def test_phone_lines_wrap_at_18_chinese_characters():
    assert phone_lines("字" * 18) == 1
    assert phone_lines("字" * 19) == 2
    assert phone_lines("a" * 36) == 1 and phone_lines("a" * 37) == 2
    assert phone_lines("<b>谁能领</b>\n\n• " + "字" * 17) == 3  # tags take no room
    assert phone_lines("✅ " + "字" * 15 + "元") == 1  # an emoji is two columns, a space one
    assert phone_lines("✅ " + "字" * 16 + "元") == 2


@pytest.mark.parametrize("today", [PLAN_DAY, TODAY], ids=["during-plan", "after-plan"])
def test_every_topic_answer_body_fits_a_phone_screen(pack: PolicyPack, renderer: Renderer, today):
    too_long = {}
    for topic in pack.topics:
        lines = phone_lines(renderer.render(f"answers/{topic}.j2", today))
        if lines > MAX_BODY_LINES:
            too_long[topic] = lines
    assert too_long == {}, f"answer bodies over {MAX_BODY_LINES} phone lines: {too_long}"


def _buttons(reply) -> list[tuple[str, str]]:
    return [(b.label, b.data) for row in reply.buttons for b in row]


def test_a_long_answer_shows_its_summary_and_the_button_sends_the_rest(
    dialogue: Dialogue, renderer: Renderer
):
    context = Context()
    reply = dialogue.handle_button(TOPIC_PREFIX + "social_training_eligibility", context)
    assert reply.buttons[0] == reply.buttons[0][:1]  # the button has its own row, first
    label, data = _buttons(reply)[0]
    assert label == "📖 详细说明" and data == DETAILS_PREFIX + "social_training_eligibility"
    assert _buttons(reply)[-1][1] == MENU
    # The summary has the rule and its figures; the rest is not repeated in it.
    assert "居住证" in reply.text and "不超过3次" in reply.text and "三(一)" in reply.text
    assert "对口协作地区" not in reply.text
    assert reply.details is not None and "对口协作地区" in reply.details
    details = dialogue.handle_button(data, context)
    assert details.kind == "answer" and details.intent == "social_training_eligibility"
    assert "对口协作地区" in details.text and "详细说明" in details.text
    # The expiry was said with the summary; the details end with the one-line citation.
    assert details.text.splitlines()[-1] == "📄 依据 三(一) · 方案已于2021年底到期"
    assert not any(d.startswith(DETAILS_PREFIX) for _, d in _buttons(details))
    assert _buttons(details)[-1][1] == MENU
    assert telegram_html_error(details.text) is None and not details.edit


def test_every_details_template_is_reachable_and_every_short_answer_has_no_button(
    dialogue: Dialogue, pack: PolicyPack, renderer: Renderer
):
    detailed = {n.removeprefix("details/").removesuffix(".j2") for n in renderer.names("details")}
    for topic in pack.topics:
        reply = dialogue.handle_button(TOPIC_PREFIX + topic, Context())
        offered = [d for _, d in _buttons(reply) if d.startswith(DETAILS_PREFIX)]
        if topic in detailed:
            assert offered == [DETAILS_PREFIX + topic] and reply.details, topic
            pressed = dialogue.handle_button(offered[0], Context())
            assert pressed.intent == topic and pressed.answered, topic
        else:
            assert offered == [] and reply.details is None, topic


async def test_two_long_answers_in_one_message_get_a_labelled_button_each(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    q1, q2 = "专账资金怎么用", "部门有什么职责"
    fake.answers[q1] = result(q1, ("special_account", 0.97))
    fake.answers[q2] = result(q2, ("department_duties", 0.97))
    reply = await dialogue.handle_text(f"{q1}？{q2}？", Context())
    assert reply.intent == "special_account" and "六(二)" in reply.sections
    offered = [(label, d) for label, d in _buttons(reply) if d.startswith(DETAILS_PREFIX)]
    assert offered == [
        (f"📖 详细说明：{pack.topics[t].label}", DETAILS_PREFIX + t)
        for t in ("special_account", "department_duties")
    ]


def test_a_forged_details_button_is_stale(dialogue: Dialogue):
    for data in ("x:", "x:no_such_topic", "x:validity", "x:" + "a" * 60):
        reply = dialogue.handle_button(data, Context())
        assert "过期" in reply.text and reply.kind == "message", data


def test_ask_json_keeps_its_fields_and_adds_the_details(dialogue: Dialogue):
    import json

    reply = dialogue.handle_button(TOPIC_PREFIX + "special_account", Context())
    line = json.loads(reply_json("专账资金怎么用", reply))
    assert tuple(line) == ASK_JSON_FIELDS
    assert "<b>" not in line["details"] and "尚未拨付的职业技能培训项目" in line["details"]
    assert "尚未拨付的职业技能培训项目" not in line["text"]
    short = dialogue.handle_button(TOPIC_PREFIX + "validity", Context())
    assert json.loads(reply_json("有效期", short))["details"] is None


async def test_asked_in_traditional_characters_the_details_are_too(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "外地戶口能領培訓補貼嗎"
    fake.answers[q] = result(q, ("social_training_eligibility", 0.97))
    reply = await dialogue.handle_text(q, Context())
    assert "戶籍" in reply.text and reply.details and "對口協作地區" in reply.details
