"""Catalogue versions side by side on SQLite and PostgreSQL: the version in force on a date,
replacing a date's version, admin drafts, and what an import changes."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import sessionmaker

from bot.catalogue.lookup import figure_source, quote
from bot.catalogue.reader import read_catalogue
from bot.catalogue.spec import load_spec
from bot.catalogue.store import CatalogueStore
from tests.conftest import ROOT
from tests.support.catalogue import EXAMPLE_CSV, EXAMPLE_SOURCE

SPEC = load_spec(ROOT / "policy")


def _entries():
    return read_catalogue(EXAMPLE_CSV.read_bytes(), "example.csv", SPEC).entries


def _raised(entries, level: str, amount: int):
    return tuple(
        dataclasses.replace(e, amount_yuan=Decimal(amount)) if e.level == level else e
        for e in entries
    )


def test_versions_side_by_side_and_the_one_in_force_on_a_date(sessions: sessionmaker):
    store = CatalogueStore(sessions, cache_seconds=0)
    assert store.latest() is None
    first = _entries()
    store.save(first, date(2020, 7, 23), EXAMPLE_SOURCE, "example.csv")
    second = _raised(first, "level_4", 1300)
    changes = store.diff_for(second, date(2021, 3, 1))
    assert not changes.replaces and changes.against is not None
    assert [(c.level, c.old, c.new) for c in changes.changed] == [
        ("level_4", Decimal(1200), Decimal(1300))
    ]
    store.save(second, date(2021, 3, 1), "第二版", "v2.csv")

    def amount(on: date) -> Decimal | None:
        found = quote(store, SPEC, "美容师", "skill_level", ["level_4"], on)
        return found.figures[0].amount_yuan if found.figures else None

    assert amount(date(2020, 6, 30)) is None  # before any version
    assert amount(date(2020, 12, 1)) == 1200
    assert amount(date(2021, 6, 1)) == 1300
    figure = figure_source(store, SPEC)("美容师", "level_4", date(2020, 12, 1))
    assert figure is not None and figure.valid_from == date(2020, 7, 23)
    assert figure.source == EXAMPLE_SOURCE and figure.amount_yuan == 1200


def test_a_new_import_for_the_same_date_replaces_that_version(sessions: sessionmaker):
    store = CatalogueStore(sessions, cache_seconds=0)
    store.save(_entries(), date(2020, 7, 23), EXAMPLE_SOURCE, "example.csv")
    fewer = tuple(e for e in _entries() if e.level != "none")
    changes = store.diff_for(fewer, date(2020, 7, 23))
    assert changes.replaces and len(changes.removed) == 3 and not changes.added
    store.save(fewer, date(2020, 7, 23), "更正版", "fixed.csv")
    assert [(v.source, len(v.entries)) for v in store.versions()] == [("更正版", 6)]


def test_a_draft_is_never_used_until_confirmed_and_then_only_once(sessions: sessionmaker):
    store = CatalogueStore(sessions, cache_seconds=0)
    draft = store.save(_entries(), date(2020, 7, 23), EXAMPLE_SOURCE, "x.csv", 9001, draft=True)
    assert store.latest() is None and store.draft(draft) is not None
    version = store.confirm(draft)
    assert version is not None and len(version.entries) == 9
    assert store.confirm(draft) is None  # a second tap changes nothing
    other = store.save(_entries(), date(2021, 1, 1), "草稿", "y.csv", 9001, draft=True)
    assert store.discard(other) and not store.discard(other)
    assert [v.valid_from for v in store.versions()] == [date(2020, 7, 23)]
