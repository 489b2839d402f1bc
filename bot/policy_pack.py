"""Load the policy pack (policy/*.yml): plan, sections, parameters and topics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.certificates import CertificateBook, load_certificates
from bot.dialogue.cues import Cues, load_cues
from bot.dialogue.facets import Facets, load_facets
from bot.dialogue.groups import Groups, load_groups


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    short_title: str
    first_year: int  # the title's period (2019—2021年); the plan gives no start date
    end: date
    hotline: str
    bureau: str
    # 附则: 自发文之日起实施. The issue date is operator data; None while unknown.
    issued: date | None = None
    # The documents the plan was made under (its preamble, 序言).
    basis: tuple[str, ...] = ()

    @property
    def first_day(self) -> date:
        """The first day of the titled period: dates the plan's figures, never its validity."""
        return date(self.first_year, 1, 1)

    def ended(self, on: date) -> bool:
        return on > self.end

    def started(self, on: date) -> bool | None:
        """Issued by then? None in the first year while the issue date is unknown."""
        if self.issued is not None:
            return on >= self.issued
        return None if on.year == self.first_year else on.year > self.first_year

    def in_force(self, on: date) -> bool | None:
        """True, False, or None (in the first year while the issue date is unknown)."""
        return False if self.ended(on) else self.started(on)


@dataclass(frozen=True)
class ParameterValue:
    start: date
    end: date | None
    value: float


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    reference: str
    values: tuple[ParameterValue, ...]

    def at(self, on: date) -> float | None:
        """The value in force on a date, or None when the plan gives none for it."""
        for item in self.values:
            if item.start <= on and (item.end is None or on <= item.end):
                return item.value
        return None


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    sections: tuple[str, ...]


@dataclass(frozen=True)
class PolicyPack:
    plan: Plan
    sections: dict[str, Section]
    parameters: dict[str, Parameter]
    topics: dict[str, Topic]
    menu: tuple[str, ...]
    smalltalk: frozenset[str]
    out_of_scope: frozenset[str]
    # Intents that start a guided flow (the self-check) rather than answer a topic.
    flows: frozenset[str]
    # previous topic → {intent heard → topic to answer}
    followups: dict[str, dict[str, str]]
    # topic → the audiences a clarification may offer it to (absent: everyone)
    audiences: dict[str, tuple[str, ...]]
    # topic → related topics offered as buttons under its answer
    related: dict[str, tuple[str, ...]]
    cues: Cues
    certificates: CertificateBook
    groups: Groups
    facets: Facets

    def parameter_values(self, on: date) -> dict[str, Any]:
        """Parameters in force on a date as a nested dict, e.g. p.apprentice_employee.x."""
        tree: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            node = tree
            *parents, leaf = name.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = parameter.at(on)
        return tree


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _parameters(tree: dict[str, Any], prefix: str = "") -> dict[str, Parameter]:
    """Flatten the OpenFisca-style tree: a node with `values` is a parameter."""
    found: dict[str, Parameter] = {}
    for key, node in tree.items():
        name = f"{prefix}{key}"
        if "values" in node:
            found[name] = Parameter(
                name=name,
                description=node["description"],
                unit=str(node.get("unit", "")),
                reference=str(node["reference"]),
                values=tuple(
                    ParameterValue(v["start"], v.get("end"), v["value"]) for v in node["values"]
                ),
            )
        else:
            found.update(_parameters(node, f"{name}."))
    return found


def load_operator_data(directory: Path) -> dict[str, Any]:
    """Figures the plan leaves to local publication (the minimum living standard, the plan's
    issue date). Every *.yml in the folder is merged; none present means none are known."""
    data: dict[str, Any] = {}
    if directory.is_dir():
        for file in sorted(directory.glob("*.yml")):
            data.update(_load(file))
    return data


def load_policy_pack(directory: Path) -> PolicyPack:
    plan_raw = _load(directory / "plan.yml")
    issued = load_operator_data(directory / "operator").get("plan_issued_on")
    sections_raw = _load(directory / "sections.yml")
    topics_raw = _load(directory / "topics.yml")
    plan = Plan(
        id=plan_raw["id"],
        title=plan_raw["title"],
        short_title=plan_raw["short_title"],
        first_year=int(plan_raw["period"]["first_year"]),
        end=plan_raw["period"]["end"],
        hotline=str(plan_raw["contacts"]["hotline"]),
        bureau=plan_raw["contacts"]["bureau"],
        issued=issued if isinstance(issued, date) else None,
        basis=tuple(str(doc) for doc in plan_raw.get("basis") or ()),
    )
    sections = {s["id"]: Section(s["id"], s["title"], s["text"]) for s in sections_raw["sections"]}
    topics = {
        topic_id: Topic(topic_id, t["label"], tuple(t["sections"]))
        for topic_id, t in topics_raw["topics"].items()
    }
    return PolicyPack(
        plan=plan,
        sections=sections,
        parameters=_parameters(_load(directory / "parameters.yml")),
        topics=topics,
        menu=tuple(topics_raw["menu"]),
        smalltalk=frozenset(topics_raw["smalltalk"]),
        out_of_scope=frozenset(topics_raw["out_of_scope"]),
        flows=frozenset(topics_raw.get("flows") or []),
        followups={k: dict(v) for k, v in (topics_raw.get("followups") or {}).items()},
        audiences={k: tuple(v) for k, v in (topics_raw.get("audiences") or {}).items()},
        related={k: tuple(v) for k, v in (topics_raw.get("related") or {}).items()},
        cues=load_cues(directory),
        certificates=load_certificates(directory),
        groups=load_groups(directory),
        facets=load_facets(directory),
    )
