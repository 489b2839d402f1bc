"""Short operational messages the Telegram channel answers itself (policy/operations.yml):
a contact's "我们这个月已经报了", "怎么取消提醒", "绑定码在哪里要"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.normalize import normalize


@dataclass(frozen=True)
class Phrase:
    kind: str
    all_of: tuple[tuple[str, ...], ...]  # a word from each
    none_of: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return all(any(w in text for w in words) for words in self.all_of) and not any(
            w in text for w in self.none_of
        )


@dataclass(frozen=True)
class Operations:
    phrases: tuple[Phrase, ...]
    max_chars: int

    def kind_of(self, raw: str) -> str | None:
        """The first kind the message matches, or None (then the dialogue answers it)."""
        text = normalize(raw)
        if not text or len(text) > self.max_chars or text.startswith("/"):
            return None
        return next((p.kind for p in self.phrases if p.matches(text)), None)


def load_operations(policy: Path) -> Operations:
    raw = yaml.safe_load((policy / "operations.yml").read_text("utf-8"))
    phrases = tuple(
        Phrase(
            kind,
            tuple(tuple(str(w) for w in words) for words in spec["all"]),
            tuple(str(w) for w in spec.get("none") or []),
        )
        for kind, spec in raw["kinds"].items()
    )
    return Operations(phrases, int(raw["max_chars"]))
