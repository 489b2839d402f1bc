"""Policy publicity: an admin's draft, a preview, confirmation into the outbox, and one
delivery report when the last message is out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.privacy import mask
from bot.render import Renderer
from bot.store.models import Broadcast
from scheduler.outbox import PENDING, SENDING, Outbox, Outgoing, now_utc
from scheduler.subscriptions import Subscriptions

BROADCAST_PREFIX = "b:"  # b:<id>:ok / b:<id>:no


@dataclass(frozen=True)
class Report:
    broadcast_id: int
    admin: int
    counts: dict[str, int]


def message_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


class Broadcasts:
    def __init__(
        self,
        sessions: sessionmaker,
        outbox: Outbox,
        subscriptions: Subscriptions,
        renderer: Renderer,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._subscriptions = subscriptions
        self._renderer = renderer

    def draft(
        self, text: str, admin: int, topic: str = "publicity", send_at: datetime | None = None
    ) -> tuple[int, int]:
        """Save a draft (to send now, or at `send_at`); returns (id, subscribers it reaches)."""
        with self._sessions.begin() as session:
            row = Broadcast(
                text=mask(text),
                topic=topic,
                created_by=admin,
                created_at=now_utc(),
                status="draft",
                reported=False,
                send_at=send_at,
            )
            session.add(row)
            session.flush()
            broadcast_id = row.id
        return broadcast_id, len(self._subscriptions.audience(topic))

    def confirm(self, broadcast_id: int, now: datetime | None = None) -> int | None:
        """Queue a draft for every subscriber (after their quiet hours); None if not a draft."""
        now = now or now_utc()
        with self._sessions.begin() as session:
            row = session.get(Broadcast, broadcast_id)
            if row is None or row.status != "draft":
                return None
            row.status = "queued"
            text, topic, send_at = row.text, row.topic, row.send_at
        start_at = max(now, send_at) if send_at is not None else now
        body = self._renderer.render(
            "scheduled/broadcast_message.j2",
            date.today(),
            body=text,
            topic_name=self._subscriptions.topics.get(topic, topic),
        )
        items = [
            Outgoing(
                message_key(broadcast_id),
                chat,
                body,
                not_before=self._subscriptions.not_before(start, end, start_at),
            )
            for chat, start, end in self._subscriptions.audience(topic)
        ]
        return self._outbox.enqueue(items, now)

    def cancel(self, broadcast_id: int) -> bool:
        with self._sessions.begin() as session:
            row = session.get(Broadcast, broadcast_id)
            if row is None or row.status != "draft":
                return False
            row.status = "cancelled"
            return True

    def finished_reports(self) -> list[Report]:
        """Queued broadcasts with nothing left to send, each reported once."""
        reports = []
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(Broadcast).where(Broadcast.status == "queued", Broadcast.reported.is_(False))
            ).all()
            for row in rows:
                counts = self._outbox.counts(message_key(row.id))
                if counts.get(PENDING) or counts.get(SENDING):
                    continue
                row.status, row.reported = "done", True
                if row.created_by is not None:  # None: the admin has since used /stop
                    reports.append(Report(row.id, row.created_by, counts))
        return reports
