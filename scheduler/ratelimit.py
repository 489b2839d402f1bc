"""One send rate for everything a bot process sends to Telegram: the outbox and the replies
to people share it, so a busy broadcast and a busy hour of questions together stay inside
Telegram's limits (about 30 messages/s overall, 1/s per chat), and a flood-control pause
(429 RetryAfter) stops both."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

MAX_REMEMBERED_CHATS = 10_000


@dataclass
class SendLimiter:
    """Evenly spaced slots: at most `per_second` sends overall, and `per_chat_interval`
    seconds between two sends to one chat when the caller names the chat.

    Each caller reserves its slot before sleeping (no await between looking and taking), so
    concurrent coroutines in one event loop never share a slot. `enabled=False` keeps only
    the flood-control pauses (benchmarks, tests of the sender's bookkeeping)."""

    per_second: float = 25.0
    per_chat_interval: float = 1.0
    enabled: bool = True
    _next_slot: float = 0.0
    _next_by_chat: dict[int, float] = field(default_factory=dict)
    _paused_until: float = 0.0

    async def acquire(self, chat_id: int | None = None) -> float:
        """Wait for a slot; returns the seconds waited. `chat_id`: keep that chat's interval
        too (the outbox); None: the overall rate only (a reply to someone who just wrote)."""
        waited = 0.0
        while True:
            now = time.monotonic()
            self._forget_past_chats(now)
            slot = max(now, self._paused_until)
            if self.enabled:
                slot = max(slot, self._next_slot)
                if chat_id is not None:
                    slot = max(slot, self._next_by_chat.get(chat_id, 0.0))
                self._next_slot = slot + 1 / self.per_second
                if chat_id is not None:
                    self._next_by_chat[chat_id] = slot + self.per_chat_interval
            if slot <= now:
                return waited
            await asyncio.sleep(slot - now)
            waited += slot - now
            # A pause that began while this caller slept moves its slot back (loop again);
            # otherwise the slot taken is its own.
            if time.monotonic() >= self._paused_until:
                return waited

    def pause(self, seconds: float) -> None:
        """Telegram's flood control is per bot: nothing is sent for `seconds`."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def wait_out_pause(self) -> None:
        """Until a flood-control pause is over (for calls that are not messages)."""
        while (left := self.paused_for) > 0:
            await asyncio.sleep(left)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def _forget_past_chats(self, now: float) -> None:
        # A broadcast to 100,000 chats would leave as many entries; past ones hold nothing.
        if len(self._next_by_chat) > MAX_REMEMBERED_CHATS:
            self._next_by_chat = {c: t for c, t in self._next_by_chat.items() if t > now}
