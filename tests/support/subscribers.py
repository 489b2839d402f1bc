"""Many subscribers at once, for fan-out tests and benchmarks."""

from __future__ import annotations

from sqlalchemy import Engine, insert, text

from bot.clock import now_utc
from bot.store.models import Subscriber


def add_subscribers(engine: Engine, count: int, first_chat: int = 10_000_000) -> None:
    """`count` active subscribers of 政策宣传 (publicity) with no quiet hours."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # generated on the server: seconds, not minutes
            connection.execute(
                text(
                    "INSERT INTO subscribers (chat_id, topics, quiet_start, quiet_end,"
                    " consent_at, active) SELECT g, 'publicity', '00:00', '00:00', now(), true"
                    " FROM generate_series(:first, :last) AS g"
                ),
                {"first": first_chat, "last": first_chat + count - 1},
            )
            return
        now = now_utc()
        connection.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": first_chat + i,
                    "topics": "publicity",
                    "quiet_start": "00:00",
                    "quiet_end": "00:00",
                    "consent_at": now,
                    "active": True,
                }
                for i in range(count)
            ],
        )
