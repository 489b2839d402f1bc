"""Department contacts: one-time bind codes, "已报送" acknowledgements, who is overdue,
and the compliance history as CSV."""

from __future__ import annotations

import csv
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.store.models import BindAttempt, BindCode, DepartmentContact, ReportAck
from scheduler.outbox import now_utc

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

    def write_compliance_csv(self, periods: list[str], out: TextIO) -> None:
        with self._sessions() as session:
            acks = {
                (a.period, a.department): a
                for a in session.scalars(select(ReportAck).where(ReportAck.period.in_(periods)))
            }
        writer = csv.writer(out)
        writer.writerow(
            [
                "period",
                "department",
                "department_name",
                "acknowledged",
                "acknowledged_at",
                "acknowledged_by",
            ]
        )
        for period in periods:
            for department, name in self.names.items():
                ack = acks.get((period, department))
                writer.writerow(
                    [
                        period,
                        department,
                        name,
                        "yes" if ack else "no",
                        ack.acknowledged_at.isoformat(timespec="minutes") if ack else "",
                        ack.acknowledged_by if ack else "",
                    ]
                )
