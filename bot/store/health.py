"""Whether the database can do its job, for GET /healthz: its file is still there, it
accepts a write, and its schema is the one this code expects. A pooled connection keeps
working on a deleted SQLite file, and reads succeed on a read-only database, so a
`SELECT 1` says nothing about either."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from bot.store.db import schema_head


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (also `file:…?mode=ro&uri=true`); None for other databases
    and in-memory ones."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    name = url.database.removeprefix("file:") if url.query.get("uri") else url.database
    if name in {"", ":memory:"}:
        return None
    return Path(name).resolve()


def _short(exc: BaseException) -> str:
    # The driver's own words, first line only (no SQL, no parameters).
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0][:160]


@dataclass
class DatabaseHealth:
    """Create it once the database is migrated: it remembers which file it was."""

    engine: Engine
    head: str = field(default_factory=schema_head)
    _file: Path | None = field(init=False, default=None)
    _identity: tuple[int, int] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._file = sqlite_file(self.engine.url)
        if self._file is not None and self._file.exists():
            stat = self._file.stat()
            self._identity = (stat.st_dev, stat.st_ino)

    def problems(self) -> list[str]:
        """What is wrong, in plain words; empty when the database is fine."""
        if self._file is not None:
            try:
                stat = os.stat(self._file)
            except FileNotFoundError:
                return [f"database file missing: {self._file}"]
            if self._identity is not None and (stat.st_dev, stat.st_ino) != self._identity:
                return [f"database file replaced since start: {self._file}"]
        found: list[str] = []
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                if connection.dialect.name == "postgresql":
                    # A probe must not queue behind a long migration or a stuck lock.
                    connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                    connection.execute(text("SET LOCAL statement_timeout = '5s'"))
                versions = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalars()
                version = ", ".join(sorted(versions)) or "none"
                if version != self.head:
                    found.append(f"schema at revision {version}, expected {self.head}")
                try:
                    # A write that changes nothing, rolled back: the database takes writes.
                    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                except SQLAlchemyError as exc:
                    readonly = any(w in str(exc).lower() for w in ("readonly", "read-only"))
                    found.append(("read-only: " if readonly else "write failed: ") + _short(exc))
                transaction.rollback()
        except SQLAlchemyError as exc:
            found.append(f"unusable: {_short(exc)}")
        return found
