"""Fire times missed while no scheduler was active. The fixed jobs live in memory, so a
restart forgets nothing it would need: at activation each job's missed time is found from
its trigger and run once, its effect kept unique by the delivery ledger's message keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

STEP = timedelta(microseconds=1)


def last_fire_time(trigger: BaseTrigger, since: datetime, now: datetime) -> datetime | None:
    """The trigger's latest fire time in [since, now], or None."""
    latest = None
    fire = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + STEP)
    return latest
