"""Webhook mode over HTTP: Telegram's secret-token header is checked; a request without
the right secret is rejected (403) and logged (once a minute, never with the secret sent),
a right one is answered; a body over the limit is refused before it is read."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx

from nlu.service import free_port
from tests.conftest import NluEndpoint, spawn_bot, stop_process
from tests.e2e.conftest import TOKEN, telegram_env
from tests.support.botapi import BotApiStandIn, text_update

SECRET = "s3cret-Webhook_token"


def _start(botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, log_path: Path):
    port = free_port()
    env = telegram_env(
        nlu_endpoint,
        database_url,
        botapi,
        TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
        TELEGRAM_WEBHOOK_PORT=str(port),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    process = spawn_bot(["run"], env, log_path)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process, port
        except httpx.HTTPError:
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.2)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _post_head(port: int, length: int, sent: bytes) -> bytes:
    """Announce `length` bytes of body, send only `sent`, and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        head = (
            "POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            f"Content-Length: {length}\r\n\r\n"
        )
        connection.sendall(head.encode() + sent)
        return connection.recv(200)


def test_webhook_checks_the_secret_token(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
):
    log_path = tmp_path / "bot.log"
    process, port = _start(botapi, nlu_endpoint, database_url, log_path)
    try:
        url = f"http://127.0.0.1:{port}/telegram"
        registered = botapi.calls("setWebhook")
        body = json.dumps(text_update(1, 6001, "学徒制一年补多少钱"))
        headers = {"Content-Type": "application/json"}
        assert httpx.post(url, content=body, headers=headers).status_code == 403
        wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "guess-Xy7"}
        assert httpx.post(url, content=body, headers=wrong).status_code == 403
        right = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
        assert httpx.post(url, content=body, headers=right).status_code == 200
        reply = botapi.wait_for_text(6001, "四(一)")
        assert "4000" in reply.text and len(botapi.messages_to(6001)) == 1
        assert registered is not None
    finally:
        stop_process(process)
    log = log_path.read_text()
    assert log.count("webhook request rejected (403") == 1  # two within a minute: one line
    assert SECRET not in log and "guess-Xy7" not in log and TOKEN.split(":")[1] not in log


def test_webhook_refuses_oversized_bodies_before_reading_them(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, database_url: str, tmp_path: Path
):
    log_path = tmp_path / "bot.log"
    process, port = _start(botapi, nlu_endpoint, database_url, log_path)
    try:
        before = _rss_kb(process.pid)
        for _ in range(4):  # 90 MB announced, 64 KB sent: refused without waiting for more
            answer = _post_head(port, 90_000_000, b"{" * 65536)
            assert answer.startswith(b"HTTP/1.1 400"), answer
        chunk = b" " * 1_000_000
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            head = (
                "POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            connection.sendall(head.encode())
            try:  # chunked: counted while read, cut off past the limit
                for _ in range(5):
                    connection.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                pass
            assert connection.recv(200).startswith(b"HTTP/1.1 400")
        assert _rss_kb(process.pid) - before < 20_000  # not buffered: under 20 MB more
        body = json.dumps(text_update(7, 6101, "学徒制一年补多少钱"))
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        response = httpx.post(f"http://127.0.0.1:{port}/telegram", content=body, headers=headers)
        assert response.status_code == 200
        botapi.wait_for_text(6101, "四(一)")
    finally:
        stop_process(process)
    log = log_path.read_text()
    assert log.count("webhook request rejected (400") == 1  # five within a minute: one line
    assert SECRET not in log
