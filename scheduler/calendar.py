"""Working days by China's official calendar, with an operator file for years the
chinese-calendar package does not cover yet, and a Monday—Friday fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import yaml


@dataclass(frozen=True)
class YearOverride:
    holidays: frozenset[date]
    workdays: frozenset[date]


@dataclass
class WorkCalendar:
    overrides: dict[int, YearOverride] = field(default_factory=dict)
    # Years answered with the Monday—Friday fallback; the admins are told once per year.
    fallback_years: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.holidays:
                return False
            if day in override.workdays:
                return True
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.fallback_years.add(day.year)
            return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """True when the official calendar for that year is known."""
        if year in self.overrides:
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def working_days_before(self, day: date, count: int) -> list[date]:
        """The `count` working days right before `day`, latest first."""
        found: list[date] = []
        cursor = day - timedelta(days=1)
        while len(found) < count:
            if self.is_workday(cursor):
                found.append(cursor)
            cursor -= timedelta(days=1)
        return found

    def first_working_day_after(self, day: date) -> date:
        cursor = day + timedelta(days=1)
        while not self.is_workday(cursor):
            cursor += timedelta(days=1)
        return cursor


def load_calendar(path: Path) -> WorkCalendar:
    raw = yaml.safe_load(path.read_text("utf-8")) if path.exists() else None
    overrides = {
        int(year): YearOverride(
            holidays=frozenset(spec.get("holidays") or []),
            workdays=frozenset(spec.get("workdays") or []),
        )
        for year, spec in ((raw or {}).get("years") or {}).items()
    }
    return WorkCalendar(overrides)
