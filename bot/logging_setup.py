"""Logging that never prints secrets or personal numbers: tokens are redacted and ID,
mobile and bank card numbers masked (bot.privacy) in every record."""

from __future__ import annotations

import json
import logging
import os
import re

from bot.privacy import mask

# Telegram bot tokens (123456:ABC…) and ?token=… query parameters.
_SECRET_PATTERNS = (
    re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}"),
    re.compile(r"(token=)[^&\s\"']+"),
)


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub("<bot-token>", text)
    return mask(_SECRET_PATTERNS[1].sub(r"\1<redacted>", text))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for log collectors; redacted like the rest."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class WebhookRejections(logging.Filter):
    """PTB reports webhook requests without the right secret at DEBUG; they are security
    events, so they are kept (as WARNING) while the rest of its DEBUG output is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            return True
        message = record.getMessage()
        if message.startswith("Request") and "secret token" in message:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "webhook request rejected (403): " + str(record.msg)
            return True
        return False


def log_webhook_rejections() -> None:
    logger = logging.getLogger("telegram.ext.Updater")
    logger.setLevel(logging.DEBUG)
    logger.addFilter(WebhookRejections())


def setup_logging(level: int = logging.INFO, fmt: str | None = None) -> None:
    """Plain lines, or JSON lines with LOG_FORMAT=json. Secrets are redacted either way."""
    handler = logging.StreamHandler()
    if (fmt or os.environ.get("LOG_FORMAT", "")).lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
