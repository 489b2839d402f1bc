"""The case table through the evaluator directly."""

from __future__ import annotations

import pytest

from bot.eligibility.service import Checker, load_checker
from tests.conftest import CLOCK, ROOT
from tests.support.cases import assert_matches, json_facts, load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def checker() -> Checker:
    return load_checker(ROOT / "policy")


def test_the_table_is_big_enough_and_cites_the_plan(checker: Checker):
    assert len(CASES) >= 40
    for case in CASES:
        assert case["section"] in checker.pack.sections, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(checker: Checker, case: dict):
    result = checker.check_raw(json_facts(case["facts"]), CLOCK.today()).to_json()
    assert_matches(case, result)
