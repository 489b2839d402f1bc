"""End to end: the real `python -m bot run` (python-telegram-bot Application, long polling)
against the Bot API stand-in over HTTP on 127.0.0.1, with the real NLU service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.plain import to_plain
from tests.conftest import NluEndpoint, run_bot, spawn_bot
from tests.e2e.conftest import TOKEN, telegram_env
from tests.support.botapi import BotApiStandIn, Sent
from tests.support.check_answers import (
    ENTERPRISE_FACTS,
    ENTERPRISE_PRESSES,
    WORKER_FACTS,
    WORKER_PRESSES,
    verdict_lines,
)


@pytest.fixture()
def running_bot(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
) -> Iterator[tuple[BotApiStandIn, Path]]:
    log_path = tmp_path / "bot.log"
    env = telegram_env(nlu_endpoint, database_url, botapi)
    process = spawn_bot(["run"], env, log_path)
    try:
        yield botapi, log_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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

    api.push_callback(chat, "t:apprentice_employee", message_id=welcome.message_id)
    pressed = api.wait_for_messages(chat, 3)[2]
    assert "4000" in pressed.text and "四(一)" in pressed.text
    assert api.calls("answerCallbackQuery"), "the button press must be acknowledged"

    api.push_text(chat, "今天天气怎么样")
    decline = api.wait_for_messages(chat, 4)[3]
    assert "12333" in decline.text

    assert api.errors == []
    assert TOKEN.split(":")[1] not in log_path.read_text()


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
    assert api.errors == []


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
    message = api.wait_for_messages(chat, 1)[-1]
    for count, label in enumerate(presses, start=2):
        _press(api, chat, message, label)
        message = api.wait_for_messages(chat, count)[-1]
    result = to_plain(message.text)
    assert "自查结果" in result
    for line in verdict_lines(expected):
        assert line in result, (line, result)
    # The result's buttons are live; an old question's button is answered politely.
    first_question = api.messages_to(chat)[0]
    _press(api, chat, first_question, "个人（劳动者、学员）")
    assert "已经结束" in api.wait_for_messages(chat, len(presses) + 2)[-1].text
    # Today is after the plan's end: a claim must be confirmed first, so the result offers
    # no claim reminder (tests/unit/test_check_result_dates.py covers the in-force date).
    assert "请先拨打12333" in result
    assert "⏰ 提醒我申领" not in dict(message.buttons)
    assert api.errors == []
