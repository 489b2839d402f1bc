"""`python -m bot check --json` as operators use it: the case table, and bad input."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import run_bot
from tests.support.cases import assert_matches, json_facts, load_cases

CASES = load_cases()
ENV = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_through_the_cli(case: dict):
    done = run_bot(["check", "--json"], ENV, stdin=json.dumps(json_facts(case["facts"])))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= {"in_force", "plan", "verdicts", "missing"}
    for verdict in result["verdicts"]:
        assert set(verdict) >= {"subsidy", "status", "amount_yuan", "sections", "reasons"}
    assert_matches(case, result)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "one JSON object"),
        ('{"as_of": "2020-01-01"}', "role is required"),
        ('{"role": "boss"}', "role"),
        ('{"role": "worker", "groups": ["astronaut"]}', "astronaut"),
        ('{"role": "worker", "as_of": "2020-13-45"}', "YYYY-MM-DD"),
        ('{"role": "worker", "subsidies_this_year": -1}', "subsidies_this_year"),
        ('{"role": "worker", "apprentice": {"type": "intern"}}', "apprentice.type"),
        ('{"role": "worker", "favourite_colour": "red"}', "favourite_colour"),
        ("", "not valid JSON"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(stdin: str, message: str):
    done = run_bot(["check", "--json"], ENV, stdin=stdin)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
