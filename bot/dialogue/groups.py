"""Groups of people the plan names, and the clauses that speak of each (policy/groups.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class GroupLine:
    section: str
    text: str


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    names: tuple[str, ...]
    lines: tuple[GroupLine, ...]

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(line.section for line in self.lines))


@dataclass(frozen=True)
class Groups:
    groups: tuple[Group, ...]

    def find(self, text: str) -> Group | None:
        """The group whose longest name appears in the text."""
        named = [(len(n), g) for g in self.groups for n in g.names if n in text]
        return max(named, key=lambda item: item[0])[1] if named else None


def load_groups(policy_dir: Path) -> Groups:
    raw = yaml.safe_load((policy_dir / "groups.yml").read_text("utf-8"))
    return Groups(
        tuple(
            Group(
                id=group_id,
                label=g["label"],
                names=tuple(g["names"]),
                lines=tuple(GroupLine(line["section"], line["text"]) for line in g["lines"]),
            )
            for group_id, g in raw["groups"].items()
        )
    )
