"""Apply the rules to a person's or an enterprise's facts: one explained verdict per subsidy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.eligibility.facts import UNSURE, is_known, lookup
from bot.eligibility.rules import Condition, Rules, Subsidy
from bot.policy_pack import PolicyPack

ELIGIBLE, CONDITIONAL, NOT_ELIGIBLE = "eligible", "conditional", "not_eligible"


@dataclass(frozen=True)
class Reason:
    section: str
    text: str
    met: bool
    pending: bool = False  # not yet known: an "unsure" or missing answer


@dataclass(frozen=True)
class Verdict:
    subsidy: str
    label: str
    status: str
    amount_yuan: float | None
    sections: list[str]
    reasons: list[Reason]
    amount_note: str | None = None
    documents: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckResult:
    in_force: bool
    as_of: date
    plan: dict[str, str]
    verdicts: list[Verdict]
    missing: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "in_force": self.in_force,
            "as_of": self.as_of.isoformat(),
            "plan": self.plan,
            "verdicts": [asdict(v) for v in self.verdicts],
            "missing": self.missing,
        }


class Evaluator:
    def __init__(self, rules: Rules, pack: PolicyPack) -> None:
        self._rules = rules
        self._pack = pack

    def check(self, facts: dict[str, Any], today: date | None = None) -> CheckResult:
        as_of = facts.get("as_of")
        as_of = as_of if isinstance(as_of, date) else (today or date.today())
        run = _Run(self._rules, self._pack, facts, as_of)
        verdicts = [run.verdict(s) for s in self._rules.subsidies.values() if run.bears_on(s)]
        plan = self._pack.plan
        return CheckResult(
            in_force=plan.in_force(as_of),
            as_of=as_of,
            plan={
                "id": plan.id,
                "title": plan.title,
                "valid_from": plan.start.isoformat(),
                "valid_until": plan.end.isoformat(),
            },
            verdicts=verdicts,
            missing=sorted(run.missing),
        )

    def test(self, facts: dict[str, Any], test: dict[str, Any], today: date) -> bool | None:
        """One rule test against facts as given (the guided conversation's `ask_if`)."""
        as_of = facts.get("as_of")
        as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or today)
        return _Run(self._rules, self._pack, facts, as_of).test(test, record_missing=False)


