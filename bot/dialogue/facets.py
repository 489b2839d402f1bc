"""Follow-ups that ask one facet of the previous answer (policy/facets.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Facet:
    topic: str
    id: str
    cues: tuple[str, ...]
    sections: tuple[str, ...]
    template: str  # responses/facets/<template>.j2


@dataclass(frozen=True)
class Facets:
    by_topic: dict[str, tuple[Facet, ...]]

    def find(self, topic: str, text: str) -> Facet | None:
        """The first facet of the topic whose words the message uses."""
        return next(
            (f for f in self.by_topic.get(topic, ()) if any(c in text for c in f.cues)), None
        )


def load_facets(policy_dir: Path) -> Facets:
    raw = yaml.safe_load((policy_dir / "facets.yml").read_text("utf-8"))
    templates = raw.get("templates") or {}
    return Facets(
        {
            topic: tuple(
                Facet(
                    topic,
                    facet_id,
                    tuple(f["cues"]),
                    tuple(f["sections"]),
                    f"facets/{templates.get(topic, topic)}.j2",
                )
                for facet_id, f in facets.items()
            )
            for topic, facets in raw["facets"].items()
        }
    )
