"""A token bucket per chat, asked before a message reaches the handlers (and the NLU):
a burst, then a steady rate; the first message over it is answered "请慢一点" once, the
rest are dropped unanswered until the bucket has filled again.

Time is the message's own date (when the person sent it, as Telegram stamps it), so a
backlog fetched at once after a restart is not mistaken for a flood. Buckets live in the
worker's memory: a full bucket is the same as none and is forgotten, so memory follows
the chats writing right now, not every chat ever seen."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# How often (seconds of message time) full buckets are swept away.
SWEEP_EVERY_SECONDS = 60.0


class Verdict(Enum):
    ACCEPT = "accept"  # handled as usual
    WARN = "warn"  # over the limit for the first time in this flood: "请慢一点"
    DROP = "drop"  # over the limit again: not handled


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted
    warned: bool = False


class ChatThrottle:
    def __init__(self, burst: int, per_second: float) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a throttle needs burst ≥ 1 and a positive rate")
        self.burst = burst
        self.per_second = per_second
        self._buckets: dict[int, _Bucket] = {}
        self._swept_at = 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def admit(self, chat_id: int, at: float) -> Verdict:
        """Whether a message the chat sent at `at` (seconds) is handled."""
        if at - self._swept_at >= SWEEP_EVERY_SECONDS:
            self._sweep(at)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = self._buckets[chat_id] = _Bucket(float(self.burst), at)
        tokens = self._tokens(bucket, at)
        if tokens >= self.burst:
            bucket.warned = False  # filled again: the flood is over
        bucket.tokens, bucket.at = tokens, max(bucket.at, at)
        if tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ACCEPT
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _tokens(self, bucket: _Bucket, at: float) -> float:
        # A message stamped before the last one (dates are whole seconds) adds nothing.
        elapsed = max(0.0, at - bucket.at)
        return min(float(self.burst), bucket.tokens + elapsed * self.per_second)

    def _sweep(self, at: float) -> None:
        self._swept_at = at
        full = [c for c, b in self._buckets.items() if self._tokens(b, at) >= self.burst]
        for chat_id in full:
            del self._buckets[chat_id]
