"""Each chat's short-term conversation state in the database, as JSON, so that any worker
can continue any conversation and a restart loses nothing. State idle longer than
config.yml → retention.conversation_idle_hours is not read back, and the daily retention
job deletes it (bot.store.retention.purge)."""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import Conversation
from bot.store.plain import json_default

log = logging.getLogger(__name__)

# PostgreSQL advisory locks on chats use the two-key space (namespace, chat): it never meets
# the scheduler's one-key lock (scheduler.leader).
LOCK_NAMESPACE = 1207
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))")


@dataclass(frozen=True)
class StoredState:
    """What a worker read: the state (None when there is none, or it expired) and the
    row's revision (0: no row), which its save must still find."""

    data: dict[str, Any] | None
    revision: int = 0


class ConversationStore:
    def __init__(self, sessions: sessionmaker, max_idle: timedelta) -> None:
        self._sessions = sessions
        self.max_idle = max_idle
        self._postgres: bool | None = None

    def load(self, chat_id: int, now: datetime) -> StoredState:
        with self._sessions() as session:
            row = session.get(Conversation, chat_id)
            if row is None:
                return StoredState(None)
            if row.updated_at < now - self.max_idle:
                return StoredState(None, row.revision)  # expired: a fresh start
            try:
                data = json.loads(row.state)
            except ValueError:
                log.warning("unreadable conversation state of a chat: starting afresh")
                data = None
            return StoredState(data if isinstance(data, dict) else None, row.revision)

    def save(
        self, chat_id: int, data: dict[str, Any] | None, read: StoredState, now: datetime
    ) -> bool:
        """Replace the state read with `data` (None: delete the row). False, and nothing
        written, when another worker changed or erased (/stop) it in the meantime: theirs
        stands, and an erased conversation is never brought back."""
        blob = None if data is None else json.dumps(data, ensure_ascii=False, default=json_default)
        if read.revision == 0:
            return blob is None or self._insert(chat_id, blob, now)
        matches = (Conversation.chat_id == chat_id, Conversation.revision == read.revision)
        with self._sessions.begin() as session:
            if blob is None:
                changed = session.execute(delete(Conversation).where(*matches)).rowcount
            else:
                changed = session.execute(
                    update(Conversation)
                    .where(*matches)
                    .values(state=blob, revision=read.revision + 1, updated_at=now)
                ).rowcount
        return changed == 1

    def _insert(self, chat_id: int, blob: str, now: datetime) -> bool:
        session = self._sessions()
        try:
            session.add(Conversation(chat_id=chat_id, state=blob, revision=1, updated_at=now))
            session.commit()
            return True
        except IntegrityError:  # another worker wrote this chat's first state first
            session.rollback()
            return False
        finally:
            session.close()

    def chat_lock(self, chat_id: int) -> ChatLock | None:
        """A lock on the chat shared by every worker (PostgreSQL); None on SQLite, which
        serves one process."""
        if self._postgres is None:
            with self._sessions() as session:
                self._postgres = session.get_bind().dialect.name == "postgresql"
        return ChatLock(self._sessions(), chat_id) if self._postgres else None


class ChatLock:
    """A transaction-level advisory lock on one chat, on a session of its own: taken
    before an update is handled, released (by ending the transaction) after its state is
    saved, so another worker reads the state only once it is written. A dead worker's
    lock goes with its connection."""

    def __init__(self, session: Session, chat_id: int) -> None:
        self._session = session
        # Two chats may share a key now and then: they then wait for each other, briefly.
        self._key = zlib.crc32(str(chat_id).encode()) - 2**31

    def try_acquire(self) -> bool:
        held = self._session.execute(_TRY_LOCK, {"space": LOCK_NAMESPACE, "key": self._key})
        return bool(held.scalar_one())

    def release(self) -> None:
        self._session.rollback()  # ends the transaction: the lock is released
        self._session.close()
