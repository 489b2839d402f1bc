"""Wire the scheduler into the running bot: APScheduler (AsyncIOScheduler in the bot's
event loop, every job in memory) and the outbox sender task.

The fixed jobs (duties, weekly tip, purge) are rebuilt from configuration at each
activation and their times missed while no scheduler was active are caught up then; the
personal reminders are indexed from their table for the next hours only
(scheduler/reminder_index.py). Nothing of APScheduler's is stored in the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import sessionmaker
from telegram import Bot

from bot.clock import Clock
from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.retention import Purged, purge
from scheduler.agenda import DutyRules
from scheduler.broadcasts import Broadcasts
from scheduler.catch_up import last_fire_time
from scheduler.departments import Departments
from scheduler.duties import Duties
from scheduler.leader import Leadership
from scheduler.outbox import Outbox, Outgoing
from scheduler.ratelimit import SendLimiter
from scheduler.reminder_index import JOBSTORE as REMINDER_JOBSTORE
from scheduler.reminder_index import ReminderIndex
from scheduler.reminders import ReminderInfo, Reminders
from scheduler.sender import Pacing, Sender
from scheduler.subscriptions import Subscriptions
from scheduler.telegram_transport import TelegramTransport

log = logging.getLogger(__name__)

DUTIES_JOB = "department-duties"
REMINDER_GRACE = timedelta(days=30)
LATE_AFTER_SECONDS = 600
# A weekly tip missed while no scheduler was active is sent at the next activation within
# this time; later, the next week's tip is near.
TIP_CATCH_UP = timedelta(days=3)
DRAIN_BATCH = 100  # messages sent between two looks at the lock, fan-outs and reports
TIP_JOB = "weekly-tip"
PURGE_JOB = "retention-purge"
TIP_EPOCH = date(2019, 1, 7)  # a Monday: tips follow the topics' order from here


@dataclass
class SchedulerRuntime:
    settings: Settings
    sessions: sessionmaker
    renderer: Renderer
    bot: Bot
    pack: PolicyPack
    # The process's one send rate, shared with the replies to people (None: the outbox's own).
    limiter: SendLimiter | None = None
    # The process's one clock (config.yml → scheduler.timezone); None: the system's.
    clock: Clock = None  # type: ignore[assignment]
    outbox: Outbox = field(init=False)
    departments: Departments = field(init=False)
    subscriptions: Subscriptions = field(init=False)
    broadcasts: Broadcasts = field(init=False)
    rules: DutyRules = field(init=False)
    duties: Duties = field(init=False)
    sender: Sender = field(init=False)
    reminders: Reminders = field(init=False)
    _scheduler: AsyncIOScheduler | None = None
    _index: ReminderIndex | None = None
    _caught_up: bool = False
    _task: asyncio.Task[None] | None = None
    _leadership: Leadership | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        config = self.settings.scheduler
        if self.clock is None:
            self.clock = Clock.named(config.timezone)
        self.outbox = Outbox(self.sessions)
        self.reminders = Reminders(self.sessions)
        self.departments = Departments(self.sessions, self.settings.departments)
        self.subscriptions = Subscriptions(
            self.sessions, config.topics, config.quiet_hours, self.clock
        )
        self.broadcasts = Broadcasts(
            self.sessions,
            self.outbox,
            self.subscriptions,
            self.renderer,
            self.clock,
            timedelta(hours=self.settings.retention.broadcast_draft_hours),
        )
        self.rules = DutyRules.from_settings(self.settings, self.pack.plan)
        self.duties = Duties(
            self.departments,
            self.rules.calendar,
            self.rules.schedule,
            self.renderer,
            self.settings.admins,
            self.rules.term,
            self.clock.zone,
            tips_stop=not config.tip_keep_after_plan,
        )
        self.sender = Sender(
            self.outbox,
            TelegramTransport(self.bot),
            Pacing(
                config.messages_per_second, config.per_chat_interval_seconds, config.max_attempts
            ),
            on_blocked=self.subscriptions.deactivate,
            limiter=self.limiter,
        )

    # ---- lifecycle ----

    async def start(self, database_url: str) -> None:
        """Run as the active scheduler, or as a standby until the active one goes away."""
        self._leadership = Leadership(database_url)
        self._task = asyncio.create_task(self._lead(), name="scheduler")

    @property
    def active(self) -> bool:
        """This process is the active scheduler and has caught up what fell due before."""
        return self._scheduler is not None and self._caught_up

    @property
    def running(self) -> bool:
        """The leader loop is alive (as the active scheduler or as a standby)."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._step_down()
        if self._leadership is not None:
            await asyncio.to_thread(self._leadership.release)

    async def _lead(self) -> None:
        poll = self.settings.scheduler.standby_poll_seconds
        announced = False
        while True:
            assert self._leadership is not None
            if await asyncio.to_thread(self._leadership.try_acquire):
                await self._become_active()
                await self._work()  # returns when the lock is lost
                await self._step_down()
            elif not announced:
                log.info("scheduler standby: another process is active")
                announced = True
            await asyncio.sleep(poll)

    async def _become_active(self) -> None:
        # Rows left `sending` by the previous active process are uncertain now.
        uncertain = await asyncio.to_thread(self.outbox.recover)
        if uncertain:
            log.warning("%d deliveries were in flight at the last stop; not resent", uncertain)
        config = self.settings.scheduler
        zone = self.clock.zone
        scheduler = AsyncIOScheduler(
            timezone=zone,
            jobstores={"default": MemoryJobStore(), REMINDER_JOBSTORE: MemoryJobStore()},
        )
        hour, minute = config.send_at.split(":")
        scheduler.add_job(
            self.run_duties,
            CronTrigger(hour=int(hour), minute=int(minute), timezone=zone),
            id=DUTIES_JOB,
            coalesce=True,
            misfire_grace_time=6 * 3600,  # a loop busy at 09:00 still sends that day
        )
        scheduler.add_job(
            self.send_weekly_tip,
            self.tip_trigger(),
            id=TIP_JOB,
            coalesce=True,
            misfire_grace_time=12 * 3600,
        )
        purge_hour, purge_minute = self.settings.retention.purge_at.split(":")
        scheduler.add_job(
            self.purge_expired,
            CronTrigger(hour=int(purge_hour), minute=int(purge_minute), timezone=zone),
            id=PURGE_JOB,
            coalesce=True,
            misfire_grace_time=24 * 3600,
        )
        self._index = ReminderIndex(
            scheduler,
            self.reminders,
            self.send_reminder,
            timedelta(hours=config.reminder_horizon_hours),
            REMINDER_GRACE,
        )
        scheduler.start()
        self._scheduler = scheduler
        # Started first: the reminders are then added a batch at a time, the loop free between.
        wanted = await asyncio.to_thread(self._index.due_soon, self.clock.now())
        synced = await self._index.apply(wanted)
        log.info("%d reminder(s) due soon indexed", synced.added)
        # Catch up what fell due while no scheduler was active; message keys prevent repeats.
        await self.purge_expired()
        await self.run_duties()
        await self.catch_up_weekly_tip()
        self._caught_up = True
        log.info("scheduler active")

    def tip_trigger(self) -> CronTrigger:
        config = self.settings.scheduler
        tip_hour, tip_minute = config.tip_time.split(":")
        return CronTrigger(
            day_of_week=config.tip_day,
            hour=int(tip_hour),
            minute=int(tip_minute),
            timezone=self.clock.zone,
        )

    async def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            self._index = None
            self._caught_up = False
            log.warning("scheduler stepped down")

    # ---- personal reminders ----

    async def sync_reminders(self, now: datetime | None = None) -> None:
        """Pick up reminders created or cancelled by other processes (the window only)."""
        if self._index is None:
            return
        index = self._index
        wanted = await asyncio.to_thread(index.due_soon, now or self.clock.now())
        if self._index is index:  # not stepped down meanwhile
            synced = await index.apply(wanted)
            if synced.added or synced.removed:
                log.info("reminders: %s", synced)

    def schedule_reminder(self, reminder: ReminderInfo) -> None:
        """Index a new reminder now if this process is active and it is due soon; otherwise
        the active scheduler's syncs reach it."""
        if self._index is not None:
            self._index.add(reminder.id, reminder.due_at, self.clock.now())

    def unschedule_reminder(self, reminder_id: int) -> None:
        if self._index is not None:
            self._index.remove(reminder_id)

    @property
    def indexed_reminders(self) -> int:
        """How many reminders the active scheduler holds in memory (0 when standby)."""
        if self._scheduler is None:
            return 0
        return len(self._scheduler.get_jobs(REMINDER_JOBSTORE))

    async def send_reminder(self, reminder_id: int, now: datetime | None = None) -> bool:
        reminder = await asyncio.to_thread(self.reminders.get, reminder_id)
        if reminder is None or reminder.status != "scheduled":
            return False
        now = now or self.clock.now()
        text = self.renderer.render(
            "scheduled/reminder.j2",
            self.clock.local(now).date(),
            text=reminder.text,
            kind=reminder.kind,
            late=(now - reminder.due_at).total_seconds() > LATE_AFTER_SECONDS,
            due=self.clock.short_text(reminder.due_at),
        )
        await asyncio.to_thread(
            self.outbox.enqueue, [Outgoing(f"reminder:{reminder.id}", reminder.chat_id, text)]
        )
        await asyncio.to_thread(self.reminders.set_status, reminder.id, "sent")
        self.wake()
        return True

    # ---- publicity ----

    async def catch_up_weekly_tip(self, now: datetime | None = None) -> int:
        """The last tip time, if it passed within TIP_CATCH_UP while no scheduler was active
        and that week's tip went to nobody: send it now."""
        now = now or self.clock.now()
        missed = last_fire_time(self.tip_trigger(), now - TIP_CATCH_UP, now)
        if missed is None:
            return 0
        if await asyncio.to_thread(self.outbox.counts, self.tip_key(missed)):
            return 0  # sent at its time (or at an earlier activation)
        added = await self.send_weekly_tip(now, week_of=missed)
        log.info("weekly tip of %s caught up: %d message(s)", missed.isoformat(), added)
        return added

    def tip_key(self, week_of: datetime) -> str:
        local = self.clock.local(week_of)
        year, week, _ = local.isocalendar()
        return f"tip:{year}-W{week:02d}"

    async def send_weekly_tip(
        self, now: datetime | None = None, week_of: datetime | None = None
    ) -> int:
        """This week's tip (or the week of `week_of`'s, sent now), drawn in turn from the
        policy pack's topics. The tips publicise the plan: they stop when it ends, unless
        the operator keeps them (each then says plainly that the plan has ended)."""
        now = now or self.clock.now()
        week_of = week_of or now
        local = self.clock.local(week_of)
        if self.pack.plan.ended(local.date()) and not self.settings.scheduler.tip_keep_after_plan:
            return 0
        topics = list(self.pack.topics.values())
        topic = topics[(local.date() - TIP_EPOCH).days // 7 % len(topics)]
        text = self.renderer.render(
            "scheduled/weekly_tip.j2",
            local.date(),
            body=self.renderer.render(f"answers/{topic.id}.j2", local.date()),
            sections=topic.sections,
            topic_name=self.settings.scheduler.topics["publicity"],
        )
        key = self.tip_key(week_of)
        added = await asyncio.to_thread(self._fan_out_tip, key, text, now)
        channel = self.settings.scheduler.tip_channel_id
        if channel is not None:
            added += await asyncio.to_thread(
                self.outbox.enqueue, [Outgoing(key, int(channel), text)], now
            )
        self.wake()
        return added

    def _fan_out_tip(self, key: str, text: str, now: datetime) -> int:
        with self.sessions.begin() as session:
            return self.subscriptions.fan_out(session, key, text, "publicity", now, now)

    # ---- retention ----

    async def purge_expired(self, now: datetime | None = None) -> Purged:
        purged = await asyncio.to_thread(
            purge, self.sessions, now or self.clock.now(), self.settings.retention
        )
        log.info("retention: %s", purged)
        return purged

    # ---- work ----

    async def run_duties(self, now: datetime | None = None) -> int:
        messages = await asyncio.to_thread(self.duties.due_messages, now or self.clock.now())
        added = await asyncio.to_thread(self.outbox.enqueue, messages)
        if added:
            log.info("department duties: %d message(s) queued", added)
            self.wake()
        return added

    def enqueue(self, items: list[Outgoing]) -> int:
        added = self.outbox.enqueue(items)
        self.wake()
        return added

    def wake(self) -> None:
        self._wake.set()

    async def _work(self) -> None:
        """Send what is due while this process holds the lead; sync reminders now and then
        (another process may have added some)."""
        assert self._leadership is not None
        last_sync = asyncio.get_running_loop().time()
        poll = self.settings.scheduler.standby_poll_seconds
        sync_every = self.settings.scheduler.reminder_sync_seconds
        while await asyncio.to_thread(self._leadership.still_held):
            busy = False
            try:
                fanned = await asyncio.to_thread(self.broadcasts.fan_out_due)
                for broadcast_id, rows in fanned.items():
                    log.info("broadcast %d fanned out to %d subscriber(s)", broadcast_id, rows)
                # In batches: a long broadcast does not hold up the lock check, the next
                # broadcast's fan-out or the reports.
                busy = await self.sender.drain(DRAIN_BATCH) >= DRAIN_BATCH
                await self._send_reports()
                if asyncio.get_running_loop().time() - last_sync > sync_every:
                    await self.sync_reminders()
                    last_sync = asyncio.get_running_loop().time()
            except Exception:
                log.exception("outbox sender error; retrying")
                await asyncio.sleep(5)
            if busy:
                continue
            self._wake.clear()
            next_due = await asyncio.to_thread(self.outbox.next_due)
            delay = poll if next_due is None else (next_due - self.clock.now()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.2, min(delay, poll)))

    async def _send_reports(self) -> None:
        reports = await asyncio.to_thread(self.broadcasts.finished_reports)
        for report in reports:
            text = self.renderer.render(
                "scheduled/broadcast_report.j2",
                self.clock.today(),
                id=report.broadcast_id,
                counts=report.counts,
                outcome=report.outcome,
                topic_name=self.subscriptions.topics.get(report.topic, report.topic),
            )
            await asyncio.to_thread(
                self.outbox.enqueue,
                [Outgoing(f"broadcast-report:{report.broadcast_id}", report.admin, text)],
            )
