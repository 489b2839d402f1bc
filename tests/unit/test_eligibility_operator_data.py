"""Figures the plan does not give come from operator files, never invented."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.eligibility.service import load_checker
from tests.conftest import CLOCK, ROOT

FACTS = {
    "as_of": "2020-06-01",
    "role": "worker",
    "residency": ["local_hukou"],
    "certificate": "none",
    "groups": ["urban_dibao"],
    "training_months": 8,
}


def _allowance(policy: Path) -> dict:
    result = load_checker(policy).check_raw(FACTS, CLOCK.today()).to_json()
    return next(v for v in result["verdicts"] if v["subsidy"] == "living_allowance")


def test_without_operator_data_no_amount_and_where_to_ask():
    verdict = _allowance(ROOT / "policy")
    assert verdict["amount_yuan"] is None and "12333" in verdict["amount_note"]


def test_with_the_local_minimum_living_standard_the_amount_is_capped_at_six_months(tmp_path):
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", policy)
    (policy / "operator").mkdir(exist_ok=True)
    (policy / "operator" / "local_rates.yml").write_text(
        "minimum_living_standard_yuan_per_month: 750\n", encoding="utf-8"
    )
    verdict = _allowance(policy)
    assert verdict["status"] == "eligible"
    assert verdict["amount_yuan"] == 6 * 750
