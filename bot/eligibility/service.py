"""The self-check as one object: validate raw facts, then evaluate them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.eligibility.evaluator import CheckResult, Evaluator
from bot.eligibility.facts import validate_facts
from bot.eligibility.rules import Rules, load_rules
from bot.policy_pack import PolicyPack, load_policy_pack


@dataclass(frozen=True)
class Checker:
    rules: Rules
    pack: PolicyPack

    def check_raw(self, raw: Any, today: date | None = None) -> CheckResult:
        """Raises FactError for facts the schema does not allow."""
        return Evaluator(self.rules, self.pack).check(validate_facts(self.rules.facts, raw), today)

    def test(self, facts: dict[str, Any], test: dict[str, Any], today: date) -> bool | None:
        return Evaluator(self.rules, self.pack).test(facts, test, today)


def load_checker(policy_dir: Path) -> Checker:
    return Checker(load_rules(policy_dir), load_policy_pack(policy_dir))
