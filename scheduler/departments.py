"""Department contacts: one-time bind codes, "已报送" acknowledgements, who is overdue,
and the compliance history as CSV."""

from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import now_utc
from bot.spreadsheet import safe_cell
from bot.store.models import BindAttempt, BindCode, DepartmentContact, ReportAck
from scheduler.reporting import Period

# No 0/O/1/I: codes are read aloud and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_SHAPE = re.compile(r"[A-Z0-9]{4,16}")
DEFAULT_CODE_VALIDITY = timedelta(days=7)


@dataclass(frozen=True)
class Contact:
    chat_id: int
    department: str
    name: str
    bound_by: int | None = None


class Departments:
    def __init__(self, sessions: sessionmaker, names: dict[str, str]) -> None:
        self._sessions = sessions
        self.names = names

    def new_code(self, department: str, admin_id: int) -> str:
        if department not in self.names:
            raise KeyError(department)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        with self._sessions.begin() as session:
            session.add(
                BindCode(
                    code=code, department=department, created_by=admin_id, created_at=now_utc()
                )
            )
        return code

    def bind(
        self,
        chat_id: int,
        code: str,
        name: str,
        user_id: int | None = None,
        valid_for: timedelta = DEFAULT_CODE_VALIDITY,
    ) -> str | None:
        """Bind the chat to the code's department; None when the code is unknown, used or
        expired. The code is consumed by one conditional UPDATE, so of two simultaneous
        binds with one code exactly one succeeds (on SQLite and on PostgreSQL)."""
        code = code.strip().upper()
        if not _CODE_SHAPE.fullmatch(code):
            return None
        now = now_utc()
        with self._sessions.begin() as session:
            claimed = session.execute(
                update(BindCode)
                .where(
                    BindCode.code == code,
                    BindCode.used_at.is_(None),
                    BindCode.created_at > now - valid_for,
                )
                .values(used_at=now, used_by=chat_id)
            )
            if claimed.rowcount != 1:
                return None
            department = session.execute(
                select(BindCode.department).where(BindCode.code == code)
            ).scalar_one()
            contact = session.get(DepartmentContact, chat_id)
            if contact is None:
                session.add(
                    DepartmentContact(
                        chat_id=chat_id,
                        department=department,
                        name=name[:100],
                        bound_at=now,
                        bound_by=user_id,
                    )
                )
            else:
                contact.department, contact.name = department, name[:100]
                contact.bound_at, contact.bound_by = now, user_id
            return department

    def record_failed_bind(self, chat_id: int) -> None:
        with self._sessions.begin() as session:
            session.add(BindAttempt(chat_id=chat_id, attempted_at=now_utc()))

    def failed_binds(self, chat_id: int, since: datetime) -> int:
        statement = select(func.count()).where(
            BindAttempt.chat_id == chat_id, BindAttempt.attempted_at > since
        )
        with self._sessions() as session:
            return int(session.execute(statement).scalar_one())

    def contact(self, chat_id: int) -> Contact | None:
        with self._sessions() as session:
            row = session.get(DepartmentContact, chat_id)
            return (
                None
                if row is None
                else Contact(row.chat_id, row.department, row.name, row.bound_by)
            )

    def contacts(self, department: str | None = None) -> list[Contact]:
        statement = select(DepartmentContact).order_by(DepartmentContact.chat_id)
        if department is not None:
            statement = statement.where(DepartmentContact.department == department)
        with self._sessions() as session:
            return [
                Contact(r.chat_id, r.department, r.name, r.bound_by)
                for r in session.scalars(statement)
            ]

    def unbind(self, chat_id: int) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(DepartmentContact).where(DepartmentContact.chat_id == chat_id))

    def acknowledge(
        self, period: str, department: str, by: int | None, at: datetime | None = None
    ) -> bool:
        """Record "已报送"; False when the department had already acknowledged that period."""
        try:
            with self._sessions.begin() as session:
                session.add(
                    ReportAck(
                        period=period,
                        department=department,
                        acknowledged_by=by,
                        acknowledged_at=at or now_utc(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def acknowledged(self, period: str) -> set[str]:
        with self._sessions() as session:
            return set(
                session.scalars(select(ReportAck.department).where(ReportAck.period == period))
            )

    def overdue(self, period: str) -> list[str]:
        """Departments (ids, in config order) that have not acknowledged the period."""
        done = self.acknowledged(period)
        return [d for d in self.names if d not in done]

    def bound(self) -> set[str]:
        """Departments with at least one bound contact (the others get no reminders)."""
        with self._sessions() as session:
            return set(session.scalars(select(DepartmentContact.department).distinct()))

    def split_overdue(self, period: str) -> tuple[list[str], list[str]]:
        """The departments that have not acknowledged the period: (those with a contact,
        who were reminded; those without one, who could not be), each in config order."""
        late, bound = self.overdue(period), self.bound()
        return [d for d in late if d in bound], [d for d in late if d not in bound]

    def resolve(self, query: str) -> list[str]:
        """Departments an admin may mean: the id, the exact name, or every department whose
        name contains the query or is contained in it ("退役军人", "市经信局")."""
        query = query.strip()
        if not query:
            return []
        if query in self.names:
            return [query]
        exact = [d for d, name in self.names.items() if name == query]
        if exact:
            return exact
        return [d for d, name in self.names.items() if query in name or name in query]

    def compliance(self, periods: list[Period]) -> list[ComplianceRow]:
        """One row per period and department, periods in the given order."""
        keys = [p.key for p in periods]
        with self._sessions() as session:
            acks = {
                (a.period, a.department): a
                for a in session.scalars(select(ReportAck).where(ReportAck.period.in_(keys)))
            }
            contacts = list(session.scalars(select(DepartmentContact)))
        names_by_chat = {c.chat_id: c.name for c in contacts}
        current: dict[str, list[str]] = {}
        for c in sorted(contacts, key=lambda c: c.chat_id):
            current.setdefault(c.department, []).append(c.name or str(c.chat_id))
        rows = []
        for period in periods:
            for department, name in self.names.items():
                ack = acks.get((period.key, department))
                rows.append(
                    ComplianceRow(
                        period,
                        name,
                        ack.acknowledged_at if ack else None,
                        ack.acknowledged_by if ack else None,
                        names_by_chat.get(ack.acknowledged_by) if ack else None,
                        tuple(current.get(department, [])),
                    )
                )
        return rows


@dataclass(frozen=True)
class ComplianceRow:
    period: Period
    department_name: str
    acknowledged_at: datetime | None
    acknowledged_by: int | None  # the Telegram user who pressed "已报送" or sent /reported
    acknowledged_by_name: str | None  # their name, while they are still a bound contact
    contacts: tuple[str, ...]  # the department's contacts now


@dataclass(frozen=True)
class ComplianceLabels:
    """The CSV's Chinese headers and values (responses/compliance.yml)."""

    columns: tuple[str, ...]
    report: str  # "{covers}月报"
    acknowledged: str
    missing: str


def load_compliance_labels(responses: Path) -> ComplianceLabels:
    raw = yaml.safe_load((responses / "compliance.yml").read_text("utf-8"))
    return ComplianceLabels(
        tuple(raw["columns"]), raw["report"], raw["acknowledged"], raw["missing"]
    )


def write_compliance_csv(
    rows: list[ComplianceRow], labels: ComplianceLabels, out: TextIO, tz: tzinfo
) -> None:
    """Times in the bureau's zone; every cell made safe to open in a spreadsheet."""
    writer = csv.writer(out)
    writer.writerow(labels.columns)
    for row in rows:
        at = (
            row.acknowledged_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            if row.acknowledged_at
            else ""
        )
        by = ""
        if row.acknowledged_by is not None:
            by = str(row.acknowledged_by)
            if row.acknowledged_by_name:
                by = f"{row.acknowledged_by_name}（{row.acknowledged_by}）"
        cells = [
            labels.report.format(covers=row.period.covers),
            row.period.due.isoformat(),
            row.department_name,
            labels.acknowledged if row.acknowledged_at else labels.missing,
            at,
            by,
            "、".join(row.contacts),
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
