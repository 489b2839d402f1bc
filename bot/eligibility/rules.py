"""Load the eligibility rules (policy/eligibility.yml) and operator data (policy/operator/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.policy_pack import load_operator_data


@dataclass(frozen=True)
class Condition:
    id: str
    section: str
    test: dict[str, Any]
    fail: str  # not_eligible | conditional
    met: str
    unmet: str
    rule: str
    when: dict[str, Any] | None = None
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subsidy:
    id: str
    label: str
    sections: tuple[str, ...]
    bears_on: tuple[dict[str, Any], ...]
    conditions: tuple[Condition, ...]
    amount: dict[str, Any]
    payee: str | None = None


@dataclass(frozen=True)
class Rules:
    facts: dict[str, Any]
    subsidies: dict[str, Subsidy]
    plan_period: dict[str, str]
    catalogue_note: str
    operator: dict[str, Any]
    # With the person's catalogue figure: {occupation} {level} {amount} {source} {valid_from};
    # the uplift: {rate} {amount} {base}.
    catalogue_figure_note: str = ""
    catalogue_uplift_note: str = ""


def load_rules(policy_dir: Path) -> Rules:
    raw = yaml.safe_load((policy_dir / "eligibility.yml").read_text("utf-8"))
    subsidies = {
        sid: Subsidy(
            id=sid,
            label=s["label"],
            sections=tuple(s["sections"]),
            bears_on=tuple(s["bears_on"]),
            conditions=tuple(
                Condition(
                    id=c["id"],
                    section=c["section"],
                    test=c["test"],
                    fail=c["fail"],
                    met=c["met"],
                    unmet=c["unmet"],
                    rule=c["rule"],
                    when=c.get("when"),
                    documents=tuple(c.get("documents", ())),
                )
                for c in s["conditions"]
            ),
            amount=s.get("amount") or {},
            payee=s.get("payee"),
        )
        for sid, s in raw["subsidies"].items()
    }
    return Rules(
        facts=raw["facts"],
        subsidies=subsidies,
        plan_period=raw["plan_period"],
        catalogue_note=raw["catalogue_note"],
        operator=load_operator_data(policy_dir / "operator"),
        catalogue_figure_note=raw["catalogue_figure_note"],
        catalogue_uplift_note=raw["catalogue_uplift_note"],
    )
