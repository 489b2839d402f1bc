"""End to end: the real `python -m bot run` (python-telegram-bot Application, long polling)
against the Bot API stand-in over HTTP on 127.0.0.1, with the real NLU service."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.render import to_plain
from tests.conftest import NluEndpoint, run_bot, spawn_bot, stop_process
from tests.e2e.conftest import TOKEN, telegram_env, unthrottled_config
from tests.support.botapi import BotApiStandIn, Sent, previews_disabled
from tests.support.check_answers import (
    ENTERPRISE_FACTS,
    ENTERPRISE_PRESSES,
    WORKER_FACTS,
    WORKER_PRESSES,
    amount_words,
    verdict_lines,
)
from tests.support.phone import phone_lines


@pytest.fixture()
def running_bot(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
) -> Iterator[tuple[BotApiStandIn, Path]]:
    log_path = tmp_path / "bot.log"
    env = telegram_env(nlu_endpoint, database_url, botapi, unthrottled_config(tmp_path))
    process = spawn_bot(["run"], env, log_path)
    try:
        yield botapi, log_path
    finally:
        stop_process(process)


def test_start_question_and_button_press(running_bot: tuple[BotApiStandIn, Path]):
    api, log_path = running_bot
    chat = 5001
    api.push_text(chat, "/start")
    welcome = api.wait_for_messages(chat, 1)[0]
    assert "政策助手" in welcome.text and "小王" in welcome.text
    assert welcome.params.get("parse_mode") == "HTML"
    topics = [data for _, data in welcome.buttons]
    assert "t:social_training_eligibility" in topics

    api.push_text(chat, "我是外地户口，能领培训补贴吗？")
    answer = api.wait_for_messages(chat, 2)[1]
    assert "居住证" in answer.text and "三(一)" in answer.text
    # A long answer: its summary fits a phone screen, the rest is one tap away.
    assert phone_lines(_body(answer.text)) <= 12
    assert answer.buttons[0] == ("📖 详细说明", "x:social_training_eligibility")
    assert "对口协作地区" not in answer.text
    _press(api, chat, answer, "📖 详细说明")
    details = api.wait_for_messages(chat, 3)[2]
    assert "对口协作地区" in details.text and "三(一)" in details.text
    assert api.edits_to(chat) == []  # the answer stays; the details come below it

    api.push_callback(chat, "t:apprentice_employee", message_id=welcome.message_id)
    pressed = api.wait_for_messages(chat, 4)[3]
    assert "4000" in pressed.text and "四(一)" in pressed.text
    assert api.calls("answerCallbackQuery"), "the button press must be acknowledged"

    api.push_text(chat, "今天天气怎么样")
    decline = api.wait_for_messages(chat, 5)[4]
    assert "12333" in decline.text

    # The Application's Defaults: every message HTML (checked by the stand-in), no previews.
    sent = api.calls("sendMessage")
    assert all(m.params.get("parse_mode") == "HTML" for m in sent)
    assert all(previews_disabled(m) for m in sent)
    assert api.errors == []
    assert TOKEN.split(":")[1] not in log_path.read_text()


def test_traditional_question_and_its_buttons_stay_traditional(
    running_bot: tuple[BotApiStandIn, Path],
):
    api, _ = running_bot
    chat = 5003
    api.push_text(chat, "我是外地戶口，能領培訓補貼嗎？")
    answer = api.wait_for_messages(chat, 1)[0]
    assert "居住證" in answer.text and "居住证" not in answer.text
    assert answer.buttons[0] == ("📖 詳細說明", "x:social_training_eligibility")
    # The conversation remembers the script: the details come in traditional characters.
    _press(api, chat, answer, "📖 詳細說明")
    details = api.wait_for_messages(chat, 2)[1]
    assert "對口協作地區" in details.text and "对口协作地区" not in details.text
    assert api.errors == []


def test_bad_input_gets_clear_replies(running_bot: tuple[BotApiStandIn, Path]):
    api, _ = running_bot
    chat = 5002
    api.push_sticker(chat)
    sticker = api.wait_for_messages(chat, 1)[0]
    # No dead end: the topic menu comes with it.
    assert "文字" in sticker.text and any(d.startswith("t:") for _, d in sticker.buttons)
    api.push_photo(chat)
    assert "文字" in api.wait_for_messages(chat, 2)[1].text
    api.push_callback(chat, "forged:payload")
    assert "过期" in api.wait_for_messages(chat, 3)[2].text
    api.push_text(chat, "/nosuchcommand")
    assert "/start" in api.wait_for_messages(chat, 4)[3].text
    api.push_text(chat, "<b>{{ 7*7 }}</b> {% raw %} & 补贴 " + "字" * 5000)
    reply = api.wait_for_messages(chat, 5)[4]
    assert "49" not in reply.text and len(reply.text) <= 4096
    api.push_text(chat, "/help")
    assert "12333" in api.wait_for_messages(chat, 6)[5].text
    api.push_voice(chat)
    voice = api.wait_for_messages(chat, 7)[6]
    assert "语音转文字" in voice.text and voice.buttons
    # A step pressed on a message Telegram cannot edit (here: one the bot never sent)
    # still moves the check on, in a new message.
    api.push_text(chat, "/check")
    question = api.wait_for_messages(chat, 8)[7]
    api.push_callback(chat, dict(question.buttons)["个人（劳动者、学员）"], message_id=1)
    assert "第2题" in api.wait_for_messages(chat, 9)[8].text
    assert api.edits_to(chat) == []
    assert api.errors == []


def _body(answer_html: str) -> str:
    """An answer without its citation footer (the lines from "📄 依据" on)."""
    return answer_html.split("\n\n📄")[0]


def _press(api: BotApiStandIn, chat: int, message: Sent, label: str) -> None:
    data = dict(message.buttons).get(label)
    assert data, f"no button {label!r} in {message.buttons}"
    api.push_callback(chat, data, message_id=message.message_id)


@pytest.mark.parametrize(
    ("presses", "facts"),
    [(WORKER_PRESSES, WORKER_FACTS), (ENTERPRISE_PRESSES, ENTERPRISE_FACTS)],
    ids=["worker", "enterprise"],
)
def test_self_check_over_telegram_matches_check_json(
    running_bot: tuple[BotApiStandIn, Path], presses: list[str], facts: dict
):
    api, _ = running_bot
    chat = 5100 + len(presses)
    expected = json.loads(
        run_bot(["check", "--json"], dict(os.environ), stdin=json.dumps(facts)).stdout
    )
    api.push_text(chat, "/check")
    question = api.wait_for_messages(chat, 1)[-1]
    # Every step edits the one message of the check (editMessageText), up to the result.
    message = question
    for count, label in enumerate(presses, start=1):
        _press(api, chat, message, label)
        message = api.wait_for_edits(chat, question.message_id, count)[-1]
    assert len(api.messages_to(chat)) == 1
    result = to_plain(message.text)
    assert "自查结果" in result
    for line in verdict_lines(expected):
        # One line per subsidy: its verdict (and amount), no reasons under it.
        assert sum(text.startswith(line) for text in result.splitlines()) == 1, (line, result)
    for verdict in expected["verdicts"]:
        assert all(reason["text"] not in result for reason in verdict["reasons"])
        words = amount_words(verdict)
        assert words is None or words in result
    # A "详细说明" button per subsidy sends that subsidy's reasons, clause by clause.
    labels = [label for label, _ in message.buttons if label.startswith("详细说明：")]
    assert labels == [f"详细说明：{v['label']}" for v in expected["verdicts"]]
    first = expected["verdicts"][0]
    _press(api, chat, message, f"详细说明：{first['label']}")
    detail = to_plain(api.wait_for_messages(chat, 2)[-1].text)
    for reason in first["reasons"]:
        assert f"{reason['text']}（{reason['section']}）" in detail, (reason, detail)
    # An old question's button is answered politely, with a toast, in a new message.
    _press(api, chat, question, "个人（劳动者、学员）")
    assert "已经结束" in api.wait_for_messages(chat, 3)[-1].text
    assert "这个按钮已经过期了" in api.toasts(chat)
    assert len(api.edits_to(chat)) == len(presses)
    # Today is after the plan's end: a claim must be confirmed first, so the result offers
    # no claim reminder (tests/unit/test_check_result_dates.py covers the in-force date).
    assert "请先拨打12333" in result
    assert "⏰ 提醒我申领" not in dict(message.buttons)
    assert api.errors == []


def test_self_check_resumes_after_a_typed_question_and_takes_chinese_numerals(
    running_bot: tuple[BotApiStandIn, Path],
):
    """A question typed mid-check is answered with "继续自查", which shows the step again;
    the number question then takes "两个月"."""
    api, _ = running_bot
    chat = 5301
    api.push_text(chat, "/check")
    question = api.wait_for_messages(chat, 1)[-1]
    presses = [*WORKER_PRESSES[:-1], "城市低保家庭学员"]
    message = question
    for count, label in enumerate(presses[:5], start=1):
        _press(api, chat, message, label)
        message = api.wait_for_edits(chat, question.message_id, count)[-1]
    assert "领过几次" in message.text
    api.push_text(chat, "什么是项目制培训？")
    answer = api.wait_for_messages(chat, 2)[-1]
    assert "项目制" in answer.text and "领过几次" not in answer.text
    assert answer.buttons[0][0] == "继续自查"
    _press(api, chat, answer, "继续自查")
    resumed = api.wait_for_messages(chat, 3)[-1]
    assert "领过几次" in resumed.text and "第6题" in resumed.text
    assert len(api.edits_to(chat)) == 5  # the answer stays; the step is a new message
    message = resumed
    for count, label in enumerate(presses[5:], start=1):
        _press(api, chat, message, label)
        message = api.wait_for_edits(chat, resumed.message_id, count)[-1]
    assert "培训一共几个月" in message.text
    api.push_text(chat, "两个月")
    result = api.wait_for_messages(chat, 4)[-1]
    assert "自查结果" in result.text and "✅ <b>培训期间生活费补贴</b>" in result.text
    assert api.errors == []
