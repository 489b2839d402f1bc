"""/healthz and /metrics over HTTP from the running bot; logs carry no secrets or
unmasked personal numbers."""

from __future__ import annotations

import time

import httpx

from tests.e2e.conftest import TOKEN, BotProcess


def _get(port: int, path: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"{path} never answered"
            time.sleep(0.2)


def test_health_metrics_and_clean_logs(bot_process: BotProcess):
    api, port = bot_process.api, bot_process.metrics_port
    health = _get(port, "/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "nlu": True, "database": True}

    api.push_text(8001, "学徒制一年补多少钱")
    api.wait_for_text(8001, "四(一)")
    api.push_text(8001, "今天天气怎么样")
    api.wait_for_text(8001, "范围内")  # the decline (every answer also names 12333)

    metrics = _get(port, "/metrics").text
    assert 'assistant_messages_total{kind="answer"} 1.0' in metrics
    assert 'assistant_intents_total{intent="apprentice_employee"} 1.0' in metrics
    assert "assistant_fallbacks_total 1.0" in metrics  # the weather question
    assert "assistant_nlu_latency_seconds_count" in metrics
    assert "assistant_outbox_pending" in metrics
    assert _get(port, "/nope").status_code == 404

    api.push_text(8001, "我身份证110101199003071234，手机13812345678，能领补贴吗")
    api.wait_for_text(8001, "不要在这里发送身份证号")

    bot_process.stop()
    log = bot_process.log_path.read_text()
    assert "110101199003071234" not in log and "13812345678" not in log
    assert TOKEN.split(":")[1] not in log
