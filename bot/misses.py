"""Learning from misses: record declined and unsure questions, export them for the bureau."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.privacy import mask
from bot.store.models import UnansweredQuestion


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
                    asked_at=datetime.now(UTC),
                    text=mask(text),
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
                row.text,
                row.count,
                row.kind,
                row.intent or "",
                row.first_asked.isoformat(timespec="seconds"),
                row.last_asked.isoformat(timespec="seconds"),
            ]
        )
