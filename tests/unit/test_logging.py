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
