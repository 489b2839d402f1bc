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
class CatalogueFigure:
    """The subsidy catalogue's standard for the person's occupation and level, from the
    version in force on the training's date (operator data, bot/catalogue/)."""

    occupation: str
    level: str
    level_label: str
    amount_yuan: float
    valid_from: date
    source: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"valid_from": self.valid_from.isoformat()}


@dataclass(frozen=True)
class Verdict:
    subsidy: str
    label: str
    status: str
    amount_yuan: float | None  # the figure the plan guarantees, or None
    amount_basis: str | None  # exact | at_least | at_most, None with no figure
    sections: list[str]
    reasons: list[Reason]
    amount_note: str | None = None
    documents: list[str] = field(default_factory=list)
    payee: str | None = None  # who is paid, when it is not the person asking
    # The catalogue figure the amount rests on (its version cited), when one was used.
    catalogue: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckResult:
    """Rules as of `as_of` (the training's date); advice as of `today`."""

    in_force: bool | None  # on as_of; None while the plan's issue date is unknown
    as_of: date
    today: date
    plan_ended: bool  # today is after the plan's end: a claim must be confirmed first
    plan: dict[str, Any]
    verdicts: list[Verdict]
    missing: list[str]

    @property
    def after_plan(self) -> bool:
        """The training is dated after the plan's end: nothing in it applies."""
        return self.as_of.isoformat() > self.plan["valid_until"]

    def to_json(self) -> dict[str, Any]:
        return {
            "in_force": self.in_force,
            "as_of": self.as_of.isoformat(),
            "today": self.today.isoformat(),
            "plan_ended": self.plan_ended,
            "plan": self.plan,
            "verdicts": [asdict(v) for v in self.verdicts],
            "missing": self.missing,
        }


class Evaluator:
    def __init__(self, rules: Rules, pack: PolicyPack) -> None:
        self._rules = rules
        self._pack = pack

    def check(
        self,
        facts: dict[str, Any],
        today: date,
        figure: CatalogueFigure | None = None,
    ) -> CheckResult:
        """`today` is the clock's (bot.clock), unless the facts carry one."""
        given_today = facts.get("today")
        today = given_today if isinstance(given_today, date) else today
        as_of = self.as_of(facts, today)
        run = _Run(self._rules, self._pack, facts, as_of, figure)
        verdicts = [run.verdict(s) for s in self._rules.subsidies.values() if run.bears_on(s)]
        plan = self._pack.plan
        return CheckResult(
            in_force=plan.in_force(as_of),
            as_of=as_of,
            today=today,
            plan_ended=plan.ended(today),
            plan={
                "id": plan.id,
                "title": plan.title,
                "valid_from": plan.issued.isoformat() if plan.issued else None,
                "valid_until": plan.end.isoformat(),
            },
            verdicts=verdicts,
            missing=sorted(run.missing),
        )

    @staticmethod
    def as_of(facts: dict[str, Any], today: date) -> date:
        """The training's date: the rules (and the catalogue version) in force then apply."""
        given_today = facts.get("today")
        as_of = facts.get("as_of")
        if isinstance(as_of, date):
            return as_of
        return given_today if isinstance(given_today, date) else today

    def test(self, facts: dict[str, Any], test: dict[str, Any], today: date) -> bool | None:
        """One rule test against facts as given (the guided conversation's `ask_if`)."""
        as_of = facts.get("as_of")
        as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or today)
        return _Run(self._rules, self._pack, facts, as_of).test(test, record_missing=False)


