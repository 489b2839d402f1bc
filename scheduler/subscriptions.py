"""Subscribers: topics, quiet hours (messages deferred, not dropped) and consent.
/stop is bot.store.retention.forget."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.store.models import Subscriber
from scheduler.outbox import now_utc
from scheduler.reporting import TZ


def _hhmm(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def after_quiet_hours(moment: datetime, start: str, end: str) -> datetime:
    """`moment`, or the end of the quiet window (Asia/Shanghai) when it falls inside it."""
    local = moment.astimezone(TZ)
    quiet_start, quiet_end = _hhmm(start), _hhmm(end)
    now = local.time()
    overnight = quiet_start > quiet_end
    inside = (
        (now >= quiet_start or now < quiet_end) if overnight else quiet_start <= now < quiet_end
    )
    if not inside:
        return moment
    day = local.date() + timedelta(days=1) if overnight and now >= quiet_start else local.date()
    return datetime.combine(day, quiet_end, tzinfo=TZ)


class Subscriptions:
    def __init__(
        self, sessions: sessionmaker, topics: dict[str, str], quiet_hours: tuple[str, str]
    ) -> None:
        self._sessions = sessions
        self.topics = topics
        self._quiet = quiet_hours

    def topics_of(self, chat_id: int) -> set[str]:
        with self._sessions() as session:
            row = session.get(Subscriber, chat_id)
            return (
                set() if row is None or not row.active else set(filter(None, row.topics.split(",")))
            )

    def toggle(self, chat_id: int, topic: str) -> set[str]:
        """Subscribe to or drop one topic; the first subscription records consent."""
        if topic not in self.topics:
            raise KeyError(topic)
        with self._sessions.begin() as session:
            row = session.get(Subscriber, chat_id)
            if row is None:
                row = Subscriber(
                    chat_id=chat_id,
                    topics="",
                    quiet_start=self._quiet[0],
                    quiet_end=self._quiet[1],
                    consent_at=now_utc(),
                    active=True,
                )
                session.add(row)
            chosen = set(filter(None, row.topics.split(","))) if row.active else set()
            chosen ^= {topic}
            row.topics, row.active = ",".join(sorted(chosen)), True
            return chosen

    def unsubscribe_all(self, chat_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(Subscriber, chat_id)
            if row is not None:
                row.topics = ""

    def deactivate(self, chat_id: int) -> None:
        """The chat blocked the bot: stop sending to it."""
        with self._sessions.begin() as session:
            row = session.get(Subscriber, chat_id)
            if row is not None:
                row.active = False

    def audience(self, topic: str) -> list[tuple[int, str, str]]:
        """(chat, quiet start, quiet end) of every active subscriber of a topic."""
        with self._sessions() as session:
            rows = session.scalars(select(Subscriber).where(Subscriber.active.is_(True)))
            return [
                (r.chat_id, r.quiet_start, r.quiet_end)
                for r in rows
                if topic in r.topics.split(",")
            ]

    def not_before(self, quiet_start: str, quiet_end: str, now: datetime) -> datetime:
        return after_quiet_hours(now, quiet_start, quiet_end)
