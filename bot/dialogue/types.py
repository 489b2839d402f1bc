"""Plain data passed between the channels and the dialogue core."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.eligibility.conversation import CheckState


@dataclass(frozen=True)
class Button:
    label: str
    # Short ASCII code, at most 64 bytes (Telegram's callback_data limit).
    data: str


@dataclass(frozen=True)
class Candidate:
    """A topic (or a decline kind) offered by a clarification, best first."""

    topic: str
    sections: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML
    buttons: tuple[tuple[Button, ...], ...] = ()
    sections: tuple[str, ...] = ()
    intent: str | None = None
    confidence: float | None = None
    answered: bool = False
    # answer | clarify | menu | decline | degraded | smalltalk | check | message
    kind: str = "message"
    # For a clarification: the topics offered, in button order.
    candidates: tuple[Candidate, ...] = ()
    # The rest of a long answer (Telegram HTML), sent by its "详细说明" button; carried here
    # for channels without buttons (`ask --json`).
    details: str | None = None
    # Pressed on a message this reply replaces (a self-check step): edit that message
    # rather than post a new one.
    edit: bool = False
    # A short notice shown over the chat when a button is pressed (plain text).
    toast: str | None = None


@dataclass
class Context:
    """A user's short-term conversation state, kept per chat by the channel."""

    last_topic: str | None = None
    # Who is asking (worker, enterprise, department, institution), once a message says so.
    audience: str | None = None
    # The plan's period and expiry were said in full once; later citations are one line.
    expiry_noted: bool = False
    # The person writes traditional characters: replies to their buttons are in them too.
    traditional: bool = False
    # The self-check in progress, if any (bot.eligibility.conversation.CheckState).
    check: CheckState | None = None

    def take_over(self, other: Context) -> None:
        """Take another context's state (a trial run on a copy that is kept)."""
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))
