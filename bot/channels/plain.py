"""Telegram HTML → plain text for the console and JSON output."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")


def to_plain(telegram_html: str) -> str:
    return html.unescape(_TAG.sub("", telegram_html))
