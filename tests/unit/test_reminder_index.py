"""The reminder index and the catch-up of fixed jobs, with a fake reminders table and a
real (not started) APScheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.catch_up import last_fire_time
from scheduler.reminder_index import JOBSTORE, ReminderIndex, job_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FakeReminders:
    """The reminders table as (id, due_at) rows; records the windows it was asked for."""

    def __init__(self, rows: dict[int, datetime]) -> None:
        self.rows = rows
        self.asked: list[tuple[datetime, datetime]] = []

    def due_between(self, start: datetime, end: datetime) -> list[tuple[int, datetime]]:
        self.asked.append((start, end))
        return sorted(
            ((i, due) for i, due in self.rows.items() if start <= due < end), key=lambda r: r[1]
        )


async def _never(reminder_id: int) -> None:
    raise AssertionError("not fired in these tests")


def make_index(rows: dict[int, datetime]) -> tuple[ReminderIndex, FakeReminders]:
    scheduler = AsyncIOScheduler(
        timezone=SHANGHAI, jobstores={"default": MemoryJobStore(), JOBSTORE: MemoryJobStore()}
    )
    table = FakeReminders(rows)
    index = ReminderIndex(scheduler, table, _never, timedelta(hours=6), timedelta(days=30))  # type: ignore[arg-type]
    return index, table


def indexed(index: ReminderIndex) -> set[str]:
    return {job.id for job in index.scheduler.get_jobs(JOBSTORE)}


async def test_only_reminders_due_within_the_horizon_or_late_within_grace_are_indexed():
    rows = {
        1: NOW + timedelta(hours=1),
        2: NOW + timedelta(hours=5, minutes=59),
        3: NOW + timedelta(hours=6, minutes=1),  # beyond the horizon: a later sync
        4: NOW + timedelta(days=60),
        5: NOW - timedelta(days=2),  # due while down: sent late
        6: NOW - timedelta(days=31),  # too late
    }
    index, table = make_index(rows)
    synced = await index.apply(index.due_soon(NOW))
    assert indexed(index) == {job_id(1), job_id(2), job_id(5)}
    assert (synced.added, synced.removed, synced.indexed) == (3, 0, 3)
    assert table.asked == [(NOW - timedelta(days=30), NOW + timedelta(hours=6))]
    # Two hours on, the window has moved over reminder 3.
    await index.apply(index.due_soon(NOW + timedelta(hours=2)))
    assert job_id(3) in indexed(index) and job_id(4) not in indexed(index)


async def test_a_sync_touches_only_what_changed():
    rows = {i: NOW + timedelta(minutes=10 * i) for i in range(1, 21)}
    index, table = make_index(rows)
    await index.apply(index.due_soon(NOW))
    before = {job.id: job for job in index.scheduler.get_jobs(JOBSTORE)}
    table.rows[99] = NOW + timedelta(minutes=5)  # created by another worker
    del table.rows[7]  # cancelled (or sent) elsewhere
    synced = await index.apply(index.due_soon(NOW))
    assert (synced.added, synced.removed, synced.indexed) == (1, 1, 20)
    after = {job.id: job for job in index.scheduler.get_jobs(JOBSTORE)}
    assert set(after) == set(before) - {job_id(7)} | {job_id(99)}
    # The others are the very same jobs: nothing was re-added.
    assert all(after[k] is before[k] for k in set(before) - {job_id(7)})
    assert (await index.apply(index.due_soon(NOW))).added == 0


async def test_a_reminder_being_sent_is_not_indexed_again():
    index, _ = make_index({1: NOW - timedelta(minutes=1)})
    index._sending.add(1)  # its job fired; the row still says scheduled until it is queued
    assert (await index.apply(index.due_soon(NOW))).added == 0


def test_a_new_reminder_is_indexed_at_once_only_when_due_soon():
    index, _ = make_index({})
    assert index.add(1, NOW + timedelta(minutes=30), NOW)
    assert not index.add(2, NOW + timedelta(days=3), NOW)
    assert indexed(index) == {job_id(1)}
    index.remove(1)
    index.remove(2)  # not indexed: no error
    assert indexed(index) == set()


def tip_trigger() -> CronTrigger:
    return CronTrigger(day_of_week="mon", hour=10, minute=0, timezone=SHANGHAI)


def test_last_fire_time_finds_the_tip_missed_while_down():
    monday_tip = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    wednesday = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
    assert last_fire_time(tip_trigger(), wednesday - timedelta(days=3), wednesday) == monday_tip
    # Exactly at the fire time counts; a minute before does not.
    assert last_fire_time(tip_trigger(), monday_tip - timedelta(days=3), monday_tip) == monday_tip
    before = monday_tip - timedelta(minutes=1)
    assert last_fire_time(tip_trigger(), before - timedelta(days=3), before) is None
    # Longer ago than the window: not caught up.
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI)
    assert last_fire_time(tip_trigger(), friday - timedelta(days=3), friday) is None


def test_last_fire_time_takes_the_latest_of_several():
    daily = CronTrigger(hour=9, minute=0, timezone=SHANGHAI)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=SHANGHAI)
    assert last_fire_time(daily, now - timedelta(days=3), now) == datetime(
        2026, 12, 2, 9, 0, tzinfo=SHANGHAI
    )
