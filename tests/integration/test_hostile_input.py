"""Hostile and odd input through the dialogue with the real NLU service, and through
`python -m bot ask --json`: every message gets a valid, safe reply; nothing crashes."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.assistant import build_dialogue
from bot.config import Settings
from bot.dialogue.types import Context
from nlu.client import NluClient
from tests.conftest import NluEndpoint, bot_env, run_bot
from tests.support.hostile import corpus
from tests.support.telegram_html import telegram_html_error


def assert_safe(text: str) -> None:
    assert text.strip()
    assert len(text) <= 4096
    assert telegram_html_error(text) is None, text[:200]
    assert "49" not in text  # {{ 7*7 }} was never evaluated
    assert "<script>" not in text and "DROP TABLE" not in text


async def test_every_hostile_message_gets_a_valid_reply(
    settings: Settings, nlu_endpoint: NluEndpoint, database_url: str
):
    messages = corpus()
    assert len(messages) >= 500
    client = NluClient(nlu_endpoint.url, nlu_endpoint.token, timeout=30)
    assistant = build_dialogue(replace(settings, database_url=database_url), client)
    context = Context()
    for message in messages:
        reply = await assistant.dialogue.handle_text(message, context)
        assert_safe(reply.text)
        for row in reply.buttons:
            for button in row:
                assert len(button.data.encode()) <= 64
    for data in ["", "x" * 200, "t:", "k:", "k:zz:a0.0", "{{ 7*7 }}", "m\x00", "🙂" * 30]:
        assert_safe(assistant.dialogue.handle_button(data, context).text)
    await client.aclose()


def test_hostile_messages_through_ask_json(nlu_endpoint: NluEndpoint, database_url: str):
    lines = [m for m in corpus() if "\n" not in m and "\r" not in m and m.strip()][:300]
    done = run_bot(
        ["ask", "--json"],
        bot_env(nlu_endpoint, database_url),
        stdin="\n".join(lines) + "\n",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    outputs = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outputs) == len([x for x in lines if x.strip()])
    for output in outputs:
        assert output["text"].strip() and "49" not in output["text"]
        assert "110101199003071234" not in output["q"] + output["text"]