class _Run:
    """One evaluation: facts, date, and the verdicts computed so far (for `requires`)."""

    def __init__(
        self,
        rules: Rules,
        pack: PolicyPack,
        facts: dict[str, Any],
        as_of: date,
        figure: CatalogueFigure | None = None,
    ):
        self.rules, self.pack, self.facts, self.as_of = rules, pack, facts, as_of
        self.figure = figure
        self.done: dict[str, Verdict] = {}
        self.missing: set[str] = set()
        # Outside its period the plan's own figures still explain the verdicts.
        plan = pack.plan
        self.params = pack.parameter_values(max(plan.first_day, min(as_of, plan.end)))

    # ---- tests (three-valued: True, False, None = unknown) ----

    def value(self, spec: Any) -> Any:
        if isinstance(spec, dict) and "param" in spec:
            return lookup(self.params, spec["param"])
        if isinstance(spec, dict) and "fact" in spec:
            return lookup(self.facts, spec["fact"])
        return spec

    def test(self, test: dict[str, Any], record_missing: bool = True) -> bool | None:
        if "any" in test or "all" in test:
            return self._combine(test, record_missing)
        if "present" in test:
            return lookup(self.facts, test["present"]) is not None
        if "absent" in test:
            return lookup(self.facts, test["absent"]) is None
        if "within" in test:
            return self.pack.parameters[test["within"]].at(self.as_of) is not None
        if "requires" in test:
            # Any listed subsidy that bears on these facts: the best of their verdicts.
            wanted = [self.rules.subsidies[s] for s in test["requires"]]
            statuses = {self.verdict(s).status for s in wanted if self.bears_on(s)}
            return True if ELIGIBLE in statuses else None if CONDITIONAL in statuses else False
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
        if "at_most" in test:
            return value <= self.value(test["at_most"])
        raise ValueError(f"unknown test {test}")

    def _combine(self, test: dict[str, Any], record_missing: bool) -> bool | None:
        """Three-valued or / and, left to right, stopping at the first deciding test (so a
        worker's test is not asked of an enterprise: its facts are not missed)."""
        deciding = "any" in test  # any: True decides; all: False decides
        unknown = False
        for item in test["any" if deciding else "all"]:
            outcome = self.test(item, record_missing)
            if outcome is deciding:
                return deciding
            unknown = unknown or outcome is None
        return None if unknown else not deciding

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
        period = self.period_reason()
        if period is not None:
            reasons.insert(0, period)
            statuses.append(CONDITIONAL if period.pending else NOT_ELIGIBLE)
        status = (
            NOT_ELIGIBLE
            if NOT_ELIGIBLE in statuses
            else CONDITIONAL
            if CONDITIONAL in statuses
            else ELIGIBLE
        )
        amount, basis, note = self.amount(subsidy, status)
        # What to bring is advice for a claim that may still be made: never for a ❌, nor
        # for a training before the plan was issued (its own, older rules apply).
        if status == NOT_ELIGIBLE or self.pack.plan.started(self.as_of) is False:
            documents = []
        verdict = Verdict(
            subsidy=subsidy.id,
            label=subsidy.label,
            status=status,
            amount_yuan=amount,
            amount_basis=basis,
            sections=list(subsidy.sections),
            reasons=reasons,
            amount_note=note,
            documents=list(dict.fromkeys(documents)),
            payee=subsidy.payee,
            catalogue=self.figure.to_json() if self.uses_figure(subsidy) else None,
        )
        self.done[subsidy.id] = verdict
        return verdict

    def period_reason(self) -> Reason | None:
        """附则: in force from the issue date to 2021-12-31. After it: ❌. Before the issue
        date (or in its first year while that date is unknown): ❓, the transitional rule."""
        plan, texts = self.pack.plan, self.rules.plan_period
        if plan.ended(self.as_of):
            return Reason(texts["section"], texts["ended"], False)
        started = plan.started(self.as_of)
        if started is True:
            return None
        text = texts["issue_unknown"] if started is None else texts["before_issue"]
        return Reason(texts["section"], text, False, pending=True)

    # ---- amounts: only where the plan (or operator data) gives the figure ----

    def amount(self, subsidy: Subsidy, status: str) -> tuple[float | None, str | None, str | None]:
        """(figure, basis, note). The figure is what the plan guarantees: exact, a floor
        (at_least) or a cap (at_most); None when the plan (or operator data) gives none."""
        spec = subsidy.amount
        if spec.get("catalogue") and self.uses_figure(subsidy):
            return self.catalogue_amount(spec, status)
        if spec.get("catalogue"):
            note = self.rules.catalogue_note
            if "uplift_param" in spec:
                rate = self.pack.parameters[spec["uplift_param"]].at(self.as_of)
                if rate is not None:
                    note = f"在同类职业（工种）补贴标准上适当上浮，最多{rate * 100:g}%。{note}"
            return None, None, note
        if status != ELIGIBLE:
            return None, None, spec.get("note") or spec.get("missing_note")
        if "tiers" in spec:
            return self.tiered_amount(spec)
        if "monthly_rate" in spec:
            months = self.min_of(spec["months"]["min_of"])
            rate = self.rules.operator.get(spec["monthly_rate"]["operator"])
            if months is None or rate is None:
                return None, None, spec.get("missing_note")
            note = f"{months:g}个月 × 每月{float(rate):g}元（当地低保标准）"
            return round(months * float(rate), 2), "exact", note
        return None, None, spec.get("note")

    def uses_figure(self, subsidy: Subsidy) -> bool:
        """The person's catalogue figure applies to the subsidies of their certificate."""
        return self.figure is not None and bool(subsidy.amount.get("person_figure"))

    def catalogue_amount(
        self, spec: dict[str, Any], status: str
    ) -> tuple[float | None, str | None, str | None]:
        """The catalogue's standard (exact), or for the trade-friction uplift up to
        (1 + rate) × the standard (at most), while the uplift runs (三(七): to 2021-12-31)."""
        figure = self.figure
        assert figure is not None
        d = figure.valid_from
        cited = self.rules.catalogue_figure_note.format(
            occupation=figure.occupation,
            level=figure.level_label,
            amount=_yuan(figure.amount_yuan),
            source=figure.source,
            valid_from=f"{d.year}年{d.month}月{d.day}日",
        )
        amount: float | None = figure.amount_yuan
        basis = "exact"
        if "uplift_param" in spec:
            rate = self.pack.parameters[spec["uplift_param"]].at(self.as_of)
            if rate is None:
                return None, None, cited
            amount = round(figure.amount_yuan * (1 + rate), 2)
            basis = "at_most"
            cited = self.rules.catalogue_uplift_note.format(
                rate=f"{rate * 100:g}%", amount=_yuan(amount), base=cited
            )
        if status != ELIGIBLE:
            return None, None, cited
        return amount, basis, cited

    def tiered_amount(self, spec: dict[str, Any]) -> tuple[float | None, str | None, str | None]:
        """The first tier whose test holds gives the figure and its basis; an unknown test
        stops there with no figure. `shares` (first true test) scale it."""
        share = 1.0
        if "shares" in spec:
            found = next(
                (r for r in spec["shares"] if self.test(r["test"], record_missing=False)), None
            )
            if found is None:
                return None, None, spec.get("note")
            share = float(self.value(found["share"]))
        for tier in spec["tiers"]:
            outcome = self.test(tier["test"]) if "test" in tier else True
            if outcome is None:
                return None, None, spec.get("unknown_note") or spec.get("note")
            if outcome:
                value = self.value(tier.get("value"))
                if value is None or tier.get("basis") is None:
                    return None, None, tier.get("note")
                return round(float(value) * share, 2), tier["basis"], tier.get("note")
        return None, None, spec.get("note")

    def min_of(self, items: list[Any]) -> float | None:
        """The smallest known item; unknown facts are noted as missing (they would refine it)."""
        values = [self.value(i) for i in items]
        for item, value in zip(items, values, strict=True):
            if isinstance(item, dict) and "fact" in item and not is_known(value):
                self.missing.add(item["fact"])
        known = [v for v in values if is_known(v)]
        return float(min(known)) if known else None


def _yuan(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _reason(condition: Condition, outcome: bool | None) -> Reason:
    if outcome is None:
        return Reason(condition.section, f"待确认：{condition.rule}", False, pending=True)
    return Reason(condition.section, condition.met if outcome else condition.unmet, outcome)


__all__ = [
    "CONDITIONAL",
    "ELIGIBLE",
    "NOT_ELIGIBLE",
    "UNSURE",
    "CatalogueFigure",
    "CheckResult",
    "Evaluator",
]
