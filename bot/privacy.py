"""Find and mask personal numbers (ID card, mobile, bank card) however they are written.

The one masking function for every way text enters: questions, reminders, admins'
broadcasts, stored rows and log lines. It reads the text as NFKC (full-width digits become
ASCII) and tolerates what people type between digits (spaces, dashes, dots), a "+86" or
"0086" in front of a mobile number, and Chinese digits (零〇一二…九, 幺, 壹贰…玖). Run it
before any cut: an ID straddling a cut would otherwise survive as 15 digits.

Ordinary numbers stay: years ("2019 2020 2021"), dates ("2020-10-01"), amounts ("4000元"),
counts ("3次"), section numbers ("三(一)"), the 12333 hotline and landlines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Digit characters and their values: ASCII, Chinese lower-case and financial upper-case.
_CHINESE_DIGITS = {
    **dict.fromkeys("零〇", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二贰", "2"),
    **dict.fromkeys("三叁", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_D = "0-9" + "".join(_CHINESE_DIGITS)
# What people put between groups of digits (after NFKC): spaces, dashes, dots, underscores.
_SEP = r"[ \-_.\u2010-\u2015~]"
# A run of digit groups; a trailing X (ID check character) may follow, attached or spaced.
_RUN = re.compile(
    rf"(?<![{_D}])\+?[{_D}]+(?:{_SEP}{{1,3}}[{_D}]+)*(?:{_SEP}?[Xx](?![A-Za-z]))?(?![{_D}])"
)
_GROUP = re.compile(rf"[{_D}]+|[Xx]")
_COUNTRY_CODES = ("0086", "86")
_MAX_DIGITS = 23  # 0086 + the longest card number
MASK = "*"


@dataclass(frozen=True)
class Masked:
    text: str
    kinds: tuple[str, ...]


def _digits(group: str) -> str:
    return "".join(_CHINESE_DIGITS.get(ch, ch) for ch in group).upper()


def _is_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def _kind(digits: str, groups: int) -> str | None:
    """What a digit string (X allowed last) is, or None for an ordinary number."""
    if digits.endswith("X"):
        return "id_card" if len(digits) == 18 and digits[:-1].isdigit() else None
    if _is_mobile(digits):
        return "mobile"
    for code in _COUNTRY_CODES:
        if digits.startswith(code) and _is_mobile(digits[len(code) :]):
            return "mobile"
    if len(digits) in (15, 18):
        return "id_card"
    if 16 <= len(digits) <= 19:
        return "bank_card"
    if len(digits) > 19 and groups == 1:
        return "long_number"  # one unbroken run: a card and more pasted together
    return None


def _plausibly_typed(groups: list[str]) -> bool:
    """Groups as people type a number: 138 1234 5678, 6222-0212-…, 110101 19900307 123X,
    or spelled out one digit at a time. Dates (2020-10-01) and lists of years are not."""
    if len(groups) > 1 and groups[-1] in ("X", "x"):
        groups = groups[:-1]  # the ID's check character, typed apart
    if len(groups) == 1:
        return True
    if all(len(g) == 1 for g in groups):
        return True
    head = groups[1:] if _digits(groups[0]) in _COUNTRY_CODES else groups
    if all(len(g) >= 3 for g in head[:-1]) is False:
        return False
    years = all(len(g) == 4 and g.isdigit() and 1900 <= int(g) <= 2099 for g in groups)
    return not years


def _spans(run: str) -> list[tuple[int, int, str]]:
    """Personal numbers inside one run, as (start, end, kind); longest match from the left."""
    groups = [(m.start(), m.end(), m.group()) for m in _GROUP.finditer(run)]
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(groups):
        match = None
        total = ""
        ends: list[tuple[int, str]] = []
        for j in range(i, len(groups)):
            total += _digits(groups[j][2])
            if len(total) > _MAX_DIGITS and j > i:
                break
            ends.append((j, total))
        for j, digits in reversed(ends):
            texts = [g[2] for g in groups[i : j + 1]]
            if "X" in digits[:-1] or not _plausibly_typed(texts):
                continue
            kind = _kind(digits, j - i + 1)
            if kind is not None:
                match = (j, kind)
                break
        if match is None:
            i += 1
            continue
        j, kind = match
        start = groups[i][0]
        if start > 0 and run[start - 1] == "+":
            start -= 1
        found.append((start, groups[j][1], kind))
        i = j + 1
    return found


def _nfkc(text: str) -> tuple[str, list[int]]:
    """NFKC character by character, with the original index of every normalised character,
    so that what is found in the NFKC text is masked in the text as typed."""
    chars: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        chars.append(folded)
        origin += [index] * len(folded)
    return "".join(chars), origin


def mask_personal_numbers(text: str) -> Masked:
    """The text with every personal number replaced by asterisks, one per character typed,
    and the kinds found (id_card, mobile, bank_card, long_number). The rest of the text is
    left as typed; the search runs on its NFKC form."""
    folded, origin = _nfkc(text)
    kinds: set[str] = set()
    pieces: list[str] = []
    last = 0
    for run in _RUN.finditer(folded):
        for start, end, kind in _spans(run.group()):
            begin, stop = origin[run.start() + start], origin[run.start() + end - 1] + 1
            pieces += [text[last:begin], MASK * (stop - begin)]
            last = stop
            kinds.add(kind)
    if not kinds:
        return Masked(text, ())
    pieces.append(text[last:])
    return Masked("".join(pieces), tuple(sorted(kinds)))


def mask(text: str) -> str:
    """Only the masked text (for log lines and stored rows)."""
    return mask_personal_numbers(text).text
