"""The self-check case table (tests/eligibility_cases.yml) and how a result is compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CASES_FILE = Path(__file__).resolve().parents[1] / "eligibility_cases.yml"


def _table() -> dict[str, Any]:
    return yaml.safe_load(CASES_FILE.read_text("utf-8"))


def load_cases() -> list[dict[str, Any]]:
    return _table()["cases"]


def load_answer_cases() -> list[dict[str, Any]]:
    return _table()["answers"]


def json_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """YAML anchors may parse dates; JSON wants strings."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts.items()}


def assert_matches(case: dict[str, Any], result: dict[str, Any]) -> None:
    name = case["name"]
    by_id = {v["subsidy"]: v for v in result["verdicts"]}
    for subsidy, expected in case["expect"].items():
        assert subsidy in by_id, f"{name}: no verdict for {subsidy}"
        verdict = by_id[subsidy]
        assert verdict["status"] == expected["status"], (name, verdict)
        for key in ("amount_yuan", "amount_basis", "documents"):
            if key in expected:
                assert verdict[key] == expected[key], (name, key, verdict)
        if verdict["amount_yuan"] is None:
            assert verdict["amount_basis"] is None, (name, verdict)
        else:
            assert verdict["amount_basis"] in {"exact", "at_least", "at_most"}, (name, verdict)
        if "payee" in expected:
            assert bool(verdict["payee"]) is expected["payee"], (name, verdict)
        if "cites" in expected:
            assert expected["cites"] in {r["section"] for r in verdict["reasons"]}, (name, verdict)
        assert verdict["reasons"], name
        assert all(r["section"] and r["text"] for r in verdict["reasons"]), name
        if verdict["status"] != "eligible":
            assert any(not r["met"] for r in verdict["reasons"]), name
        if verdict["status"] == "not_eligible":
            assert verdict["documents"] == [], name  # what to bring only for ✅/❓
    for subsidy in case.get("absent", []):
        assert subsidy not in by_id, f"{name}: unexpected verdict {subsidy}"
    for fact in case.get("missing", []):
        assert fact in result["missing"], (name, result["missing"])
    for fact in case.get("not_missing", []):
        assert fact not in result["missing"], (name, result["missing"])
    if "in_force" in case:
        assert result["in_force"] is case["in_force"], name
    if "plan_ended" in case:
        assert result["plan_ended"] is case["plan_ended"], name
