"""Read a date and time in everyday Chinese ("下周五上午", "3月1日", "明天下午3点半",
"2027年3月1日 15:30", "3天后") against a moment, in the configured time zone (bot.clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.numerals import CHINESE_DIGITS

DEFAULT_TIME = time(9, 0)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_PERIODS = {  # part of day → (default time, add 12 to an hour below 12)
    "凌晨": (time(6, 0), False),
    "早上": (time(8, 0), False),
    "早晨": (time(8, 0), False),
    "上午": (time(9, 0), False),
    "中午": (time(12, 0), False),
    "下午": (time(15, 0), True),
    "傍晚": (time(18, 0), True),
    "晚上": (time(20, 0), True),
    "今晚": (time(20, 0), True),
}
_NUMBER = r"[0-9零〇一二两三四五六七八九十]+"


class WhenError(ValueError):
    """The text names no date, or one that has passed; the message is for the person."""


class NoTimeNamed(WhenError):
    """The text names no date or time at all (not one that is wrong)."""


@dataclass(frozen=True)
class When:
    moment: datetime  # in the zone asked for
    matched: str  # the words that gave it, to strip from the reminder text


def chinese_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (
            CHINESE_DIGITS.get(ones, 0) if ones else 0
        )
    value = 0
    for char in text:
        value = value * 10 + CHINESE_DIGITS[char]
    return value


def _date_part(text: str, today: date) -> tuple[date | None, str]:
    patterns: list[tuple[str, object]] = [
        (rf"(?:(\d{{4}})年)?({_NUMBER})月({_NUMBER})[日号]", "month_day"),
        (r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", "iso"),
        (r"(下下|下|这|本)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])", "weekday"),
        (rf"({_NUMBER})(天|周|个星期|星期|个月)[以之]?后", "after"),
        ("大后天|后天|明天|明日|今天|今日|今晚", "relative"),
    ]
    for pattern, kind in patterns:
        match = re.search(pattern, text)
        if match is None:
            continue
        words = match.group(0)
        if kind == "month_day":
            year = int(match.group(1)) if match.group(1) else today.year
            day = date(year, chinese_number(match.group(2)), chinese_number(match.group(3)))
            if match.group(1) is None and day < today:
                day = date(year + 1, day.month, day.day)
            return day, words
        if kind == "iso":
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), words
        if kind == "weekday":
            target = _WEEKDAYS[match.group(2)]
            monday = today - timedelta(days=today.weekday())
            weeks = {"下下": 2, "下": 1, "这": 0, "本": 0}.get(match.group(1) or "")
            if weeks is None:  # "周五": the next one
                ahead = (target - today.weekday()) % 7
                return today + timedelta(days=ahead), words
            return monday + timedelta(weeks=weeks, days=target), words
        if kind == "after":
            count, unit = chinese_number(match.group(1)), match.group(2)
            if unit == "天":
                return today + timedelta(days=count), words
            if unit == "个月":
                month = today.month - 1 + count
                year, month = today.year + month // 12, month % 12 + 1
                return date(year, month, min(today.day, 28)), words
            return today + timedelta(weeks=count), words
        return today + timedelta(days=_RELATIVE_DAYS.get(words, 0)), words
    return None, ""


def _time_part(text: str) -> tuple[time | None, str]:
    period_word = next((w for w in _PERIODS if w in text), None)
    match = re.search(rf"(\d{{1,2}})[:：](\d{{2}})|({_NUMBER})[点时](半|({_NUMBER})分?)?", text)
    if match is None:
        if period_word is None:
            return None, ""
        return _PERIODS[period_word][0], period_word
    if match.group(1):
        hour, minute = int(match.group(1)), int(match.group(2))
    else:
        hour = chinese_number(match.group(3))
        minute = 30 if match.group(4) == "半" else chinese_number(match.group(5) or "0")
    if period_word is not None and _PERIODS[period_word][1] and hour < 12:
        hour += 12
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise WhenError("时间不对，请说清楚几点，例如“下午3点”。")
    words = (period_word or "") + match.group(0)
    return time(hour, minute), words


def parse_when(text: str, now: datetime, zone: tzinfo) -> When:
    """The moment `text` names, in `zone` (the clock's), after `now`."""
    local_now = now.astimezone(zone)
    try:
        day, date_words = _date_part(text, local_now.date())
    except ValueError:
        raise WhenError("这个日期不存在，请再检查一下，例如“3月1日”。") from None
    moment_time, time_words = _time_part(text)
    if day is None and moment_time is None:
        raise NoTimeNamed("没看出是什么时候。可以说“下周五上午”“3月1日”或“明天下午3点”。")
    if day is None:  # only a time: today, or tomorrow if it has passed
        day = local_now.date()
        if datetime.combine(day, moment_time, tzinfo=zone) <= local_now:  # type: ignore[arg-type]
            day += timedelta(days=1)
    moment = datetime.combine(day, moment_time or DEFAULT_TIME, tzinfo=zone)
    if moment <= local_now:
        raise WhenError("这个时间已经过去了，请换一个以后的时间。")
    if moment - local_now > timedelta(days=366 * 2):
        raise WhenError("只能设置两年以内的提醒。")
    return When(moment, " ".join(w for w in (date_words, time_words) if w))
