from __future__ import annotations

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
