"""Catalogue versions in the database: save an import (or an admin's draft), confirm it,
list versions, and the version in force on a date. Each import is one transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue.reader import Entry
from bot.clock import now_utc
from bot.store.models import CatalogueEntry, CatalogueStatus, CatalogueVersion

DRAFT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Version:
    id: int
    valid_from: date
    source: str
    file_name: str
    imported_at: datetime
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Change:
    occupation: str
    level: str
    old: Decimal
    new: Decimal


@dataclass(frozen=True)
class Diff:
    """What an import changes, against the version it replaces (same `valid_from`) or the
    one in force just before it."""

    against: Version | None
    replaces: bool
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[Change, ...]


def diff(entries: tuple[Entry, ...], against: Version | None, replaces: bool) -> Diff:
    old = {(e.occupation, e.level): e for e in (against.entries if against else ())}
    new = {(e.occupation, e.level): e for e in entries}
    return Diff(
        against=against,
        replaces=replaces,
        added=tuple(e for k, e in new.items() if k not in old),
        removed=tuple(e for k, e in old.items() if k not in new),
        changed=tuple(
            Change(e.occupation, e.level, old[k].amount_yuan, e.amount_yuan)
            for k, e in new.items()
            if k in old and old[k].amount_yuan != e.amount_yuan
        ),
    )


def _entry(row: CatalogueEntry) -> Entry:
    return Entry(
        occupation=row.occupation,
        level=row.level,
        amount_yuan=Decimal(row.amount_yuan).quantize(Decimal("0.01")),
        category=row.category,
        remarks=row.remarks,
        row=row.row_number,
    )


class CatalogueStore:
    def __init__(self, sessions: sessionmaker, cache_seconds: float = 30.0) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, tuple[Version, ...]] | None = None

    # ---- reading ----

    def versions(self) -> tuple[Version, ...]:
        """Active versions, oldest first; cached briefly (every answer may look here)."""
        if self._cached is not None and time.monotonic() - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        with self._sessions() as session:
            found = self._load(session, CatalogueStatus.ACTIVE)
        self._cached = (time.monotonic(), found)
        return found

    def in_force(self, on: date) -> Version | None:
        current = [v for v in self.versions() if v.valid_from <= on]
        return current[-1] if current else None

    def latest(self) -> Version | None:
        found = self.versions()
        return found[-1] if found else None

    def draft(self, draft_id: int) -> Version | None:
        with self._sessions() as session:
            found = self._load(session, CatalogueStatus.DRAFT, draft_id)
        return found[0] if found else None

    def diff_for(self, entries: tuple[Entry, ...], valid_from: date) -> Diff:
        same = [v for v in self.versions() if v.valid_from == valid_from]
        if same:
            return diff(entries, same[0], replaces=True)
        return diff(entries, self.in_force(valid_from), replaces=False)

    # ---- writing ----

    def save(
        self,
        entries: tuple[Entry, ...],
        valid_from: date,
        source: str,
        file_name: str,
        imported_by: int | None = None,
        draft: bool = False,
    ) -> int:
        """Store a version (replacing an active one with the same date), or a draft."""
        status = CatalogueStatus.DRAFT if draft else CatalogueStatus.ACTIVE
        with self._sessions.begin() as session:
            if draft:
                self._drop_old_drafts(session)
            else:
                self._drop_active(session, valid_from)
            version = CatalogueVersion(
                valid_from=valid_from,
                source=source,
                file_name=file_name[:200],
                status=status,
                imported_by=imported_by,
                imported_at=now_utc(),
            )
            session.add(version)
            session.flush()
            session.add_all(
                CatalogueEntry(
                    version_id=version.id,
                    occupation=e.occupation,
                    level=e.level,
                    amount_yuan=e.amount_yuan,
                    category=e.category[:100],
                    remarks=e.remarks,
                    row_number=e.row,
                )
                for e in entries
            )
            version_id = version.id
        self._cached = None
        return version_id

    def confirm(self, draft_id: int) -> Version | None:
        """Make a draft the active version for its date; None when it is gone (confirmed or
        discarded already, or expired)."""
        with self._sessions.begin() as session:
            version = session.get(CatalogueVersion, draft_id, with_for_update=True)
            if version is None or version.status != CatalogueStatus.DRAFT:
                return None
            self._drop_active(session, version.valid_from)
            version.status = CatalogueStatus.ACTIVE
        self._cached = None
        return next((v for v in self.versions() if v.id == draft_id), None)

    def discard(self, draft_id: int) -> bool:
        with self._sessions.begin() as session:
            version = session.get(CatalogueVersion, draft_id)
            if version is None or version.status != CatalogueStatus.DRAFT:
                return False
            self._delete(session, [draft_id])
        return True

    # ---- helpers ----

    def _load(
        self, session: Session, status: CatalogueStatus, version_id: int | None = None
    ) -> tuple[Version, ...]:
        query = select(CatalogueVersion).where(CatalogueVersion.status == status)
        if version_id is not None:
            query = query.where(CatalogueVersion.id == version_id)
        rows = session.scalars(
            query.order_by(CatalogueVersion.valid_from, CatalogueVersion.id)
        ).all()
        if not rows:
            return ()
        entries: dict[int, list[Entry]] = {r.id: [] for r in rows}
        for row in session.scalars(
            select(CatalogueEntry)
            .where(CatalogueEntry.version_id.in_(entries))
            .order_by(CatalogueEntry.row_number)
        ):
            entries[row.version_id].append(_entry(row))
        return tuple(
            Version(r.id, r.valid_from, r.source, r.file_name, r.imported_at, tuple(entries[r.id]))
            for r in rows
        )

    def _drop_active(self, session: Session, valid_from: date) -> None:
        ids = session.scalars(
            select(CatalogueVersion.id).where(
                CatalogueVersion.status == CatalogueStatus.ACTIVE,
                CatalogueVersion.valid_from == valid_from,
            )
        ).all()
        self._delete(session, list(ids))

    def _drop_old_drafts(self, session: Session) -> None:
        ids = session.scalars(
            select(CatalogueVersion.id).where(
                CatalogueVersion.status == CatalogueStatus.DRAFT,
                CatalogueVersion.imported_at < now_utc() - DRAFT_LIFETIME,
            )
        ).all()
        self._delete(session, list(ids))

    @staticmethod
    def _delete(session: Session, ids: list[int]) -> None:
        if ids:
            # Entries first: SQLite enforces no foreign keys unless told to.
            session.execute(delete(CatalogueEntry).where(CatalogueEntry.version_id.in_(ids)))
            session.execute(delete(CatalogueVersion).where(CatalogueVersion.id.in_(ids)))
