"""Chinese numerals as people type them ("两个月", "三千", "十二"): the self-check's number
answers and the reminder parser's dates and times."""

from __future__ import annotations

import re

CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIAD = {"万": 10_000}
# A number in digits, possibly with Chinese units after it ("3千", "1.5万").
_ARABIC = re.compile(r"^(\d+(?:\.\d+)?)([十百千万]*)$")


def parse_chinese_number(text: str) -> float | None:
    """'两' → 2, '十二' → 12, '三千' → 3000, '三千五' → 3500, '1.5万' → 15000, '3000' → 3000.
    None when the text is not one number (digits may mix with the units 十百千万)."""
    text = text.strip()
    if not text:
        return None
    arabic = _ARABIC.match(text)
    if arabic:
        value = float(arabic.group(1))
        for unit in arabic.group(2):
            value *= _UNITS.get(unit) or _MYRIAD[unit]
        return value
    if any(ch not in CHINESE_DIGITS and ch not in _UNITS and ch not in _MYRIAD for ch in text):
        return None
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in text:
        if ch in CHINESE_DIGITS:
            if digit is not None and CHINESE_DIGITS[ch] != 0 and digit != 0:
                return None  # "三五": two digits in a row is no number
            digit = CHINESE_DIGITS[ch]
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]  # "十二": a bare 十 is 10
            last_unit, digit = _UNITS[ch], None
        else:  # 万
            section += digit or 0
            total += section * _MYRIAD[ch]
            section, digit, last_unit = 0, None, 10_000
    if digit is not None:
        # "三千五" is 3500: a trailing digit counts in the unit below the last one.
        section += digit * (last_unit // 10 if last_unit >= 10 and text[-2] not in "零〇" else 1)
    return float(total + section)
