"""Policy publicity: an admin's draft, a preview, confirmation, the fan-out by the scheduler
and one delivery report when the last message is out.

A broadcast's status:

    draft ──confirm──► scheduled ──fan-out (at send_at)──► queued ──last row final──► done
      │                    │                                  │
      └──────cancel────────┴──► cancelled ◄──cancel (rows not yet sent)──┘
    scheduled ──fan-out finds no subscriber──► empty     queued with no rows ──► failed

The fan-out is one INSERT … SELECT from the subscribers in the same transaction as the
status change `scheduled → queued`: a process killed half-way leaves the broadcast
`scheduled` with no rows (and the next active scheduler fans it out), never `queued` with
part of them. A report says what really happened: delivered counts, nobody to send to, or
an interrupted queue (`failed`); never "done" for a broadcast with no delivery rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import sessionmaker
from telegram.constants import MessageLimit

from bot.clock import Clock
from bot.privacy import mask
from bot.render import Renderer, telegram_length
from bot.store.models import Broadcast, Delivery
from scheduler.outbox import CANCELLED, PENDING, SENDING, SENT, UNCERTAIN, Outbox
from scheduler.subscriptions import Subscriptions

# Telegram refuses longer messages (counted after HTML entities are parsed, in UTF-16 units).
TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)

DRAFT, SCHEDULED, QUEUED, DONE = "draft", "scheduled", "queued", "done"
EMPTY, FAILED, STOPPED = "empty", "failed", "cancelled"
OPEN = (DRAFT, SCHEDULED, QUEUED)  # not finished: may still be cancelled


@dataclass(frozen=True)
class Draft:
    """A saved draft (`id`), or a text refused before saving (`id` None: too long)."""

    id: int | None
    audience: int
    length: int  # characters Telegram counts in the message a subscriber gets
    limit: int = TEXT_LIMIT

    @property
    def too_long(self) -> bool:
        return self.length > self.limit


@dataclass(frozen=True)
class Confirmed:
    audience: int  # subscribers now (the fan-out counts them again at send time)
    send_at: datetime | None  # None: now


@dataclass(frozen=True)
class Report:
    broadcast_id: int
    admin: int
    counts: dict[str, int]
    outcome: str  # done | empty (nobody subscribed) | failed (queued, no rows: interrupted)
    topic: str


@dataclass(frozen=True)
class Cancelled:
    stopped: int  # rows that will not be sent (0: cancelled before the fan-out)
    sent: int  # rows already out (or in flight): a message cannot be called back


@dataclass(frozen=True)
class Waiting:
    """An open broadcast, for the admin's list."""

    id: int
    text: str
    status: str
    send_at: datetime | None


def message_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


