"""Cues in a message besides the NLU's intent: policy words, abuse, who is asking
(policy/understanding.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_AUDIENCE = "worker"


@dataclass(frozen=True)
class Cues:
    policy: tuple[str, ...]
    other_benefits: tuple[str, ...]
    abuse: tuple[str, ...]
    audiences: tuple[tuple[str, tuple[str, ...]], ...]  # in order of precedence
    decline_labels: dict[str, str]
    stopwords: frozenset[str]

    def has_policy_cue(self, text: str) -> bool:
        return any(word in text for word in self.policy)

    def names_other_benefit(self, text: str) -> bool:
        return any(word in text for word in self.other_benefits)

    def is_abuse(self, text: str) -> bool:
        return any(word in text for word in self.abuse)

    def audience(self, text: str) -> str | None:
        """The audience a message reveals, or None when it says nothing about the asker."""
        for audience, words in self.audiences:
            if any(word in text for word in words):
                return audience
        return None


def load_cues(policy_dir: Path) -> Cues:
    raw = yaml.safe_load((policy_dir / "understanding.yml").read_text("utf-8"))
    return Cues(
        policy=tuple(raw["policy_cues"]),
        other_benefits=tuple(raw["other_benefits"]),
        abuse=tuple(raw["abuse"]),
        audiences=tuple((k, tuple(v)) for k, v in raw["audience_cues"].items()),
        decline_labels=dict(raw["decline_labels"]),
        stopwords=frozenset(raw["stopwords"]),
    )
