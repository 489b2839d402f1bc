"""The self-check case table (tests/eligibility_cases.yml) and how a result is compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CASES_FILE = Path(__file__).resolve().parents[1] / "eligibility_cases.yml"


def load_cases() -> list[dict[str, Any]]:
    return yaml.safe_load(CASES_FILE.read_text("utf-8"))["cases"]


def json_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """YAML anchors may parse dates; JSON wants strings."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts.items()}


def assert_matches(case: dict[str, Any], result: dict[str, Any]) -> None:
    by_id = {v["subsidy"]: v for v in result["verdicts"]}
    for subsidy, expected in case["expect"].items():
        assert subsidy in by_id, f"{case['name']}: no verdict for {subsidy}"
        verdict = by_id[subsidy]
        assert verdict["status"] == expected["status"], (case["name"], verdict)
        if "amount_yuan" in expected:
            assert verdict["amount_yuan"] == expected["amount_yuan"], (case["name"], verdict)
        assert verdict["reasons"], case["name"]
        assert all(r["section"] and r["text"] for r in verdict["reasons"]), case["name"]
        if verdict["status"] != "eligible":
            assert any(not r["met"] for r in verdict["reasons"]), case["name"]
    for subsidy in case.get("absent", []):
        assert subsidy not in by_id, f"{case['name']}: unexpected verdict {subsidy}"
    for fact in case.get("missing", []):
        assert fact in result["missing"], (case["name"], result["missing"])
    if "in_force" in case:
        assert result["in_force"] is case["in_force"], case["name"]
