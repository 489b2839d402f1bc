"""A chat's conversation state as JSON: a self-check in progress, a reminder waiting for
确认 and the last topic come back as they were, and a state written by another version
(fields added, removed or of another type) still loads."""

from __future__ import annotations

import json
from datetime import date

from bot.channels.chat_state import (
    STATE_VERSION,
    ChatState,
    PendingReminder,
    state_from_plain,
    state_to_plain,
)
from bot.dialogue.types import Context
from bot.eligibility.conversation import CheckState
from bot.eligibility.service import load_checker
from bot.store.plain import json_default
from tests.conftest import ROOT


def _busy_state() -> ChatState:
    check = CheckState(
        id="a1b2c3",
        facts={"role": "worker", "as_of": "2021-07-01", "apprentice": {"contract_years": 0.5}},
        answered=["role", "training_year"],
        history=[{}, {"role": "worker"}],
        current=2,
    )
    return ChatState(
        dialogue=Context(
            last_topic="apprentice_employee", audience="worker", expiry_noted=True, check=check
        ),
        pending_reminder=PendingReminder("去申领补贴", "2026-12-04T09:00:00+08:00"),
    )


def test_a_state_survives_json_unchanged():
    state = _busy_state()
    text = json.dumps(state_to_plain(state), ensure_ascii=False, default=json_default)
    back = state_from_plain(json.loads(text))
    assert back == state
    assert back.dialogue.check is not None and back.dialogue.check.current == 2
    assert json.loads(text)["v"] == STATE_VERSION


def test_nothing_worth_keeping_is_not_written():
    assert state_to_plain(ChatState()) is None
    assert state_from_plain(None) == ChatState()
    cleared = _busy_state()
    cleared.clear()
    assert state_to_plain(cleared) is None


def test_other_versions_load_what_they_share():
    plain = state_to_plain(_busy_state())
    assert plain is not None
    plain["v"] = 99
    plain["mood"] = "happy"  # a field a newer release added
    plain["dialogue"]["check"]["hint"] = [1, 2]
    del plain["dialogue"]["audience"]  # a field an older release did not have
    plain["dialogue"]["expiry_noted"] = "yes"  # another type: the default instead
    plain["dialogue"]["check"]["current"] = True  # a bool is not a question index
    plain["pending_reminder"] = "soon"  # not an object
    back = state_from_plain(plain)
    assert back.dialogue.last_topic == "apprentice_employee"
    assert back.dialogue.audience is None and back.dialogue.expiry_noted is False
    assert back.dialogue.check is not None
    assert back.dialogue.check.answered == ["role", "training_year"]
    assert back.dialogue.check.current is None
    assert back.pending_reminder is None


def test_dates_in_facts_are_written_as_text():
    state = ChatState(dialogue=Context(check=CheckState(facts={"as_of": date(2020, 7, 1)})))
    text = json.dumps(state_to_plain(state), default=json_default)
    back = state_from_plain(json.loads(text))
    assert back.dialogue.check is not None
    assert back.dialogue.check.facts == {"as_of": "2020-07-01"}


def test_a_shown_result_comes_back_for_its_detail_buttons():
    checker = load_checker(ROOT / "policy")
    facts = {"role": "worker", "as_of": "2020-07-01", "certificate": "skill_level"}
    result = checker.check_raw(facts, date(2026, 11, 25))
    state = ChatState(dialogue=Context(check=CheckState(result=result)))
    text = json.dumps(state_to_plain(state), ensure_ascii=False, default=json_default)
    back = state_from_plain(json.loads(text))
    assert back.dialogue.check is not None and back.dialogue.check.result == result
    assert back.dialogue.check.result.verdicts[0].reasons  # nested dataclasses, rebuilt


def test_a_tuple_comes_back_as_a_tuple():
    check = CheckState(undone=("training_year", {"as_of": "2020-07-01"}))
    plain = json.loads(json.dumps(state_to_plain(ChatState(dialogue=Context(check=check)))))
    back = state_from_plain(plain).dialogue.check
    assert back is not None and back.undone == ("training_year", {"as_of": "2020-07-01"})
