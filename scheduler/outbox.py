"""The outbox: every message the scheduler sends is first a row in the delivery ledger.

A row is unique per (message_key, chat_id), so enqueuing the same message twice is a no-op,
and a process killed half-way through a broadcast resumes from the rows still pending."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import now_utc
from bot.dialogue.types import Button
from bot.store.models import Delivery

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, BLOCKED, UNCERTAIN = "failed", "blocked", "uncertain"
CANCELLED = "cancelled"  # an admin stopped the broadcast before this row was sent


@dataclass(frozen=True)
class Outgoing:
    message_key: str
    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    not_before: datetime | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    message_key: str
    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...]
    attempts: int


class Outbox:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def enqueue(self, items: list[Outgoing], now: datetime | None = None) -> int:
        """Add messages; ones already in the ledger are skipped. Returns how many were new."""
        now = now or now_utc()
        added = 0
        with self._sessions() as session:
            existing = set()
            keys = {i.message_key for i in items}
            if keys:
                existing = set(
                    session.execute(
                        select(Delivery.message_key, Delivery.chat_id).where(
                            Delivery.message_key.in_(keys)
                        )
                    )
                )
            for item in items:
                if (item.message_key, item.chat_id) in existing:
                    continue
                existing.add((item.message_key, item.chat_id))
                session.add(
                    Delivery(
                        message_key=item.message_key,
                        chat_id=item.chat_id,
                        text=item.text,
                        buttons=json.dumps(
                            [[(b.label, b.data) for b in row] for row in item.buttons],
                            ensure_ascii=False,
                        ),
                        status=PENDING,
                        not_before=item.not_before or now,
                        attempts=0,
                        created_at=now,
                    )
                )
                added += 1
            try:
                session.commit()
            except IntegrityError:  # a concurrent enqueue won the race: keep theirs
                session.rollback()
                return 0
        return added

    def claim(self, now: datetime | None = None) -> Claimed | None:
        """The oldest due pending row, marked `sending` and committed before any HTTP call."""
        now = now or now_utc()
        with self._sessions.begin() as session:
            row = session.execute(
                select(Delivery)
                .where(Delivery.status == PENDING, Delivery.not_before <= now)
                .order_by(Delivery.not_before, Delivery.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if row is None:
                return None
            row.status = SENDING
            row.attempts += 1
            buttons = tuple(
                tuple(Button(label, data) for label, data in r)
                for r in json.loads(row.buttons or "[]")
            )
            return Claimed(row.id, row.message_key, row.chat_id, row.text, buttons, row.attempts)

    def finish(
        self, row_id: int, status: str, error: str | None = None, retry_at: datetime | None = None
    ) -> None:
        with self._sessions.begin() as session:
            row = session.get(Delivery, row_id)
            if row is None:
                return
            row.status = PENDING if retry_at is not None else status
            row.last_error = (error or "")[:200] or None
            if retry_at is not None:
                row.not_before = retry_at
            if status == SENT:
                row.sent_at = now_utc()

    def recover(self) -> int:
        """After a restart: rows left `sending` may or may not have reached Telegram. They are
        marked `uncertain` and not sent again, so nobody gets a message twice."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Delivery).where(Delivery.status == SENDING).values(status=UNCERTAIN)
            )
            return int(result.rowcount or 0)

    def counts(self, message_key: str) -> dict[str, int]:
        with self._sessions() as session:
            rows = session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.message_key == message_key)
                .group_by(Delivery.status)
            )
            return {status: int(n) for status, n in rows}

    def delivered(self, chat_id: int, key_patterns: tuple[str, ...]) -> bool:
        """Whether a message whose key matches one of the LIKE patterns went out (or may
        have) to this chat: what the bot really asked, as opposed to forged button data."""
        statement = (
            select(Delivery.id)
            .where(
                Delivery.chat_id == chat_id,
                Delivery.status.in_((SENT, SENDING, UNCERTAIN)),
                or_(*(Delivery.message_key.like(p) for p in key_patterns)),
            )
            .limit(1)
        )
        with self._sessions() as session:
            return session.execute(statement).first() is not None

    def pending_count(self) -> int:
        with self._sessions() as session:
            return int(
                session.execute(select(func.count()).where(Delivery.status == PENDING)).scalar_one()
            )

    def next_due(self) -> datetime | None:
        with self._sessions() as session:
            moment = session.execute(
                select(func.min(Delivery.not_before)).where(Delivery.status == PENDING)
            ).scalar_one_or_none()
            return moment
