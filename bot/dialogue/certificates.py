"""Certificates and occupations people name, and the clause that governs each
(policy/certificates.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class CertificateKind:
    id: str
    label: str
    topic: str  # answers "有补贴吗"
    amount_topic: str  # answers "补多少"
    note: str  # Jinja2 source, {{ name }} is what the person wrote


@dataclass(frozen=True)
class Mention:
    name: str  # as written, with its level when given ("中级焊工")
    kind: CertificateKind
    occupation: str = ""  # the occupation or certificate name found ("焊工"); "" if generic


@dataclass(frozen=True)
class LevelOnly:
    """A level with a certificate word and no occupation ("三级证书"), unless another exam's or
    a professional title's words are there."""

    levels: tuple[str, ...]
    words: tuple[str, ...]
    unless: tuple[str, ...]

    def find(self, text: str) -> str | None:
        """The level named, or None."""
        if any(u in text for u in self.unless):
            return None
        return next((lv for lv in self.levels if any(lv + w in text for w in self.words)), None)


@dataclass(frozen=True)
class CertificateBook:
    kinds: dict[str, CertificateKind]
    names: dict[str, tuple[str, ...]]  # name → kind ids, most likely first
    generic_names: dict[str, tuple[str, ...]]  # certificate words naming no occupation
    levels: tuple[str, ...]
    operation_markers: tuple[str, ...]
    level_only: LevelOnly
    not_names: tuple[str, ...]  # words containing a name that are not it ("汽车工")

    def find(self, text: str) -> Mention | None:
        """The first certificate named, read in the light of a level or an operation marker:
        "焊工中级" is a skill level (三(一)), "焊工操作证" a special operation (三(四))."""
        for word in self.not_names:
            text = text.replace(word, " ")
        names = self.names | self.generic_names
        found = [n for n in sorted(self.names, key=len, reverse=True) if n in text] or [
            n for n in sorted(self.generic_names, key=len, reverse=True) if n in text
        ]
        for name in found[:1]:
            kinds = names[name]
            occupation = name if name in self.names else ""
            level = next((lv for lv in self.levels if lv in text), None)
            operation = any(m in text for m in self.operation_markers)
            if level and "skill_level" in kinds and not operation:
                written = name if level in name else f"{level}{name}"
                return Mention(written, self.kinds["skill_level"], occupation)
            if operation and "special_operation" in kinds:
                return Mention(name, self.kinds["special_operation"], occupation)
            return Mention(name, self.kinds[kinds[0]], occupation)
        level = self.level_only.find(text)
        if level is not None:
            return Mention(f"{level}证书", self.kinds["skill_level"])
        return None


def load_certificates(policy_dir: Path) -> CertificateBook:
    raw = yaml.safe_load((policy_dir / "certificates.yml").read_text("utf-8"))
    kinds = {
        kind_id: CertificateKind(kind_id, k["label"], k["topic"], k["amount_topic"], k["note"])
        for kind_id, k in raw["kinds"].items()
    }
    return CertificateBook(
        kinds=kinds,
        names={name: tuple(ids) for name, ids in raw["names"].items()},
        generic_names={name: tuple(ids) for name, ids in raw["generic_names"].items()},
        levels=tuple(raw["levels"]),
        operation_markers=tuple(raw["operation_markers"]),
        level_only=LevelOnly(
            tuple(raw["level_only"]["levels"]),
            tuple(raw["level_only"]["words"]),
            tuple(raw["level_only"]["unless"]),
        ),
        not_names=tuple(raw.get("not_names") or ()),
    )
