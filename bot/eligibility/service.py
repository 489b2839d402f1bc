"""The self-check as one object: validate raw facts, then evaluate them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.eligibility.evaluator import CatalogueFigure, CheckResult, Evaluator
from bot.eligibility.facts import is_known, validate_facts
from bot.eligibility.rules import Rules, load_rules
from bot.policy_pack import PolicyPack, load_policy_pack

# (occupation, level id, training date) → the catalogue's figure, or None. Levels follow
# from some certificates: a special-ability certificate has no other.
FigureSource = Callable[[str, str, date], CatalogueFigure | None]
LEVEL_OF_CERTIFICATE = {
    "special_ability": "special_ability",
    "special_operations": "none",
    "entrepreneurship_training": "none",
}


@dataclass(frozen=True)
class Checker:
    rules: Rules
    pack: PolicyPack
    figures: FigureSource | None = None  # the subsidy catalogue, when one is loaded

    def check_raw(self, raw: Any, today: date) -> CheckResult:
        """`today` is the clock's (bot.clock), unless the facts carry one. Raises FactError
        for facts the schema does not allow."""
        facts = validate_facts(self.rules.facts, raw)
        evaluator = Evaluator(self.rules, self.pack)
        return evaluator.check(facts, today, self.figure(facts, today))

    def figure(self, facts: dict[str, Any], today: date) -> CatalogueFigure | None:
        occupation = facts.get("occupation")
        level = facts.get("level")
        if not is_known(level):
            level = LEVEL_OF_CERTIFICATE.get(str(facts.get("certificate")))
        if self.figures is None or not is_known(occupation) or not is_known(level):
            return None
        return self.figures(occupation, level, Evaluator.as_of(facts, today))

    def test(self, facts: dict[str, Any], test: dict[str, Any], today: date) -> bool | None:
        return Evaluator(self.rules, self.pack).test(facts, test, today)


def load_checker(policy_dir: Path, figures: FigureSource | None = None) -> Checker:
    return Checker(load_rules(policy_dir), load_policy_pack(policy_dir), figures)
