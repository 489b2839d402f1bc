"""Find and mask personal numbers (ID card, mobile, bank card) before logging or storing."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Mainland resident ID: 17 digits + digit or X. Mobile: 1[3-9] + 9 digits. Bank card: 16-19 digits.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("id_card", re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")),
    ("bank_card", re.compile(r"(?<!\d)\d{16,19}(?!\d)")),
    ("mobile", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")),
)


@dataclass(frozen=True)
class Masked:
    text: str
    kinds: tuple[str, ...]


def mask_personal_numbers(text: str) -> Masked:
    kinds: list[str] = []
    for kind, pattern in _PATTERNS:
        text, count = pattern.subn(lambda m: "*" * len(m.group()), text)
        if count:
            kinds.append(kind)
    return Masked(text, tuple(kinds))
