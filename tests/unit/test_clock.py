"""One clock: today and local times in the configured zone, never the host's; the weekday
shown is the local date's (a reminder at 07:30 on a Friday is stored as Thursday 23:30 UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.clock import Clock
from scheduler.subscriptions import after_quiet_hours
from scheduler.when import parse_when


def test_today_is_the_configured_zones_date_not_utcs():
    evening_utc = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 01:00 on the 26th in Shanghai
    assert Clock.fixed(evening_utc, "Asia/Shanghai").today() == date(2026, 11, 26)
    assert Clock.fixed(evening_utc, "America/New_York").today() == date(2026, 11, 25)
    assert Clock.fixed(evening_utc, "Asia/Shanghai").now() == evening_utc


def test_a_moment_reads_with_its_local_weekday():
    clock = Clock.named("Asia/Shanghai")
    friday_early = clock.at(date(2027, 3, 5), time(7, 30))  # a Friday
    stored = friday_early.astimezone(UTC)  # as the database returns it: Thursday 23:30
    assert stored.weekday() == 3
    assert clock.moment_text(stored) == "2027年03月05日（周五）07:30"
    assert clock.short_text(stored) == "03月05日 07:30"


def test_a_fixed_clock_needs_a_zone_aware_moment():
    with pytest.raises(ValueError):
        Clock.fixed(datetime(2026, 11, 25, 9, 0), "Asia/Shanghai")


def test_a_time_of_day_is_read_in_the_zone_handed_in():
    # 01:00 on the 26th in Shanghai, still the 25th in UTC: "明天" is the 27th there.
    now = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    shanghai = Clock.named("Asia/Shanghai")
    moment = parse_when("明天上午9点", now, shanghai.zone).moment
    assert moment == shanghai.at(date(2026, 11, 27), time(9, 0))
    assert parse_when("明天上午9点", now, UTC).moment == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_quiet_hours_are_the_zones():
    # 23:30 UTC is 07:30 in Shanghai: inside 22:00–08:00 there, outside it in UTC.
    moment = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    shanghai = Clock.named("Asia/Shanghai")
    assert after_quiet_hours(moment, "22:00", "08:00", shanghai.zone) == shanghai.at(
        date(2026, 11, 26), time(8, 0)
    )
    assert after_quiet_hours(moment, "08:00", "22:00", UTC) == moment
