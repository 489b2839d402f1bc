"""Job functions APScheduler stores by module path. They must stay importable at these
paths (a stored job whose function is gone is deleted on load) and take no arguments, so
they find the running scheduler through `bind`, set once at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.runtime import SchedulerRuntime

_runtime: SchedulerRuntime | None = None


def bind(runtime: SchedulerRuntime) -> None:
    global _runtime
    _runtime = runtime


async def run_duties() -> None:
    """Daily at send_at: monthly report reminders, overdue lists, yearly duties."""
    if _runtime is not None:
        await _runtime.run_duties()


async def send_reminder(reminder_id: int) -> None:
    """At a personal reminder's time (or late, after a restart)."""
    if _runtime is not None:
        await _runtime.send_reminder(reminder_id)


async def weekly_tip() -> None:
    """Weekly: a policy tip to subscribers of 政策宣传."""
    if _runtime is not None:
        await _runtime.send_weekly_tip()


async def purge_expired() -> None:
    """Daily: drop what is past its retention (config.yml → retention)."""
    if _runtime is not None:
        await _runtime.purge_expired()
