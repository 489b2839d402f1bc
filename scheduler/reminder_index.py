"""The active scheduler's index of personal reminders: APScheduler jobs in memory for the
reminders due within the next hours only (config.yml → scheduler.reminders.horizon_hours).

The reminders table stays the one record. The index is filled at activation by one range
query on its (status, due_at) index and kept current by the same query every sync: only the
reminders missing from the index are added and only the ones gone from the window (sent,
cancelled, erased) are removed, so the cost follows the reminders due soon, not the table.
A reminder created in this process is indexed at once; one created by another worker at the
next sync."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, BaseScheduler

from scheduler.reminders import Reminders

JOBSTORE = "reminders"
JOB_PREFIX = "reminder:"
# Jobs added between two yields to the event loop (APScheduler builds a job in about
# 0.2 ms), so that a window of thousands does not hold up the bot's replies.
BATCH = 50


def job_id(reminder_id: int) -> str:
    return f"{JOB_PREFIX}{reminder_id}"


@dataclass(frozen=True)
class Synced:
    added: int
    removed: int
    indexed: int


@dataclass
class ReminderIndex:
    scheduler: BaseScheduler
    reminders: Reminders
    send: Callable[[int], Awaitable[object]]
    horizon: timedelta
    # A reminder that fell due while no scheduler ran is still sent this long after (late,
    # with a note); older ones are not.
    grace: timedelta
    # Reminders whose job has fired and whose send is under way: not indexed again meanwhile.
    _sending: set[int] = field(default_factory=set)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        return now - self.grace, now + self.horizon

    def due_soon(self, now: datetime) -> list[tuple[int, datetime]]:
        """The reminders that belong in the index now (a database read: call off the loop)."""
        return self.reminders.due_between(*self.window(now))

    async def apply(self, wanted: list[tuple[int, datetime]]) -> Synced:
        """Make the index hold exactly `wanted` (from due_soon), touching only differences."""
        jobs = self.scheduler.get_jobs(JOBSTORE)
        indexed = {int(job.id.removeprefix(JOB_PREFIX)) for job in jobs}
        due = dict(wanted)
        removed = 0
        for reminder_id in indexed - due.keys():
            self.remove(reminder_id)
            removed += 1
        new = due.keys() - indexed - self._sending
        # Paused, APScheduler does not re-plan its wake-up after every job added (that
        # costs more than the adding); resuming plans it once.
        paused = bool(new) and self.scheduler.state == STATE_RUNNING
        if paused:
            self.scheduler.pause()
        try:
            for added, reminder_id in enumerate(new, start=1):
                self._add(reminder_id, due[reminder_id])
                if added % BATCH == 0:
                    await asyncio.sleep(0)
        finally:
            if paused and self.scheduler.state == STATE_PAUSED:
                self.scheduler.resume()
        added = len(new)
        return Synced(added, removed, len(indexed) + added - removed)

    def add(self, reminder_id: int, due_at: datetime, now: datetime) -> bool:
        """Index a reminder just created, if it falls due before the next syncs reach it."""
        start, end = self.window(now)
        if not start <= due_at < end:
            return False
        self._add(reminder_id, due_at)
        return True

    def remove(self, reminder_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id(reminder_id), JOBSTORE)

    def _add(self, reminder_id: int, due_at: datetime) -> None:
        self.scheduler.add_job(
            self._fire,
            "date",
            run_date=due_at,
            args=[reminder_id],
            id=job_id(reminder_id),
            jobstore=JOBSTORE,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=int(self.grace.total_seconds()),  # due while down: sent late
        )

    async def _fire(self, reminder_id: int) -> None:
        self._sending.add(reminder_id)
        try:
            await self.send(reminder_id)
        finally:
            self._sending.discard(reminder_id)
