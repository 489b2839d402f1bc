"""How a published catalogue table is read (policy/catalogue.yml): column titles, level
names, the "every occupation" marker and the names people use for occupations."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

_SPACE = re.compile(r"\s+")
_CERTIFICATE_WORD = re.compile(r"(资格证书|资格证|证书|证)$")
WILDCARD = "*"  # stored occupation of a row that sets a level's standard for every occupation


def clean(value: object) -> str:
    """A cell as text: NFKC (full-width brackets and digits made half-width), no spaces."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class CatalogueSpec:
    columns: dict[str, tuple[str, ...]]  # field → cleaned column titles
    required: tuple[str, ...]
    header_search_rows: int
    level_labels: dict[str, str]  # level id → label for answers
    level_names: dict[str, str]  # cleaned cell text → level id
    question_levels: tuple[tuple[str, str], ...]  # (word, level id), checked in order
    all_occupations: frozenset[str]  # cleaned markers of "every occupation"
    aliases: dict[str, str]  # cleaned name people use → catalogue name

    def field_for(self, title: object) -> str | None:
        cleaned = clean(title)
        return next((f for f, names in self.columns.items() if cleaned in names), None)

    def level_id(self, cell: object) -> str | None:
        return self.level_names.get(clean(cell))

    def occupation_key(self, name: object) -> str:
        """The stored form of an occupation cell: cleaned, "every occupation" as `*`."""
        cleaned = clean(name)
        return WILDCARD if cleaned in self.all_occupations else cleaned

    def canonical_occupation(self, name: str) -> str:
        """What a person wrote ("电焊工", "茶艺师证") → the catalogue's name ("焊工", "茶艺师")."""
        cleaned = clean(name)
        if cleaned in self.aliases:
            return self.aliases[cleaned]
        stripped = _CERTIFICATE_WORD.sub("", cleaned) or cleaned
        return self.aliases.get(stripped, stripped)

    def levels_in(self, text: str) -> list[str]:
        """Level ids named in a question, in the order written ("初级和中级" → 5, 4)."""
        found: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for word, level in self.question_levels:
            for match in re.finditer(re.escape(word), text):
                span = (match.start(), match.end())
                if any(s < span[1] and span[0] < e for s, e in taken):
                    continue
                taken.append(span)
                found.append((span[0], level))
        return list(dict.fromkeys(level for _, level in sorted(found)))


def load_spec(policy_dir: Path) -> CatalogueSpec:
    raw = yaml.safe_load((policy_dir / "catalogue.yml").read_text("utf-8"))
    level_names: dict[str, str] = {}
    for level, entry in raw["levels"].items():
        for name in entry["names"]:
            level_names[clean(name)] = level
    question_levels = tuple(
        (word, level) for level, words in raw["question_levels"].items() for word in words
    )
    return CatalogueSpec(
        columns={f: tuple(clean(t) for t in titles) for f, titles in raw["columns"].items()},
        required=tuple(raw["required"]),
        header_search_rows=int(raw["header_search_rows"]),
        level_labels={level: entry["label"] for level, entry in raw["levels"].items()},
        level_names=level_names,
        question_levels=question_levels,
        all_occupations=frozenset(clean(m) for m in raw["all_occupations"]),
        aliases={clean(k): clean(v) for k, v in raw["occupation_aliases"].items()},
    )
