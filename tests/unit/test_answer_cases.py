"""Answer texts from the case table (tests/eligibility_cases.yml, `answers`): what the plan
says, on the date it is said."""

from __future__ import annotations

from datetime import date

import pytest

from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.support.cases import load_answer_cases, load_cases
from tests.support.telegram_html import telegram_html_error

ANSWERS = load_answer_cases()
# Issue #10's points: 1—9 are self-check cases, the wording and coverage points are answer
# cases; point 10 (the departments' dates) is also tested in test_duties.py, point 12's
# topics through the dialogue in test_dialogue.py and the real NLU in test_answers.py.
CHECK_POINTS = {f"10.{n}" for n in range(1, 10)}
ANSWER_POINTS = {"10.3", "10.6", "10.7", "10.10", "10.11", "10.12", "10.13"}


def test_every_point_has_cases_citing_real_clauses(pack: PolicyPack):
    assert {c.get("issue") for c in load_cases()} >= CHECK_POINTS
    assert {c.get("issue") for c in ANSWERS} >= ANSWER_POINTS
    for case in ANSWERS:
        assert case["section"] in pack.sections, case["name"]


@pytest.mark.parametrize("case", ANSWERS, ids=[c["name"] for c in ANSWERS])
def test_answer_case(pack: PolicyPack, renderer: Renderer, case: dict):
    if case.get("section_text"):
        text = pack.sections[case["section"]].text
    else:
        today = case["today"]
        today = today if isinstance(today, date) else date.fromisoformat(today)
        text = renderer.render(case["template"], today, **(case.get("extra") or {}))
        assert telegram_html_error(text) is None, case["name"]
        # A long answer's rest is one "详细说明" tap away: the case reads both, as a person can.
        details = case["template"].replace("answers/", "details/", 1)
        if case["template"].startswith("answers/") and renderer.exists(details):
            text = "\n\n".join([text, renderer.render(details, today)])
    for wanted in case.get("contains", []):
        assert wanted in text, (case["name"], wanted, text)
    for unwanted in case.get("not_contains", []):
        assert unwanted not in text, (case["name"], unwanted, text)
