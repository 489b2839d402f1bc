"""How many lines a text takes on a phone: Telegram wraps at about 18 Chinese characters."""

from __future__ import annotations

import math
import unicodedata

from bot.render import to_plain

# A phone screen's line, in half-width columns: 18 Chinese characters.
PHONE_COLUMNS = 36


def _columns(char: str) -> int:
    """Chinese characters, full-width punctuation and emoji take two columns."""
    if unicodedata.east_asian_width(char) in {"W", "F"} or ord(char) >= 0x1F000:
        return 2
    return 0 if unicodedata.combining(char) or char == "\ufe0f" else 1


def phone_lines(telegram_html: str, columns: int = PHONE_COLUMNS) -> int:
    """The lines a message fills once wrapped (an empty line counts as one)."""
    total = 0
    for line in to_plain(telegram_html).split("\n"):
        width = sum(_columns(c) for c in line)
        total += max(1, math.ceil(width / columns))
    return total
