"""Subscribers: topics, quiet hours (messages deferred, not dropped) and consent.
/stop is bot.store.retention.forget."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, bindparam, case, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.store.models import Delivery, Subscriber, UtcDateTime
from scheduler.outbox import PENDING


def _hhmm(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def after_quiet_hours(moment: datetime, start: str, end: str, zone: tzinfo) -> datetime:
    """`moment`, or the end of the quiet window (local time in `zone`) when it falls inside it."""
    local = moment.astimezone(zone)
    quiet_start, quiet_end = _hhmm(start), _hhmm(end)
    now = local.time()
    overnight = quiet_start > quiet_end
    inside = (
        (now >= quiet_start or now < quiet_end) if overnight else quiet_start <= now < quiet_end
    )
    if not inside:
        return moment
    day = local.date() + timedelta(days=1) if overnight and now >= quiet_start else local.date()
    return datetime.combine(day, quiet_end, tzinfo=zone)


class Subscriptions:
    def __init__(
        self,
        sessions: sessionmaker,
        topics: dict[str, str],
        quiet_hours: tuple[str, str],
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self.topics = topics
        self._quiet = quiet_hours
        self._clock = clock

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
                    consent_at=self._clock.now(),
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

    def audience_count(self, topic: str) -> int:
        """How many active chats subscribe to a topic (one COUNT, for previews)."""
        with self._sessions() as session:
            return int(
                session.execute(
                    select(func.count()).select_from(Subscriber).where(_subscribes_to(topic))
                ).scalar_one()
            )

    def fan_out(
        self,
        session: Session,
        message_key: str,
        text: str,
        topic: str,
        start_at: datetime,
        now: datetime,
    ) -> int:
        """Queue one message for every active subscriber of a topic in ONE set-based
        statement (INSERT … SELECT … ON CONFLICT DO NOTHING), inside the caller's
        transaction; each row waits for the end of its chat's quiet hours. Returns the rows
        added. Quiet hours are per subscriber but take few distinct values: each pair's
        `not_before` is computed here and chosen in SQL with a CASE."""
        pairs = session.execute(
            select(Subscriber.quiet_start, Subscriber.quiet_end)
            .where(_subscribes_to(topic))
            .distinct()
        ).all()
        moment = bindparam("start_at", start_at, type_=UtcDateTime())
        if pairs:
            not_before: ColumnElement[datetime] = case(
                *(
                    (
                        and_(Subscriber.quiet_start == start, Subscriber.quiet_end == end),
                        bindparam(f"nb{i}", self.not_before(start, end, start_at), UtcDateTime()),
                    )
                    for i, (start, end) in enumerate(pairs)
                ),
                else_=moment,  # a subscriber who joined since the pairs were read
            )
        else:
            not_before = moment
        rows = select(
            literal(message_key),
            Subscriber.chat_id,
            literal(text),
            literal("[]"),
            literal(PENDING),
            not_before,
            literal(0),
            bindparam("created_at", now, type_=UtcDateTime()),
        ).where(_subscribes_to(topic))
        postgres = session.get_bind().dialect.name == "postgresql"
        insert = postgresql.insert if postgres else sqlite.insert
        statement = (
            insert(Delivery)
            .from_select(
                [
                    "message_key",
                    "chat_id",
                    "text",
                    "buttons",
                    "status",
                    "not_before",
                    "attempts",
                    "created_at",
                ],
                rows,
            )
            .on_conflict_do_nothing(index_elements=["message_key", "chat_id"])
        )
        # SQLAlchemy keeps an INSERT's rowcount only when asked to.
        result = session.execute(statement, execution_options={"preserve_rowcount": True})
        return int(result.rowcount)

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
        return after_quiet_hours(now, quiet_start, quiet_end, self._clock.zone)


def _subscribes_to(topic: str) -> ColumnElement[bool]:
    """Active, with `topic` among the comma-separated topics (matched whole, in SQL)."""
    padded = literal(",") + Subscriber.topics + literal(",")
    return and_(Subscriber.active.is_(True), padded.contains(f",{topic},", autoescape=True))
