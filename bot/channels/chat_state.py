"""What a chat's conversation keeps between two updates, as plain data for the database
(bot.store.conversations): the dialogue context (last topic, audience, a self-check in
progress) and a reminder waiting for 确认."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.types import Context
from bot.store.plain import from_plain, to_plain

# Written with the state; readers accept any version (unknown fields are ignored and
# missing ones take their defaults), so a rolling deploy never breaks a conversation.
STATE_VERSION = 1


@dataclass
class PendingReminder:
    """A reminder proposed and waiting for the 确认 button."""

    text: str = ""
    due: str = ""  # ISO 8601 with its offset


@dataclass
class ChatState:
    dialogue: Context = field(default_factory=Context)
    pending_reminder: PendingReminder | None = None

    def clear(self) -> None:
        self.dialogue = Context()
        self.pending_reminder = None


_EMPTY = to_plain(ChatState())


def state_to_plain(state: ChatState) -> dict[str, Any] | None:
    """The state as JSON-ready dicts; None when there is nothing worth keeping."""
    plain = to_plain(state)
    return None if plain == _EMPTY else {"v": STATE_VERSION, **plain}


def state_from_plain(data: dict[str, Any] | None) -> ChatState:
    return from_plain(ChatState, data) if data else ChatState()
