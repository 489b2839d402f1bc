"""One clock: the moment now, today and local dates in the configured time zone
(config.yml → scheduler.timezone). Modules ask it instead of date.today(), datetime.now()
or a zone of their own, so the host's zone never matters; tests give it a fixed moment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"


def now_utc() -> datetime:
    """The system's moment, in UTC: the one place the bot reads the time (through a Clock
    where the local date or zone matters)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    zone: ZoneInfo
    # The moment now, timezone-aware; a test passes a fixed one.
    source: Callable[[], datetime] = field(default=now_utc, compare=False)

    @classmethod
    def named(cls, zone: str, source: Callable[[], datetime] = now_utc) -> Clock:
        return cls(ZoneInfo(zone), source)

    @classmethod
    def fixed(cls, moment: datetime, zone: str) -> Clock:
        """Always `moment` (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return cls(ZoneInfo(zone), lambda: moment)

    def now(self) -> datetime:
        """Now, in UTC (what the database stores)."""
        return self.source().astimezone(UTC)

    def local_now(self) -> datetime:
        return self.source().astimezone(self.zone)

    def today(self) -> date:
        return self.local_now().date()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, when: time) -> datetime:
        """`when` o'clock on `day`, local time."""
        return datetime.combine(day, when, tzinfo=self.zone)

    def moment_text(self, moment: datetime) -> str:
        """2026年12月04日（周五）09:00, the weekday of the local date."""
        local = self.local(moment)
        return local.strftime(f"%Y年%m月%d日（周{WEEKDAYS[local.weekday()]}）%H:%M")

    def short_text(self, moment: datetime) -> str:
        """12月04日 09:00, local."""
        return self.local(moment).strftime("%m月%d日 %H:%M")
