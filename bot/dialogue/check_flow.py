"""The guided self-check as replies: questions with buttons, "why", back, restart, result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from bot.dialogue.payloads import CHECK_PREFIX, CHECK_START, MENU, REMIND_CLAIM
from bot.dialogue.types import Button, Context, Reply
from bot.eligibility.conversation import (
    UNSURE,
    CheckState,
    SelfCheck,
    Step,
)
from bot.eligibility.evaluator import CheckResult
from bot.render import Renderer


def result_context(result: CheckResult, catalogue_note: str) -> dict[str, Any]:
    """What messages/check_result.j2 shows besides the verdicts: the documents and sections
    of all subsidies once, and the catalogue's note once when any amount rests on it."""
    verdicts = result.verdicts
    shared = any(v.amount_note and catalogue_note in v.amount_note for v in verdicts)
    return {
        "result": result,
        "documents": list(dict.fromkeys(d for v in verdicts for d in v.documents)),
        "cited": list(dict.fromkeys(s for v in verdicts for s in v.sections)),
        "shared_note": catalogue_note if shared else None,
    }


class CheckFlow:
    def __init__(
        self,
        selfcheck: SelfCheck,
        renderer: Renderer,
        today: Callable[[], date],
        offer_reminder: bool = False,  # only where a scheduler can deliver one (Telegram)
    ) -> None:
        self._check = selfcheck
        self._renderer = renderer
        self._today = today
        self._offer_reminder = offer_reminder

    @property
    def fact_schema(self) -> dict:
        return self._check.checker.rules.facts

    def start(self, context: Context, prefill: dict | None = None, intro: bool = False) -> Reply:
        """A new check. `intro`: started from typed words, so the first step says what it is."""
        context.check = self._check.start(prefill)
        return self._show(self._check.step(context.check, self._today()), intro=intro)

    def resume_button(self, context: Context) -> Button | None:
        """A "继续自查" button under the reply to a question typed mid-check."""
        state = context.check
        if state is None or state.current is None:
            return None
        return Button("继续自查", f"{CHECK_PREFIX}{state.id}:c")

    def on_button(self, data: str, context: Context) -> Reply:
        if data == CHECK_START:
            # From an answer, the menu or a result: a new message, the old one stays.
            return self.start(context)
        state = context.check
        parts = data[len(CHECK_PREFIX) :].split(":", 1)
        if state is None or len(parts) != 2 or parts[0] != state.id:
            return self._stale()
        action = parts[1]
        if action.startswith("d"):
            return self._detail(state, action[1:])
        reply = self._step_button(state, action, context)
        if action == "c" and not reply.toast:
            return reply  # pressed under an answer, which stays: a new message
        # A step replaces the question it was pressed on; a stale press is a new message.
        return reply if reply.toast else replace(reply, edit=True)

    def _step_button(self, state: CheckState, action: str, context: Context) -> Reply:
        today = self._today()
        if action == "r":
            return self.start(context)
        if action == "b":
            self._check.back(state)
            return self._show(self._check.step(state, today))
        if action == "c":
            # Back from a question typed mid-check: the current step again, under the answer.
            if state.current is None:
                return self._stale(state)
            return replace(self._show(self._check.step(state, today)), edit=False)
        kind, rest = action[:1], action[1:]
        index_text, _, option_text = rest.partition(".")
        if not index_text.isdigit() or int(index_text) != state.current:
            return self._stale(state)
        question = self._check.questions[state.current]
        if kind == "w":
            # The reason above the question it explains: the message still asks it.
            why = self._renderer.render("messages/check_why.j2", today, question=question)
            asked = self._show(self._check.step(state, today))
            return replace(asked, text=f"{why}\n\n{asked.text}")
        if kind == "u" and question.unsure:
            self._check.answer(state, state.current, "unsure", today)
        elif kind == "a" and option_text.isdigit() and int(option_text) < len(question.options):
            self._check.answer(state, state.current, question.options[int(option_text)], today)
        else:
            return self._stale(state)
        return self._show(self._check.step(state, today))

    def on_text(self, text: str, context: Context) -> Reply | None:
        """A typed number (or name) answers a question that takes one; anything else is not ours."""
        state = context.check
        if state is None or state.current is None:
            return None
        question = self._check.questions[state.current]
        value: float | str | None = None
        if question.number_input:
            value = self._check.parse_number(text)
        elif question.text_input:
            value = self._check.parse_text(text)
        if value is None:
            return None
        self._check.answer(state, state.current, value, self._today())
        return self._show(self._check.step(state, self._today()))

    # ---- replies ----

    def _show(self, step: Step, intro: bool = False) -> Reply:
        if step.question is None:
            return self._result(step)
        as_of = step.state.facts.get("as_of")
        # "今年" in a question means the training's year (as_of is an ISO date or "unsure").
        year = int(as_of[:4]) if isinstance(as_of, str) and as_of[:4].isdigit() else None
        return self._reply(
            "messages/check_question.j2",
            self._question_buttons(step.state),
            question=step.question,
            number=step.question_number,
            sections=step.question.sections,
            intro=intro,
            year=year,
            current_year=self._today().year,
        )

    def _result(self, step: Step) -> Reply:
        """One line per subsidy, the shared notes once, and a "详细说明" button per subsidy
        for its clause-by-clause reasons."""
        result = step.result
        assert result is not None
        shown = result_context(result, self._check.checker.rules.catalogue_note)
        code = f"{CHECK_PREFIX}{step.state.id}:d"
        details = tuple(
            (Button(f"详细说明：{v.label}", f"{code}{n}"),) for n, v in enumerate(result.verdicts)
        )
        buttons: tuple[tuple[Button, ...], ...] = (
            *details,
            (Button("重新自查", CHECK_START), Button("常见话题", MENU)),
        )
        # A claim reminder only while the plan is in force: after it, a claim must first be
        # confirmed with 12333 or the bureau, and a reminder to claim would mislead.
        claimable = any(v.status != "not_eligible" for v in result.verdicts)
        if self._offer_reminder and claimable and not result.plan_ended:
            buttons = ((Button("⏰ 提醒我申领", REMIND_CLAIM),), *buttons)
        reply = self._reply(
            "messages/check_result.j2", buttons, sections=tuple(shown["cited"]), **shown
        )
        # Nothing personal is kept once the result is shown: only the verdicts, for the
        # "详细说明" buttons, until the next check.
        step.state.facts.clear()
        step.state.history.clear()
        step.state.result = result
        return reply

    def _detail(self, state: CheckState, number: str) -> Reply:
        """One subsidy's clause-by-clause reasons, from the result on screen."""
        result = state.result
        if result is None or not number.isdigit() or int(number) >= len(result.verdicts):
            return self._stale(state)
        verdict = result.verdicts[int(number)]
        return self._reply(
            "messages/check_detail.j2",
            (),
            sections=tuple(verdict.sections),
            v=verdict,
            result=result,
        )

    def _stale(self, state: CheckState | None = None) -> Reply:
        toast = self._renderer.render("toasts/stale.j2", self._today())
        if state is not None and state.current is not None:
            reply = self._show(self._check.step(state, self._today()))
            note = self._renderer.render("messages/check_stale.j2", self._today(), current=True)
            # A button of this check pressed twice (or on a message before a typed answer):
            # that message shows the current question again, in place.
            return Reply(
                text=f"{note}\n\n{reply.text}",
                buttons=reply.buttons,
                kind="check",
                edit=True,
                toast=toast,
            )
        reply = self._reply(
            "messages/check_stale.j2", ((Button("开始自查", CHECK_START),),), current=False
        )
        return replace(reply, toast=toast)

    def _question_buttons(self, state: CheckState) -> tuple[tuple[Button, ...], ...]:
        index = state.current
        assert index is not None
        question = self._check.questions[index]
        code = f"{CHECK_PREFIX}{state.id}:"
        # After "返回上一步" the choice made last time is marked.
        previous = self._check.previous_choice(state, question)

        def label(text: str, chosen: bool) -> str:
            if not chosen:
                return text
            return self._renderer.render("messages/check_previous.j2", self._today(), label=text)

        rows: list[tuple[Button, ...]] = [
            (Button(label(option.label, option is previous), f"{code}a{index}.{n}"),)
            for n, option in enumerate(question.options)
            if not self._check.already_set(state, option)
        ]
        unsure = label("不确定", previous == UNSURE)
        extra = [Button(unsure, f"{code}u{index}")] if question.unsure else []
        rows.append((*extra, Button("为什么问这个？", f"{code}w{index}")))
        controls = [Button("重新开始", f"{code}r")]
        if state.answered:
            controls.insert(0, Button("返回上一步", f"{code}b"))
        rows.append(tuple(controls))
        return tuple(rows)

    def _reply(
        self,
        template: str,
        buttons: tuple[tuple[Button, ...], ...],
        sections: tuple[str, ...] = (),
        **extra: object,
    ) -> Reply:
        text = self._renderer.render(template, self._today(), **extra)
        return Reply(text=text, buttons=buttons, sections=sections, answered=True, kind="check")
