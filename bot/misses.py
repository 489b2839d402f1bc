"""Learning from misses: record declined and unsure questions, export them for the bureau."""

from __future__ import annotations

import csv
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.clock import now_utc
from bot.privacy import mask
from bot.spreadsheet import safe_cell
from bot.store.models import UnansweredQuestion

# The chat the current message came from (bot.store.retention.chat_key), set by the channel
# around each message: the dialogue core records misses without knowing about chats.
asked_in: ContextVar[str | None] = ContextVar("asked_in", default=None)


@dataclass(frozen=True)
class MissSummary:
    text: str
    count: int
    kind: str
    intent: str | None
    first_asked: datetime
    last_asked: datetime


class MissLog:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def record(self, text: str, kind: str, intent: str | None, confidence: float | None) -> None:
        """`text` is masked again here (idempotent): nothing unmasked is ever stored."""
        with self._sessions.begin() as session:
            session.add(
                UnansweredQuestion(
                    asked_at=now_utc(),
                    text=mask(text),
                    chat_hash=asked_in.get(),
                    kind=kind,
                    intent=intent,
                    confidence=confidence,
                )
            )

    def summary(self) -> list[MissSummary]:
        q = UnansweredQuestion
        statement = (
            select(
                q.text,
                func.count(),
                func.max(q.kind),
                func.max(q.intent),
                func.min(q.asked_at),
                func.max(q.asked_at),
            )
            .group_by(q.text)
            .order_by(func.count().desc(), func.max(q.asked_at).desc())
        )
        with self._sessions() as session:
            return [MissSummary(*row) for row in session.execute(statement)]


def write_csv(rows: list[MissSummary], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(["question", "count", "kind", "nlu_intent", "first_asked", "last_asked"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.text),
                row.count,
                row.kind,
                safe_cell(row.intent or ""),
                row.first_asked.isoformat(timespec="seconds"),
                row.last_asked.isoformat(timespec="seconds"),
            ]
        )
