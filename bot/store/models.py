"""Tables. Text is stored only after personal numbers are masked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as UTC, returned timezone-aware: SQLite keeps no offset, PostgreSQL does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class UnansweredQuestion(Base):
    """A question the assistant declined or was unsure about, for the bureau to review."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    text: Mapped[str] = mapped_column(Text)  # normalised and masked
    # The chat it came from, hashed (bot.store.retention.chat_key), so /stop can erase it.
    chat_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # decline | clarify | degraded
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)


class Subscriber(Base):
    """A chat that agreed to receive messages; topics are a comma-separated list of ids."""

    __tablename__ = "subscribers"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    topics: Mapped[str] = mapped_column(String(200), default="")
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DepartmentContact(Base):
    """A chat bound to a department (经信、教育 …) with a one-time code."""

    __tablename__ = "department_contacts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    department: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The member who bound it: in a group, they (or a chat administrator) may unbind.
    bound_by: Mapped[int | None] = mapped_column(BigInteger)


class BindCode(Base):
    __tablename__ = "bind_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigInteger)  # None once the admin /stops
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReportAck(Base):
    """A department's "已报送" for one monthly period (六(一))."""

    __tablename__ = "report_acks"
    __table_args__ = (UniqueConstraint("period", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # "2020-10": the report due 2020-10-01
    department: Mapped[str] = mapped_column(String(32))
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)  # None after their /stop
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(BigInteger)  # None after the admin's /stop
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # draft | scheduled | queued | done | empty | failed | cancelled (scheduler/broadcasts.py)
    status: Mapped[str] = mapped_column(String(16))
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # None: now


class Delivery(Base):
    """The delivery ledger and outbox: one row per message and chat, never two.

    status: pending → sending → sent | failed | blocked; a row found in `sending` after a
    restart becomes `uncertain` and is not sent again (nobody gets a message twice); a
    pending row of a broadcast the admin stopped becomes `cancelled`."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("message_key", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(80), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[str] = mapped_column(Text, default="")  # JSON rows of [label, data]
    status: Mapped[str] = mapped_column(String(16), index=True)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Reminder(Base):
    """A personal reminder: this table is the source of truth; the active scheduler holds
    in memory only the ones due within the next hours (scheduler/reminder_index.py), found
    by the (status, due_at) index."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    text: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # claim | personal
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))  # scheduled | sent | cancelled


class CatalogueStatus(StrEnum):
    DRAFT = "draft"  # read from an admin's upload, waiting for the confirm button
    ACTIVE = "active"


class CatalogueVersion(Base):
    """One import of the subsidy catalogue (目录清单): in force from `valid_from` until the
    next version's `valid_from`. Versions are kept side by side; a question about a training
    date uses the version in force then."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(Text)  # the document: issuer, title and number
    file_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[CatalogueStatus] = mapped_column(
        Enum(
            CatalogueStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    imported_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram user; None: CLI
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CatalogueEntry(Base):
    """One row of a version: an occupation (or `*`, every occupation), a level, an amount."""

    __tablename__ = "catalogue_entries"
    __table_args__ = (UniqueConstraint("version_id", "occupation", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="CASCADE"), index=True
    )
    occupation: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(24))
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    category: Mapped[str] = mapped_column(String(100), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    row_number: Mapped[int] = mapped_column(Integer)


class BindAttempt(Base):
    """A failed /bind, kept a day: failed binds are limited per chat."""

    __tablename__ = "bind_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Conversation(Base):
    """A chat's short-term conversation state (the dialogue context, a self-check in
    progress, a reminder waiting for 确认) as JSON, so any worker can continue it. Dropped
    when idle past config.yml → retention.conversation_idle_hours, and at /stop."""

    __tablename__ = "conversations"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(Text)
    # Raised by every write: a worker only replaces the state it read (compare-and-set).
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
