"""Reading numbers out of callback data, which anyone can forge (up to 64 bytes)."""

from __future__ import annotations

import re

# Ids and day counts in callback data: at most 9 ASCII digits, far inside a 32-bit column.
_SMALL = re.compile(r"[0-9]{1,9}")
_PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")


def small_number(text: str) -> int | None:
    """The number, or None for anything but 1—9 ASCII digits ("99999999999999999999",
    "²", "-1", "")."""
    return int(text) if _SMALL.fullmatch(text) else None


def period_key(text: str) -> tuple[int, int] | None:
    """(year, month) of a "YYYY-MM" period key, or None."""
    found = _PERIOD.fullmatch(text)
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    return (year, month) if 1 <= month <= 12 and year >= 2000 else None
