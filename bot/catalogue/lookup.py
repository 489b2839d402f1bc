"""The catalogue's figure for an occupation and level, as of a date: the key is what the
dialogue's certificate knowledge found (policy/certificates.yml), read through
policy/catalogue.yml (names people use → the catalogue's names, level words)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup

from bot.catalogue.spec import WILDCARD, CatalogueSpec
from bot.catalogue.store import CatalogueStore, Version
from bot.dialogue.certificates import Mention
from bot.eligibility.evaluator import CatalogueFigure
from bot.eligibility.service import FigureSource
from bot.render import Renderer

SKILL_LEVELS = ("level_5", "level_4", "level_3", "level_2", "level_1")
# Certificate kinds a level standard for "every occupation" applies to.
GENERAL_KINDS = {"skill_level": SKILL_LEVELS, "special_ability": ("special_ability",)}
_YEAR = re.compile(r"(20\d\d)\s*年")


@dataclass(frozen=True)
class Figure:
    level: str
    label: str
    amount_yuan: Decimal
    general: bool  # from a row that sets the level's standard for every occupation
    remarks: str = ""


@dataclass(frozen=True)
class Quote:
    """What the catalogue in force on `on` says about one occupation."""

    occupation: str
    on: date
    year_named: bool
    version: Version | None  # None: no version was in force on that date
    figures: tuple[Figure, ...]
    missing_levels: tuple[str, ...]  # levels asked about that the catalogue does not list

    @property
    def difference(self) -> Decimal | None:
        """Two levels asked about ("初级和中级差多少"): the second minus the first."""
        if len(self.figures) == 2 and not self.missing_levels:
            return self.figures[1].amount_yuan - self.figures[0].amount_yuan
        return None


def quote(
    versions: CatalogueStore,
    spec: CatalogueSpec,
    occupation: str,
    kind: str,
    levels: list[str],
    on: date,
    year_named: bool = False,
) -> Quote:
    """The figures for `occupation` at `levels` (all it has when none are given)."""
    name = spec.canonical_occupation(occupation)
    version = versions.in_force(on)
    if version is None:
        return Quote(name, on, year_named, None, (), tuple(levels))
    own = {e.level: e for e in version.entries if e.occupation == name}
    general_levels = GENERAL_KINDS.get(kind, ())
    general = {
        e.level: e
        for e in version.entries
        if e.occupation == WILDCARD and e.level in general_levels
    }
    wanted = levels or (list(own) if own else [lv for lv in general_levels if lv in general])
    figures: list[Figure] = []
    missing: list[str] = []
    for level in wanted:
        entry = own.get(level) or general.get(level)
        if entry is None:
            missing.append(level)
            continue
        figures.append(
            Figure(
                level,
                spec.level_labels[level],
                entry.amount_yuan,
                entry.occupation == WILDCARD,
                entry.remarks,
            )
        )
    return Quote(name, on, year_named, version, tuple(figures), tuple(missing))


def _year_asked(text: str, today: date) -> tuple[date, bool]:
    """The training year named in a question ("2020年考的…"): the catalogue in force at its
    end (or today, if earlier); none named: today."""
    match = _YEAR.search(text)
    if match is None:
        return today, False
    return min(date(int(match.group(1)), 12, 31), today), True


class CatalogueFigures:
    """The dialogue's view: a certificate note with the catalogue's figure, when one is loaded."""

    def __init__(
        self,
        store: CatalogueStore,
        spec: CatalogueSpec,
        renderer: Renderer,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._store = store
        self._spec = spec
        self._renderer = renderer
        self._on_error = on_error

    def note(self, text: str, mention: Mention, certificate_note: str, today: date) -> str:
        """The certificate note, with the figure for the occupation and level asked about
        added on top. Unchanged when no catalogue is loaded (or the database is down)."""
        if not mention.occupation:
            return certificate_note
        try:
            if self._store.latest() is None:
                return certificate_note
            on, year_named = _year_asked(text, today)
            found = quote(
                self._store,
                self._spec,
                mention.occupation,
                mention.kind.id,
                self._spec.levels_in(text),
                on,
                year_named,
            )
        except Exception as exc:  # the answer without the figure beats no answer
            if self._on_error is not None:
                self._on_error(exc)
            return certificate_note
        return self._renderer.render(
            "catalogue/figure.j2",
            today,
            quote=found,
            label=self._spec.level_labels,
            certificate_note=Markup(certificate_note),  # rendered already, autoescaped
        )


def figure_source(store: CatalogueStore, spec: CatalogueSpec) -> FigureSource:
    """The self-check's view: the figure for one occupation and level on the training date."""

    def find(occupation: str, level: str, on: date) -> CatalogueFigure | None:
        kind = (
            "special_ability"
            if level == "special_ability"
            else ("skill_level" if level in SKILL_LEVELS else "")
        )
        found = quote(store, spec, occupation, kind, [level], on)
        if found.version is None or not found.figures:
            return None
        figure = found.figures[0]
        return CatalogueFigure(
            occupation=found.occupation,
            level=level,
            level_label=figure.label if level != "none" else "",
            amount_yuan=float(figure.amount_yuan),
            valid_from=found.version.valid_from,
            source=found.version.source,
        )

    return find
