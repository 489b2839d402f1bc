"""Wire the scheduler into the running bot: APScheduler (AsyncIOScheduler in the bot's
event loop, jobs in a SQLAlchemyJobStore on the same database) and the outbox sender task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import sessionmaker
from telegram import Bot

from bot.config import Settings
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from bot.store.retention import Purged, purge
from scheduler.agenda import DutyRules
from scheduler.broadcasts import Broadcasts
from scheduler.departments import Departments
from scheduler.duties import Duties
from scheduler.leader import Leadership
from scheduler.outbox import Outbox, Outgoing, now_utc
from scheduler.ratelimit import SendLimiter
from scheduler.reminders import ReminderInfo, Reminders
from scheduler.sender import Pacing, Sender
from scheduler.subscriptions import Subscriptions
from scheduler.telegram_transport import TelegramTransport

log = logging.getLogger(__name__)

DUTIES_JOB = "department-duties"
REMINDER_JOB_PREFIX = "reminder:"
REMINDER_GRACE_SECONDS = 30 * 24 * 3600
LATE_AFTER_SECONDS = 600
REMINDER_SYNC_SECONDS = 30
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
    outbox: Outbox = field(init=False)
    departments: Departments = field(init=False)
    subscriptions: Subscriptions = field(init=False)
    broadcasts: Broadcasts = field(init=False)
    rules: DutyRules = field(init=False)
    duties: Duties = field(init=False)
    sender: Sender = field(init=False)
    reminders: Reminders = field(init=False)
    _scheduler: AsyncIOScheduler | None = None
    _task: asyncio.Task[None] | None = None
    _leadership: Leadership | None = None
    _database_url: str = ""
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        config = self.settings.scheduler
        self.outbox = Outbox(self.sessions)
        self.reminders = Reminders(self.sessions)
        self.departments = Departments(self.sessions, self.settings.departments)
        self.subscriptions = Subscriptions(self.sessions, config.topics, config.quiet_hours)
        self.broadcasts = Broadcasts(
            self.sessions,
            self.outbox,
            self.subscriptions,
            self.renderer,
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
        self._database_url = database_url
        self._task = asyncio.create_task(self._lead(), name="scheduler")

    @property
    def active(self) -> bool:
        return self._scheduler is not None

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
        from scheduler import jobs

        # Rows left `sending` by the previous active process are uncertain now.
        uncertain = await asyncio.to_thread(self.outbox.recover)
        if uncertain:
            log.warning("%d deliveries were in flight at the last stop; not resent", uncertain)
        jobs.bind(self)
        config = self.settings.scheduler
        hour, minute = config.send_at.split(":")
        tip_hour, tip_minute = config.tip_time.split(":")
        scheduler = AsyncIOScheduler(
            timezone=ZoneInfo(config.timezone),
            jobstores={"default": SQLAlchemyJobStore(url=self._database_url)},
        )
        scheduler.add_job(
            "scheduler.jobs:run_duties",
            "cron",
            hour=int(hour),
            minute=int(minute),
            id=DUTIES_JOB,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=6 * 3600,  # a bot down at 09:00 still sends that day
        )
        scheduler.add_job(
            "scheduler.jobs:weekly_tip",
            "cron",
            day_of_week=config.tip_day,
            hour=int(tip_hour),
            minute=int(tip_minute),
            id=TIP_JOB,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=12 * 3600,
        )
        purge_hour, purge_minute = self.settings.retention.purge_at.split(":")
        scheduler.add_job(
            "scheduler.jobs:purge_expired",
            "cron",
            hour=int(purge_hour),
            minute=int(purge_minute),
            id=PURGE_JOB,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=24 * 3600,
        )
        scheduler.start()
        self._scheduler = scheduler
        await asyncio.to_thread(self.rebuild_reminder_jobs)
        await self.purge_expired()  # a day missed while down is caught up
        await self.run_duties()  # catch up after a restart; message keys prevent repeats
        log.info("scheduler active")

    async def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
            log.warning("scheduler stepped down")

    # ---- personal reminders ----

    def rebuild_reminder_jobs(self) -> None:
        """The reminders table is the truth: make the job store index exactly its rows."""
        if self._scheduler is None:
            return
        wanted = {f"{REMINDER_JOB_PREFIX}{r.id}": r for r in self.reminders.scheduled()}
        for job in self._scheduler.get_jobs():
            if job.id.startswith(REMINDER_JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for reminder in wanted.values():
            self.schedule_reminder(reminder)

    def schedule_reminder(self, reminder: ReminderInfo) -> None:
        """Index a new reminder now if this process is active; otherwise the active one picks
        it up at its next sync."""
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            "scheduler.jobs:send_reminder",
            "date",
            run_date=reminder.due_at,
            args=[reminder.id],
            id=f"{REMINDER_JOB_PREFIX}{reminder.id}",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=REMINDER_GRACE_SECONDS,  # due while down: sent late, with a note
        )

    def unschedule_reminder(self, reminder_id: int) -> None:
        if self._scheduler is not None:
            with contextlib.suppress(JobLookupError):
                self._scheduler.remove_job(f"{REMINDER_JOB_PREFIX}{reminder_id}")

    async def send_reminder(self, reminder_id: int, now: datetime | None = None) -> bool:
        reminder = await asyncio.to_thread(self.reminders.get, reminder_id)
        if reminder is None or reminder.status != "scheduled":
            return False
        now = now or now_utc()
        local_due = reminder.due_at.astimezone(ZoneInfo(self.settings.scheduler.timezone))
        text = self.renderer.render(
            "scheduled/reminder.j2",
            date.today(),
            text=reminder.text,
            kind=reminder.kind,
            late=(now - reminder.due_at).total_seconds() > LATE_AFTER_SECONDS,
            due=local_due.strftime("%m月%d日 %H:%M"),
        )
        await asyncio.to_thread(
            self.outbox.enqueue, [Outgoing(f"reminder:{reminder.id}", reminder.chat_id, text)]
        )
        await asyncio.to_thread(self.reminders.set_status, reminder.id, "sent")
        self.wake()
        return True

    # ---- publicity ----

    async def send_weekly_tip(self, now: datetime | None = None) -> int:
        """This week's tip, drawn in turn from the policy pack's topics. The tips publicise
        the plan: they stop when it ends, unless the operator keeps them (each then says
        plainly that the plan has ended)."""
        now = now or now_utc()
        local = now.astimezone(ZoneInfo(self.settings.scheduler.timezone))
        if self.pack.plan.ended(local.date()) and not self.settings.scheduler.tip_keep_after_plan:
            return 0
        year, week, _ = local.isocalendar()
        topics = list(self.pack.topics.values())
        topic = topics[(now.date() - TIP_EPOCH).days // 7 % len(topics)]
        text = self.renderer.render(
            "scheduled/weekly_tip.j2",
            local.date(),
            body=self.renderer.render(f"answers/{topic.id}.j2", local.date()),
            sections=topic.sections,
            topic_name=self.settings.scheduler.topics["publicity"],
        )
        key = f"tip:{year}-W{week:02d}"
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
            purge, self.sessions, now or now_utc(), self.settings.retention
        )
        log.info("retention: %s", purged)
        return purged

    # ---- work ----

    async def run_duties(self, now: datetime | None = None) -> int:
        messages = await asyncio.to_thread(self.duties.due_messages, now or now_utc())
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
                if asyncio.get_running_loop().time() - last_sync > REMINDER_SYNC_SECONDS:
                    await asyncio.to_thread(self.rebuild_reminder_jobs)
                    last_sync = asyncio.get_running_loop().time()
            except Exception:
                log.exception("outbox sender error; retrying")
                await asyncio.sleep(5)
            if busy:
                continue
            self._wake.clear()
            next_due = await asyncio.to_thread(self.outbox.next_due)
            delay = poll if next_due is None else (next_due - now_utc()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.2, min(delay, poll)))

    async def _send_reports(self) -> None:
        reports = await asyncio.to_thread(self.broadcasts.finished_reports)
        for report in reports:
            text = self.renderer.render(
                "scheduled/broadcast_report.j2",
                date.today(),
                id=report.broadcast_id,
                counts=report.counts,
                outcome=report.outcome,
                topic_name=self.subscriptions.topics.get(report.topic, report.topic),
            )
            await asyncio.to_thread(
                self.outbox.enqueue,
                [Outgoing(f"broadcast-report:{report.broadcast_id}", report.admin, text)],
            )
