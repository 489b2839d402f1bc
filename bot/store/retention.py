"""Erasure and retention: `/stop` erases everything kept about a chat and the person who
sent it, and a daily job drops what is older than config.yml → retention allows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import sessionmaker

from bot.config import RetentionSettings
from bot.store.models import (
    BindAttempt,
    BindCode,
    Broadcast,
    CatalogueVersion,
    Conversation,
    Delivery,
    DepartmentContact,
    Reminder,
    ReportAck,
    Subscriber,
    UnansweredQuestion,
)

# Deliveries in these states are final: their text is no longer needed to send them.
_DELIVERED = ("sent", "failed", "blocked", "uncertain", "cancelled")
FAILED_BIND_WINDOW = timedelta(hours=1)


def chat_key(chat_id: int) -> str:
    """The chat an unanswered question came from, as stored: a hash, so the bureau's
    table does not say who asked, while /stop can still find the chat's rows."""
    return hashlib.sha256(f"assistant-chat:{chat_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Purged:
    unanswered_questions: int
    delivered_texts: int
    bind_codes: int
    bind_attempts: int
    conversations: int = 0
    broadcast_drafts: int = 0


def forget(sessions: sessionmaker, chat_id: int, user_id: int | None) -> None:
    """/stop, in one transaction: the chat's subscription, department binding, reminders,
    queued and delivered messages, unanswered questions, failed binds and conversation
    state are deleted; the
    ids of the chat and of the person are removed from the rows that must stay (a bind
    code stays used, an acknowledgement stays the department's)."""
    ids = {chat_id} if user_id is None else {chat_id, user_id}
    with sessions.begin() as session:
        for model, column in (
            (Subscriber, Subscriber.chat_id),
            (DepartmentContact, DepartmentContact.chat_id),
            (Delivery, Delivery.chat_id),
            (Reminder, Reminder.chat_id),
            (BindAttempt, BindAttempt.chat_id),
            (Conversation, Conversation.chat_id),
        ):
            session.execute(delete(model).where(column == chat_id))
        session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.chat_hash == chat_key(chat_id))
        )
        for column in (
            BindCode.used_by,
            BindCode.created_by,
            ReportAck.acknowledged_by,
            Broadcast.created_by,
            CatalogueVersion.imported_by,
            DepartmentContact.bound_by,
        ):
            session.execute(update(column.class_).where(column.in_(ids)).values({column.key: None}))


def purge(sessions: sessionmaker, now: datetime, limits: RetentionSettings) -> Purged:
    """The daily job: drop what is past its retention."""
    questions_before = now - timedelta(days=limits.unanswered_questions_days)
    texts_before = now - timedelta(days=limits.delivered_texts_days)
    codes_before = now - timedelta(days=limits.bind_code_valid_days)
    idle_before = now - timedelta(hours=limits.conversation_idle_hours)
    drafts_before = now - timedelta(hours=limits.broadcast_draft_hours)
    with sessions.begin() as session:
        questions = session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.asked_at < questions_before)
        ).rowcount
        texts = session.execute(
            update(Delivery)
            .where(
                Delivery.created_at < texts_before,
                Delivery.status.in_(_DELIVERED),
                or_(Delivery.text != "", Delivery.buttons != ""),
            )
            .values(text="", buttons="")
        ).rowcount
        codes = session.execute(
            delete(BindCode).where(BindCode.used_at.is_(None), BindCode.created_at < codes_before)
        ).rowcount
        attempts = session.execute(
            delete(BindAttempt).where(BindAttempt.attempted_at < now - FAILED_BIND_WINDOW)
        ).rowcount
        conversations = session.execute(
            delete(Conversation).where(Conversation.updated_at < idle_before)
        ).rowcount
        stale_drafts = (Broadcast.status == "draft", Broadcast.created_at < drafts_before)
        drafts = session.execute(delete(Broadcast).where(*stale_drafts)).rowcount
    return Purged(questions, texts, codes, attempts, conversations, drafts)
