"""Exactly one active scheduler per database. On PostgreSQL the active process holds an
advisory lock on a connection of its own; when it dies the connection closes, the lock is
released, and a standby takes over. SQLite serves one process: it is always the leader."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LOCK_KEY = 20191231  # any constant shared by all processes of this assistant


class Leadership:
    def __init__(self, database_url: str) -> None:
        self._postgres = make_url(database_url).get_backend_name() == "postgresql"
        self._engine = create_engine(database_url, poolclass=NullPool) if self._postgres else None
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._engine is None:
            return True
        if self._connection is not None:
            return True
        try:
            connection = self._engine.connect()
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            ).scalar_one()
        except Exception:
            log.warning("could not reach the database for the scheduler lock")
            return False
        if not held:
            connection.close()
            return False
        connection.commit()  # end the transaction; the session-level lock stays
        self._connection = connection
        return True

    def still_held(self) -> bool:
        if self._engine is None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                self._connection.commit()
                self._connection.close()
            except Exception:
                pass
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