class Broadcasts:
    def __init__(
        self,
        sessions: sessionmaker,
        outbox: Outbox,
        subscriptions: Subscriptions,
        renderer: Renderer,
        clock: Clock,
        draft_valid: timedelta = timedelta(hours=24),
    ) -> None:
        self._clock = clock
        self._draft_valid = draft_valid
        self._sessions = sessions
        self._outbox = outbox
        self._subscriptions = subscriptions
        self._renderer = renderer

    def render(self, text: str, topic: str = "publicity") -> str:
        """The message every subscriber gets."""
        return self._renderer.render(
            "scheduled/broadcast_message.j2",
            self._clock.today(),
            body=text,
            topic_name=self._subscriptions.topics.get(topic, topic),
        )

    def draft(
        self, text: str, admin: int, topic: str = "publicity", send_at: datetime | None = None
    ) -> Draft:
        """Save a draft (to send now, or at `send_at`) unless the message it makes is longer
        than Telegram takes; either way say how many subscribers it would reach."""
        text = mask(text)
        length = telegram_length(self.render(text, topic))
        audience = self._subscriptions.audience_count(topic)
        if length > TEXT_LIMIT:
            return Draft(None, audience, length)
        with self._sessions.begin() as session:
            row = Broadcast(
                text=text,
                topic=topic,
                created_by=admin,
                created_at=self._clock.now(),
                status=DRAFT,
                reported=False,
                send_at=send_at,
            )
            session.add(row)
            session.flush()
            return Draft(row.id, audience, length)

    def confirm(self, broadcast_id: int) -> Confirmed | None:
        """Hand a draft to the scheduler, which fans it out at its time; None if not a draft
        (confirmed or cancelled already) or the draft has expired."""
        with self._sessions.begin() as session:
            done = session.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == broadcast_id,
                    Broadcast.status == DRAFT,
                    Broadcast.created_at >= self._clock.now() - self._draft_valid,
                )
                .values(status=SCHEDULED)
                .returning(Broadcast.topic, Broadcast.send_at)
            ).first()
            if done is None:
                return None
            topic, send_at = done
        return Confirmed(self._subscriptions.audience_count(topic), send_at)

    def fan_out_due(self, now: datetime | None = None) -> dict[int, int]:
        """Queue every confirmed broadcast whose time has come: {id: rows added}."""
        now = now or self._clock.now()
        with self._sessions() as session:
            due = session.scalars(
                select(Broadcast.id)
                .where(
                    Broadcast.status == SCHEDULED,
                    or_(Broadcast.send_at.is_(None), Broadcast.send_at <= now),
                )
                .order_by(Broadcast.id)
            ).all()
        added = {}
        for broadcast_id in due:
            count = self.fan_out(broadcast_id, now)
            if count is not None:
                added[broadcast_id] = count
        return added

    def fan_out(self, broadcast_id: int, now: datetime | None = None) -> int | None:
        """One transaction: `scheduled → queued` (or `empty`) and one row per subscriber,
        after their quiet hours. None when another process got there first or it was
        cancelled meanwhile."""
        now = now or self._clock.now()
        with self._sessions.begin() as session:
            # The conditional UPDATE takes the row's lock: a concurrent cancel or a second
            # scheduler waits for this transaction, then finds the status changed.
            claimed = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == SCHEDULED)
                .values(status=QUEUED)
                .returning(Broadcast.text, Broadcast.topic, Broadcast.send_at)
            ).first()
            if claimed is None:
                return None
            text, topic, send_at = claimed
            start_at = max(now, send_at) if send_at is not None else now
            added = self._subscriptions.fan_out(
                session, message_key(broadcast_id), self.render(text, topic), topic, start_at, now
            )
            if added == 0:
                session.execute(
                    update(Broadcast).where(Broadcast.id == broadcast_id).values(status=EMPTY)
                )
            return added

    def cancel(self, broadcast_id: int) -> Cancelled | None:
        """Cancel a draft or a confirmed broadcast before its time; once queued, stop the
        rows not yet sent. None: nothing left to cancel."""
        with self._sessions.begin() as session:
            row = session.execute(
                select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
            ).scalar_one_or_none()
            if row is None or row.status not in OPEN:
                return None
            stopped = 0
            if row.status == QUEUED:
                stopped = int(
                    session.execute(
                        update(Delivery)
                        .where(
                            Delivery.message_key == message_key(broadcast_id),
                            Delivery.status == PENDING,
                        )
                        .values(status=CANCELLED)
                    ).rowcount
                    or 0
                )
            row.status, row.reported = STOPPED, True
        counts = self._outbox.counts(message_key(broadcast_id))
        return Cancelled(stopped, sum(counts.get(s, 0) for s in (SENT, SENDING, UNCERTAIN)))

    def waiting(self) -> list[Waiting]:
        """Confirmed broadcasts not finished yet (oldest first), for the admin's list."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Broadcast)
                .where(Broadcast.status.in_((SCHEDULED, QUEUED)))
                .order_by(Broadcast.id)
            ).all()
            return [Waiting(r.id, r.text, r.status, r.send_at) for r in rows]

    def finished_reports(self) -> list[Report]:
        """Fanned-out broadcasts with nothing left to send, each reported once, truthfully."""
        reports = []
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(Broadcast)
                .where(Broadcast.status.in_((QUEUED, EMPTY)), Broadcast.reported.is_(False))
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                counts = self._outbox.counts(message_key(row.id))
                if counts.get(PENDING) or counts.get(SENDING):
                    continue
                if row.status == QUEUED:
                    # Queued with no rows cannot come from this fan-out (it is atomic): an
                    # older version was interrupted. Nobody got it; the admin is told so.
                    row.status = DONE if counts else FAILED
                row.reported = True
                if row.created_by is not None:  # None: the admin has since used /stop
                    reports.append(Report(row.id, row.created_by, counts, row.status, row.topic))
        return reports