class _Run:
    """One evaluation: facts, date, and the verdicts computed so far (for `requires`)."""

    def __init__(self, rules: Rules, pack: PolicyPack, facts: dict[str, Any], as_of: date):
        self.rules, self.pack, self.facts, self.as_of = rules, pack, facts, as_of
        self.done: dict[str, Verdict] = {}
        self.missing: set[str] = set()
        # Outside its period the plan's own figures still explain the verdicts.
        plan = pack.plan
        self.params = pack.parameter_values(max(plan.start, min(as_of, plan.end)))

    # ---- tests (three-valued: True, False, None = unknown) ----

    def value(self, spec: Any) -> Any:
        if isinstance(spec, dict) and "param" in spec:
            return lookup(self.params, spec["param"])
        if isinstance(spec, dict) and "fact" in spec:
            return lookup(self.facts, spec["fact"])
        return spec

    def test(self, test: dict[str, Any], record_missing: bool = True) -> bool | None:
        if "present" in test:
            return lookup(self.facts, test["present"]) is not None
        if "absent" in test:
            return lookup(self.facts, test["absent"]) is None
        if "within" in test:
            return self.pack.parameters[test["within"]].at(self.as_of) is not None
        if "requires" in test:
            status = self.verdict(self.rules.subsidies[test["requires"]]).status
            return {ELIGIBLE: True, CONDITIONAL: None}.get(status, False)
        path = test["fact"]
        value = lookup(self.facts, path)
        if not is_known(value):
            if record_missing:
                self.missing.add(path)
            return None
        if "in" in test:
            return value in test["in"]
        if "not_in" in test:
            return value not in test["not_in"]
        if "any_of" in test:
            return bool(set(value) & set(test["any_of"]))
        if "contains" in test:
            return test["contains"] in value
        if "equals" in test:
            return value == test["equals"]
        if "less_than" in test:
            return value < self.value(test["less_than"])
        if "at_least" in test:
            return value >= self.value(test["at_least"])
        raise ValueError(f"unknown test {test}")

    def bears_on(self, subsidy: Subsidy) -> bool:
        results = [self.test(t, record_missing=False) for t in subsidy.bears_on]
        return False not in results and True in results

    # ---- verdicts ----

    def verdict(self, subsidy: Subsidy) -> Verdict:
        if subsidy.id in self.done:
            return self.done[subsidy.id]
        reasons: list[Reason] = []
        statuses: list[str] = []
        documents: list[str] = []
        for condition in subsidy.conditions:
            if condition.when is not None and self.test(condition.when) is not True:
                continue
            outcome = self.test(condition.test)
            reasons.append(_reason(condition, outcome))
            documents += condition.documents
            if outcome is not True:
                statuses.append(condition.fail if outcome is False else CONDITIONAL)
        if not self.pack.plan.in_force(self.as_of):
            period = self.rules.plan_period
            reasons.insert(0, Reason(period["section"], period["unmet"], False))
            statuses.append(NOT_ELIGIBLE)
        status = (
            NOT_ELIGIBLE
            if NOT_ELIGIBLE in statuses
            else CONDITIONAL
            if CONDITIONAL in statuses
            else ELIGIBLE
        )
        amount, note = self.amount(subsidy, status)
        verdict = Verdict(
            subsidy=subsidy.id,
            label=subsidy.label,
            status=status,
            amount_yuan=amount,
            sections=list(subsidy.sections),
            reasons=reasons,
            amount_note=note,
            documents=list(dict.fromkeys(documents)),
        )
        self.done[subsidy.id] = verdict
        return verdict

    # ---- amounts: only where the plan (or operator data) gives the figure ----

    def amount(self, subsidy: Subsidy, status: str) -> tuple[float | None, str | None]:
        spec = subsidy.amount
        if spec.get("catalogue"):
            note = self.rules.catalogue_note
            if "uplift_param" in spec:
                rate = self.pack.parameters[spec["uplift_param"]].at(self.as_of)
                if rate is not None:
                    note = f"在同类职业（工种）补贴标准上最多上浮{rate * 100:g}%。{note}"
            return None, note
        if status != ELIGIBLE:
            return None, spec.get("note") or spec.get("missing_note")
        if "base" in spec:
            return self.base_amount(spec), spec.get("note")
        if "monthly_rate" in spec:
            months = self.min_of(spec["months"]["min_of"])
            rate = self.rules.operator.get(spec["monthly_rate"]["operator"])
            if months is None or rate is None:
                return None, spec.get("missing_note")
            return round(
                months * float(rate), 2
            ), f"{months:g}个月 × 每月{float(rate):g}元（当地低保标准）"
        return None, spec.get("note")

    def base_amount(self, spec: dict[str, Any]) -> float | None:
        base = spec["base"]
        value = self.min_of(base["min_of"])
        if any(not is_known(lookup(self.facts, p)) for p in base.get("needs", [])):
            return None
        if value is None:
            return None
        for rule in spec.get("shares", []):
            if self.test(rule["test"], record_missing=False):
                return round(value * float(self.value(rule["share"])), 2)
        return value if "shares" not in spec else None

    def min_of(self, items: list[Any]) -> float | None:
        """The smallest known item; unknown facts are noted as missing (they would refine it)."""
        values = [self.value(i) for i in items]
        for item, value in zip(items, values, strict=True):
            if isinstance(item, dict) and "fact" in item and not is_known(value):
                self.missing.add(item["fact"])
        known = [v for v in values if is_known(v)]
        return float(min(known)) if known else None


def _reason(condition: Condition, outcome: bool | None) -> Reason:
    if outcome is None:
        return Reason(condition.section, f"待确认：{condition.rule}", False, pending=True)
    return Reason(condition.section, condition.met if outcome else condition.unmet, outcome)


__all__ = ["CONDITIONAL", "ELIGIBLE", "NOT_ELIGIBLE", "UNSURE", "CheckResult", "Evaluator"]
