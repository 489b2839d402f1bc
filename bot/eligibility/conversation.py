"""The guided self-check: ask only what the rules still need, one button question at a time.

Button payloads are short ASCII codes: k:<check id>:<action>, where action is
a<question>.<option>, u<question> (不确定), w<question> (为什么问这个), b (back),
r (restart), x (cancel), c (继续自查: the current step again), d<verdict> (a result's
详细说明). A payload from another check id is stale.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.payloads import CHECK_PREFIX as PREFIX
from bot.dialogue.payloads import CHECK_START as START
from bot.eligibility.evaluator import CheckResult
from bot.eligibility.facts import TEXT_LIMIT, UNSURE, FactError
from bot.eligibility.service import Checker
from bot.numerals import parse_chinese_number


@dataclass(frozen=True)
class Option:
    label: str
    value: Any = None
    set: dict[str, Any] | None = None
    # Facts this answer settles too ("还没领过" → not for the same occupation either).
    implies: dict[str, Any] | None = None


@dataclass(frozen=True)
class Question:
    id: str
    fact: str
    text: str
    why: str
    sections: tuple[str, ...]
    options: tuple[Option, ...]
    ask_if: tuple[dict[str, Any], ...] | None = None  # all must hold
    unsure: bool = True
    number_input: bool = False
    text_input: bool = False  # a typed answer (an occupation's name)
    needs_catalogue: bool = False  # asked only when a subsidy catalogue is loaded


@dataclass
class CheckState:
    """One person's check in progress. Kept only in the chat's short-term context."""

    id: str = field(default_factory=lambda: secrets.token_hex(3))
    facts: dict[str, Any] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # facts before each answer
    current: int | None = None  # index of the question on screen
    # After "返回上一步": the question undone and the facts it had set, to mark its choice.
    undone: tuple[str, dict[str, Any]] | None = None
    # The result shown, for its "详细说明" buttons: verdicts and reasons, never the answers.
    # Replaced by the next check, dropped by /stop.
    result: CheckResult | None = None


@dataclass(frozen=True)
class Step:
    """What to show next: a question, or the result when nothing is left to ask."""

    state: CheckState
    question: Question | None = None
    question_number: int = 0
    result: CheckResult | None = None


def load_questions(policy_dir: Path) -> tuple[Question, ...]:
    raw = yaml.safe_load((policy_dir / "questions.yml").read_text("utf-8"))["questions"]
    return tuple(
        Question(
            id=q["id"],
            fact=q["fact"],
            text=q["text"],
            why=q["why"],
            sections=tuple(q["sections"]),
            options=tuple(
                Option(o["label"], o.get("value"), o.get("set"), o.get("implies"))
                for o in q["options"]
            ),
            ask_if=tuple(q["ask_if"]) if "ask_if" in q else None,
            unsure=q.get("unsure", True),
            number_input=q.get("input") == "number",
            text_input=q.get("input") == "text",
            needs_catalogue=q.get("needs") == "catalogue",
        )
        for q in raw
    )


class SelfCheck:
    def __init__(
        self,
        checker: Checker,
        questions: tuple[Question, ...],
        catalogue_loaded: Callable[[], bool] = lambda: False,
    ) -> None:
        self.checker = checker
        self.questions = questions
        self._catalogue_loaded = catalogue_loaded

    # ---- moving through the check ----

    def start(self, prefill: dict[str, Any] | None = None) -> CheckState:
        return CheckState(facts=dict(prefill or {}))

    def step(self, state: CheckState, today: date) -> Step:
        """The next question the answers so far leave open, or the result."""
        result = self.checker.check_raw(state.facts, today) if "role" in state.facts else None
        if result is not None and "as_of" in state.facts and result.after_plan:
            # A training after the plan's end: nothing in it applies, so nothing more to ask.
            state.current = None
            return Step(state, result=result)
        missing = set(result.missing) if result else set()
        for index, question in enumerate(self.questions):
            if question.id in state.answered:
                continue
            if question.needs_catalogue and not self._catalogue_loaded():
                continue
            if question.ask_if is not None:
                wanted = all(
                    self.checker.test(state.facts, test, today) is True for test in question.ask_if
                )
            else:
                wanted = question.fact in missing
            if wanted:
                state.current = index
                return Step(state, question, question_number=len(state.answered) + 1)
        state.current = None
        if result is None:
            raise FactError("the self-check questions never ask for role")
        return Step(state, result=result)

    def answer(self, state: CheckState, index: int, value: Any, today: date) -> None:
        question = self.questions[index]
        state.history.append(copy.deepcopy(state.facts))
        state.answered.append(question.id)
        state.undone = None
        if isinstance(value, Option) and value.implies:
            for key, implied in value.implies.items():
                state.facts.setdefault(key, copy.deepcopy(implied))
        option_set = value.set if isinstance(value, Option) else None
        if option_set is not None:
            for key, patch in option_set.items():
                state.facts.setdefault(key, copy.deepcopy(patch))
            return
        raw = value.value if isinstance(value, Option) else value
        if raw == "today":
            raw = today.isoformat()
        _assign(state.facts, question.fact, raw)

    def back(self, state: CheckState) -> None:
        if state.history:
            state.undone = (state.answered.pop(), state.facts)
            state.facts = state.history.pop()

    def already_set(self, state: CheckState, option: Option) -> bool:
        """An option that would only set facts already given (a programme chosen before)."""
        return bool(option.set) and all(key in state.facts for key in option.set or {})

    def previous_choice(self, state: CheckState, question: Question) -> Option | str | None:
        """The option (or UNSURE) chosen last time for the question just gone back to."""
        if state.undone is None or state.undone[0] != question.id:
            return None
        facts = state.undone[1]
        for option in question.options:
            if option.set is not None:
                # The programme this answer added: in the facts after it, not before.
                before = state.facts
                if option.set and all(k in facts and k not in before for k in option.set):
                    return option
            elif _lookup(facts, question.fact) == option.value:
                return option
        return UNSURE if _lookup(facts, question.fact) == UNSURE else None

    def parse_text(self, text: str) -> str | None:
        """A typed name ("美容师"): short, one line; anything else is not an answer."""
        cleaned = text.strip()
        ok = 0 < len(cleaned) <= TEXT_LIMIT and "\n" not in cleaned
        return cleaned if ok else None

    def parse_number(self, text: str) -> float | None:
        """A typed number: "3000元", "两个月", "三千", "十二"."""
        cleaned = _NUMBER_UNIT.sub("", text.strip()).replace(",", "").replace("，", "")
        number = parse_chinese_number(cleaned)
        return number if number is not None and 0 <= number < 10_000_000 else None


_NUMBER_UNIT = re.compile(r"(块钱|元钱|个月|元|块|月|年|次)$")


def _lookup(facts: dict[str, Any], path: str) -> Any:
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _assign(facts: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = facts
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def prefill_from_entities(
    entities: list[tuple[str, str]], schema: dict[str, Any]
) -> dict[str, Any]:
    """Facts a person already stated ("我是退役军人" → groups: [veteran])."""
    facts: dict[str, Any] = {}
    groups = [v for e, v in entities if e == "group" and v in schema["groups"]["values"]]
    certificates = [
        v for e, v in entities if e == "certificate" and v in schema["certificate"]["values"]
    ]
    if groups:
        facts["groups"] = list(dict.fromkeys(groups))
    if certificates:
        facts["certificate"] = certificates[0]
    if facts:
        facts["role"] = "worker"  # groups and certificates describe a person
    return facts


__all__ = [
    "PREFIX",
    "START",
    "UNSURE",
    "CheckState",
    "FactError",
    "Question",
    "SelfCheck",
    "Step",
    "load_questions",
    "prefill_from_entities",
]
