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
    topic_hints: tuple[str, ...]
    other_benefits: tuple[str, ...]
    abuse: tuple[str, ...]
    administration: dict[str, dict[str, tuple[str, ...]]]  # kind → asks, names, unless
    amount_words: tuple[str, ...]
    decline_needs: dict[str, tuple[str, ...]]  # decline kind → words one of which it needs
    money_words: tuple[str, ...]
    claim_words: tuple[str, ...]
    subsidy_words: tuple[str, ...]
    payment_time: dict[str, tuple[str, ...]]  # when, paid, money: one of each
    plan_period: dict[str, tuple[str, ...]]  # plan, goes_on, successor
    in_charge_words: tuple[str, ...]
    in_charge_sections: tuple[str, ...]  # cited by the note
    in_charge_said_in: frozenset[str]  # clauses that already say who is in charge
    audiences: tuple[tuple[str, tuple[str, ...]], ...]  # in order of precedence
    addressee: tuple[str, ...]  # the receiver named ("贵单位"): says nothing about the asker
    decline_labels: dict[str, str]
    stopwords: frozenset[str]

    def has_policy_cue(self, text: str) -> bool:
        return any(word in text for word in self.policy)

    def ties_to_plan(self, text: str) -> bool:
        """A policy cue or a weaker hint: the message might be about this plan."""
        return self.has_policy_cue(text) or any(word in text for word in self.topic_hints)

    def names_other_benefit(self, text: str) -> bool:
        return any(word in text for word in self.other_benefits)

    def administration_asked(self, text: str) -> str | None:
        """The kind of administration asked about, not a subsidy ("叉车证满四年复审要交钱吗":
        a certificate's; "住多久才可以办理居住证": a document's), or None."""
        for kind, words in self.administration.items():
            if (
                any(w in text for w in words["asks"])
                and any(w in text for w in words["names"])
                and not any(w in text for w in words["unless"])
            ):
                return kind
        return None

    def asks_amount(self, text: str) -> bool:
        return any(word in text for word in self.amount_words)

    def asks_money(self, text: str) -> bool:
        return any(word in text for word in self.money_words)

    def asks_claim(self, text: str) -> bool:
        return any(word in text for word in self.claim_words)

    def asks_subsidy(self, text: str) -> bool:
        return any(word in text for word in self.subsidy_words)

    def asks_payment_time(self, text: str) -> bool:
        """ "补贴多久到账": when the money arrives (not the certificate)."""
        return all(any(w in text for w in words) for words in self.payment_time.values())

    def asks_if_plan_goes_on(self, text: str) -> bool:
        """ "职业技能提升行动今年还会继续吗": the plan named, with a word of its going on."""
        words = self.plan_period
        return any(w in text for w in words["plan"]) and any(w in text for w in words["goes_on"])

    def asks_successor(self, text: str) -> bool:
        """ "新一轮方案出了没": what came after the plan."""
        return any(w in text for w in self.plan_period["successor"])

    def asks_in_charge(self, text: str) -> bool:
        """ "以工代训是哪个部门管": who is in charge."""
        return any(w in text for w in self.in_charge_words)

    def names_decline_subject(self, kind: str, text: str) -> bool:
        """True unless the decline kind lists words and the message has none of them."""
        words = self.decline_needs.get(kind)
        return words is None or any(word in text for word in words)

    def is_abuse(self, text: str) -> bool:
        return any(word in text for word in self.abuse)

    def audience(self, text: str) -> str | None:
        """The audience a message reveals, or None when it says nothing about the asker."""
        for word in self.addressee:
            text = text.replace(word, " ")
        for audience, words in self.audiences:
            if any(word in text for word in words):
                return audience
        return None


def load_cues(policy_dir: Path) -> Cues:
    raw = yaml.safe_load((policy_dir / "understanding.yml").read_text("utf-8"))
    return Cues(
        policy=tuple(raw["policy_cues"]),
        topic_hints=tuple(raw["topic_hints"]),
        other_benefits=tuple(raw["other_benefits"]),
        abuse=tuple(raw["abuse"]),
        amount_words=tuple(raw["amount_words"]),
        decline_needs={k: tuple(v) for k, v in (raw.get("decline_needs") or {}).items()},
        money_words=tuple(raw["money_words"]),
        claim_words=tuple(raw["claim_words"]),
        subsidy_words=tuple(raw["subsidy_words"]),
        payment_time={k: tuple(v) for k, v in raw["payment_time"].items()},
        plan_period={k: tuple(v) for k, v in raw["plan_period"].items()},
        in_charge_words=tuple(raw["in_charge"]["words"]),
        in_charge_sections=tuple(raw["in_charge"]["sections"]),
        in_charge_said_in=frozenset(raw["in_charge"]["said_in"]),
        administration={
            kind: {k: tuple(v) for k, v in words.items()}
            for kind, words in raw["administration"].items()
        },
        audiences=tuple((k, tuple(v)) for k, v in raw["audience_cues"].items()),
        addressee=tuple(raw["addressee"]),
        decline_labels=dict(raw["decline_labels"]),
        stopwords=frozenset(raw["stopwords"]),
    )
