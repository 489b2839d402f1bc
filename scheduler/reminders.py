"""Personal reminders ("下周五上午提醒我去申领补贴", /remind, or from the self-check)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import now_utc
from bot.privacy import mask
from bot.store.models import Reminder

SCHEDULED, SENT, CANCELLED = "scheduled", "sent", "cancelled"
CLAIM_WORDS = ("申领", "领取", "补贴", "领钱")
DEFAULT_TEXT = "申领培训补贴"


@dataclass(frozen=True)
class ReminderInfo:
    id: int
    chat_id: int
    text: str
    kind: str
    due_at: datetime
    status: str


def reminder_text(raw: str, matched: str) -> str:
    """What to be reminded of: the message without the time words and "提醒我"."""
    text = raw
    for words in matched.split():
        text = text.replace(words, "", 1)
    text = re.sub(r"^/remind\s*", "", text)
    text = re.sub(r"(请|麻烦)?(到时候?)?提醒我(一下)?", "", text)
    text = text.strip(" ，,。.！!：:")
    return text[:100] or DEFAULT_TEXT


def kind_of(text: str) -> str:
    return "claim" if any(word in text for word in CLAIM_WORDS) else "personal"


class TooManyReminders(Exception):
    """The chat already has as many scheduled reminders as config.yml allows."""


def _info(row: Reminder) -> ReminderInfo:
    return ReminderInfo(row.id, row.chat_id, row.text, row.kind, row.due_at, row.status)


class Reminders:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def create(
        self, chat_id: int, text: str, due_at: datetime, cap: int | None = None
    ) -> ReminderInfo:
        """Save a reminder; with a cap, refuse (TooManyReminders) once the chat has that many
        scheduled. A chat's updates are handled one at a time, so count and insert do not race."""
        with self._sessions.begin() as session:
            if cap is not None and self._count(session, chat_id) >= cap:
                raise TooManyReminders
            row = Reminder(
                chat_id=chat_id,
                text=mask(text)[:200],
                kind=kind_of(text),
                due_at=due_at,
                created_at=now_utc(),
                status=SCHEDULED,
            )
            session.add(row)
            session.flush()
            return _info(row)

    def get(self, reminder_id: int) -> ReminderInfo | None:
        with self._sessions() as session:
            row = session.get(Reminder, reminder_id)
            return None if row is None else _info(row)

    def scheduled(self, chat_id: int | None = None) -> list[ReminderInfo]:
        statement = select(Reminder).where(Reminder.status == SCHEDULED).order_by(Reminder.due_at)
        if chat_id is not None:
            statement = statement.where(Reminder.chat_id == chat_id)
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(statement)]

    def count_scheduled(self, chat_id: int) -> int:
        with self._sessions() as session:
            return self._count(session, chat_id)

    @staticmethod
    def _count(session: Session, chat_id: int) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(Reminder)
                .where(Reminder.chat_id == chat_id, Reminder.status == SCHEDULED)
            )
            or 0
        )

    def due_between(self, start: datetime, end: datetime) -> list[tuple[int, datetime]]:
        """(id, due_at) of the scheduled reminders due in [start, end): one range scan of the
        (status, due_at) index, whatever the table's size."""
        statement = (
            select(Reminder.id, Reminder.due_at)
            .where(Reminder.status == SCHEDULED, Reminder.due_at >= start, Reminder.due_at < end)
            .order_by(Reminder.due_at)
        )
        with self._sessions() as session:
            return [(row.id, row.due_at) for row in session.execute(statement)]

    def set_status(self, reminder_id: int, status: str, chat_id: int | None = None) -> bool:
        """Move a scheduled reminder on; with chat_id, only the owner may."""
        with self._sessions.begin() as session:
            row = session.get(Reminder, reminder_id)
            if row is None or row.status != SCHEDULED:
                return False
            if chat_id is not None and row.chat_id != chat_id:
                return False
            row.status = status
            return True
