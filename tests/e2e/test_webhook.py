"""Webhook mode over HTTP: Telegram's secret-token header is checked; a request without
the right secret is rejected (403) and logged, a right one is answered."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx

from nlu.service import free_port
from tests.conftest import NluEndpoint, spawn_bot
from tests.e2e.conftest import TOKEN, telegram_env
from tests.support.botapi import BotApiStandIn

SECRET = "s3cret-Webhook_token"


def _update(update_id: int, chat: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "小王"},
        },
    }


def test_webhook_checks_the_secret_token(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
):
    port = free_port()
    env = telegram_env(
        nlu_endpoint,
        database_url,
        botapi,
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
        TELEGRAM_WEBHOOK_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    log_path = tmp_path / "bot.log"
    process = spawn_bot(["run"], env, log_path)
    try:
        url = f"http://127.0.0.1:{port}/telegram"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.2)
        registered = botapi.calls("setWebhook")
        body = json.dumps(_update(1, 6001, "学徒制一年补多少钱"))
        headers = {"Content-Type": "application/json"}
        assert httpx.post(url, content=body, headers=headers).status_code == 403
        wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert httpx.post(url, content=body, headers=wrong).status_code == 403
        right = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert httpx.post(url, content=body, headers=right).status_code == 200
        reply = botapi.wait_for_text(6001, "四(一)")
        assert "4000" in reply.text and len(botapi.messages_to(6001)) == 1
        assert registered is not None
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    log = log_path.read_text()
    assert log.count("webhook request rejected (403)") == 2
    assert SECRET not in log and TOKEN.split(":")[1] not in log
