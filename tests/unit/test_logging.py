from __future__ import annotations

import json
import logging
import sys

from bot.logging_setup import RedactingFormatter, redact


def test_bot_token_and_query_tokens_are_redacted():
    line = "POST https://api.telegram.org/bot123456789:AAH-abcdefghijklmnopqrstuvwxyz12/getMe"
    assert "AAH-abc" not in redact(line)
    assert "token=<redacted>" in redact("GET /status?token=abc123&x=1")


def test_formatter_redacts_exceptions_too():
    formatter = RedactingFormatter("%(message)s")
    try:
        raise RuntimeError("failed for bot123456789:AAH-abcdefghijklmnopqrstuvwxyz12")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "boom", None, sys.exc_info())
    text = formatter.format(record)
    assert "AAH-abc" not in text and "<bot-token>" in text


def test_json_lines_are_redacted_too():
    from bot.logging_setup import JsonFormatter

    record = logging.LogRecord(
        "bot", logging.INFO, "f", 1, "GET /status?token=%s", ("abc123",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "INFO" and entry["logger"] == "bot"
    assert entry["message"] == "GET /status?token=<redacted>"


def test_webhook_rejections_are_logged_once_a_minute_without_the_secret():
    from bot.logging_setup import WebhookRejections

    now = [0.0]
    rejections = WebhookRejections(every=60, clock=lambda: now[0])

    def wrong_secret() -> logging.LogRecord:
        return logging.LogRecord(
            "telegram.ext.Updater",
            logging.DEBUG,
            "f",
            1,
            "Request had the wrong secret token: %s",
            ("guess-Secret-123",),
            None,
        )

    kept = []
    for second in (0, 1, 2, 59, 61, 62):
        now[0] = second
        record = wrong_secret()
        if rejections.filter(record):
            kept.append(record)
    assert len(kept) == 2
    assert kept[0].levelname == "WARNING"
    assert all("guess-Secret-123" not in r.getMessage() for r in kept)
    assert "4 rejected" in kept[1].getMessage()  # 1, 2, 59 and 61 itself
    oversized = logging.LogRecord(
        "tornado.general",
        logging.INFO,
        "f",
        1,
        "Malformed HTTP message from %s: %s",
        ("127.0.0.1", "Content-Length too long"),
        None,
    )
    now[0] = 200
    assert rejections.filter(oversized) and "body over the size limit" in oversized.getMessage()
    debug = logging.LogRecord("telegram.ext.Updater", logging.DEBUG, "f", 1, "other", None, None)
    assert not rejections.filter(debug)
