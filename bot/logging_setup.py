"""Logging that never prints secrets or personal numbers: tokens are redacted and ID,
mobile and bank card numbers masked (bot.privacy) in every record."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable

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
    """Rejected webhook requests are security events, logged as WARNING, but at most once
    per `every` seconds (a flood must not flood the log), with how many were rejected since,
    and never with the secret a request sent. PTB reports a wrong or missing secret at
    DEBUG (with the value sent); tornado reports a body over the limit as a malformed
    message. The rest of PTB's DEBUG output is dropped."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._every, self._clock = every, clock
        self._last: float | None = None
        self._count = 0

    @staticmethod
    def _reason(record: logging.LogRecord) -> str | None:
        if record.name == "telegram.ext.Updater" and "secret token" in str(record.msg):
            return "403: wrong or missing secret token"
        if record.name == "tornado.general" and str(record.msg).startswith("Malformed HTTP"):
            return "400: body over the size limit or malformed"
        return None

    def filter(self, record: logging.LogRecord) -> bool:
        reason = self._reason(record)
        if reason is None:
            return record.levelno > logging.DEBUG
        self._count += 1
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            return False
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "webhook request rejected (%s); %d rejected since the last report"
        record.args = (reason, self._count)
        self._last, self._count = now, 0
        return True


def log_webhook_rejections(every_seconds: float = 60.0) -> None:
    rejections = WebhookRejections(every_seconds)
    for name in ("telegram.ext.Updater", "tornado.general"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if name == "telegram.ext.Updater" else logging.INFO)
        logger.addFilter(rejections)


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
    # APScheduler logs every job added at INFO: one line per reminder indexed.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
