"""One conversational turn: normalise, ask the NLU, pick the reply, render it."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from bot.config import DialogueSettings
from bot.dialogue.check_flow import CheckFlow
from bot.dialogue.payloads import MENU, NONE_OF_THESE, TOPIC_PREFIX
from bot.dialogue.types import Button, Context, Reply
from bot.eligibility.conversation import PREFIX as CHECK_PREFIX
from bot.eligibility.conversation import START as CHECK_START
from bot.eligibility.conversation import prefill_from_entities
from bot.policy_pack import PolicyPack
from bot.privacy import mask_personal_numbers
from bot.render import Renderer
from nlu.client import NluResult, NluUnavailable
from nlu.normalize import normalize

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
# Reply kinds recorded for the bureau's unanswered-questions report.
MISS_KINDS = frozenset({"decline", "clarify", "degraded"})


class Parser(Protocol):
    async def parse(self, text: str) -> NluResult: ...


class MissRecorder(Protocol):
    def record(
        self, text: str, kind: str, intent: str | None, confidence: float | None
    ) -> None: ...


@dataclass(frozen=True)
class Candidate:
    topic: str
    confidence: float


class Dialogue:
    def __init__(
        self,
        pack: PolicyPack,
        renderer: Renderer,
        nlu: Parser,
        settings: DialogueSettings,
        today: Callable[[], date] = date.today,
        misses: MissRecorder | None = None,
        check_flow: CheckFlow | None = None,
    ) -> None:
        self._pack = pack
        self._renderer = renderer
        self._nlu = nlu
        self._settings = settings
        self._today = today
        self._misses = misses
        self._check_flow = check_flow

    # ---- entry points -------------------------------------------------------------------

    async def handle_text(self, raw: str, context: Context) -> Reply:
        text = normalize(raw)
        if not text:
            return self._message("empty")
        notes: list[str] = []
        if len(text) > self._settings.max_input_chars:
            text = text[: self._settings.max_input_chars]
            notes.append(self._render("messages/too_long.j2", limit=self._settings.max_input_chars))
        masked = mask_personal_numbers(text)
        if self._check_flow is not None:
            typed_answer = self._check_flow.on_text(masked.text, context)
            if typed_answer is not None:
                return typed_answer
        if masked.kinds:
            notes.append(self._render("messages/pii_warning.j2"))
        try:
            reply = await self._understand(masked.text, context)
        except NluUnavailable:
            reply = self._degraded()
        if self._misses is not None and reply.kind in MISS_KINDS:
            try:
                await asyncio.to_thread(
                    self._misses.record, masked.text, reply.kind, reply.intent, reply.confidence
                )
            except Exception:
                log.warning("could not record an unanswered question (database down?)")
        if notes:
            reply = replace(reply, text="\n".join([*notes, reply.text]))
        return reply

    def handle_button(self, data: str, context: Context) -> Reply:
        if data.startswith(CHECK_PREFIX) and self._check_flow is not None:
            return self._check_flow.on_button(data, context)
        if data == MENU:
            return self.menu()
        if data == NONE_OF_THESE:
            return self._message("none_of_these", kind="decline")
        if data.startswith(TOPIC_PREFIX) and data[len(TOPIC_PREFIX) :] in self._pack.topics:
            return self._answer([data[len(TOPIC_PREFIX) :]], context, confidence=1.0)
        return self._message("stale_button")

    def start_check(self, context: Context) -> Reply:
        """The guided eligibility self-check (/check, the menu button, or "我能领什么补贴")."""
        if self._check_flow is None:
            return self._message("error")
        return self._check_flow.start(context)

    def welcome(self, name: str | None = None) -> Reply:
        return Reply(
            text=self._render("messages/welcome.j2", name=name),
            buttons=self._menu_buttons(),
            kind="message",
        )

    def menu(self) -> Reply:
        return Reply(text=self._render("messages/menu.j2"), buttons=self._menu_buttons())

    def message(self, name: str) -> Reply:
        """A fixed message from responses/messages/ (help, non_text, error …)."""
        return self._message(name)

    # ---- deciding ---------------------------------------------------------------------

    async def _understand(self, text: str, context: Context) -> Reply:
        """Several questions in one message get one answer each; otherwise the whole text."""
        segments = split_questions(text, self._settings.max_questions_per_message)
        if len(segments) > 1:
            results = [await self._nlu.parse(segment) for segment in segments]
            confident = [r for r in results if self._is_confident_topic(r)]
            topics = list(dict.fromkeys(r.intent for r in confident))
            if len(topics) > 1:
                return self._answer(topics, context, min(r.confidence for r in confident), results)
        result = await self._nlu.parse(text)
        log.info("intent=%s confidence=%.2f text=%s", result.intent, result.confidence, text)
        return self._reply_for(result, context)

    def _is_confident_topic(self, result: NluResult) -> bool:
        return result.intent in self._pack.topics and not self._is_unsure(
            result, self._candidates(result)
        )

    def _reply_for(self, result: NluResult, context: Context) -> Reply:
        intent = result.intent
        if intent in self._pack.out_of_scope:
            return self._decline(intent, result.confidence)
        if intent in self._pack.flows and self._check_flow is not None:
            prefill = prefill_from_entities(
                [(e.entity, e.value) for e in result.entities], self._check_flow.fact_schema
            )
            return replace(
                self._check_flow.start(context, prefill),
                intent=intent,
                confidence=result.confidence,
            )
        if intent in self._pack.smalltalk:
            reply = self._message(intent, kind="smalltalk")
            return replace(reply, intent=intent, confidence=result.confidence, answered=True)
        candidates = self._candidates(result)
        followup = self._followup(result, candidates, context)
        if followup is not None:
            return self._answer([followup], context, result.confidence, [result])
        if intent in self._pack.topics and not self._is_unsure(result, candidates):
            return self._answer([intent], context, result.confidence, [result])
        if candidates:
            return self._clarify(candidates, result)
        return self._decline("out_of_scope", result.confidence, intent=intent)

    def _candidates(self, result: NluResult) -> list[Candidate]:
        ranked = [
            Candidate(r.name, r.confidence) for r in result.ranking if r.name in self._pack.topics
        ]
        if not ranked and result.intent in self._pack.topics:
            ranked = [Candidate(result.intent, result.confidence)]
        return ranked[: self._settings.max_candidates]

    def _followup(
        self, result: NluResult, candidates: list[Candidate], context: Context
    ) -> str | None:
        """A short message right after an answer, read in the light of that answer's topic."""
        if context.last_topic is None or not candidates:
            return None
        if len(result.text) > self._settings.followup_max_chars:
            return None
        mapping = self._pack.followups.get(context.last_topic, {})
        return mapping.get(candidates[0].topic)

    def _is_unsure(self, result: NluResult, candidates: list[Candidate]) -> bool:
        if result.confidence < self._settings.confidence_threshold:
            return True
        others = [c for c in candidates if c.topic != result.intent]
        return bool(others) and result.confidence - others[0].confidence < (
            self._settings.ambiguity_margin
        )

    # ---- building replies -------------------------------------------------------------

    def _answer(
        self,
        topic_ids: list[str],
        context: Context,
        confidence: float,
        results: Sequence[NluResult] = (),
    ) -> Reply:
        """The answers for one or more topics, then notes, then one citation footer."""
        context.last_topic = topic_ids[-1]
        parts = [self._render(f"answers/{topic_id}.j2") for topic_id in topic_ids]
        cities = _entity_values(results, "city")
        if cities:
            # Asked with another city's name: this plan's rule, and a note that theirs differ.
            parts.append(self._render("messages/other_city.j2", cities=cities))
        sections = tuple(
            dict.fromkeys(s for topic_id in topic_ids for s in self._pack.topics[topic_id].sections)
        )
        cited = [self._pack.sections[s] for s in sections]
        parts.append(self._render("messages/citation.j2", cited=cited))
        return Reply(
            text="\n\n".join(parts),
            sections=sections,
            intent=topic_ids[0],
            confidence=confidence,
            answered=True,
            kind="answer",
        )

    def _clarify(self, candidates: list[Candidate], result: NluResult) -> Reply:
        rows = tuple(
            (Button(self._pack.topics[c.topic].label, TOPIC_PREFIX + c.topic),) for c in candidates
        )
        rows += ((Button("都不是", NONE_OF_THESE),),)
        return Reply(
            text=self._render("messages/clarify.j2"),
            buttons=rows,
            intent=result.intent,
            confidence=result.confidence,
            answered=False,
            kind="clarify",
        )

    def _decline(self, kind: str, confidence: float, intent: str | None = None) -> Reply:
        return Reply(
            text=self._render(f"declines/{kind}.j2"),
            intent=intent or kind,
            confidence=confidence,
            answered=False,
            kind="decline",
        )

    def _degraded(self) -> Reply:
        return Reply(
            text=self._render("messages/nlu_down.j2"),
            buttons=self._menu_buttons(),
            answered=False,
            kind="degraded",
        )

    def _message(self, name: str, kind: str = "message") -> Reply:
        return Reply(text=self._render(f"messages/{name}.j2"), kind=kind)

    def _menu_buttons(self) -> tuple[tuple[Button, ...], ...]:
        buttons = [Button(self._pack.topics[t].label, TOPIC_PREFIX + t) for t in self._pack.menu]
        # Two per row keeps labels readable on a phone.
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        if self._check_flow is None:
            return rows
        return ((Button("🧾 自查能领哪些补贴", CHECK_START),), *rows)

    def _render(self, template: str, **extra: object) -> str:
        return self._renderer.render(template, self._today(), **extra)


def _entity_values(results: Sequence[NluResult], entity: str) -> list[str]:
    """Distinct values of one entity type, in the order they were found."""
    return list(dict.fromkeys(e.value for r in results for e in r.entities if e.entity == entity))


_QUESTION_END = re.compile(r"[?？;；。!！\n]+")


def split_questions(text: str, limit: int) -> list[str]:
    """Split a message into its questions (at most `limit`); fragments under 4 characters
    ("好的。") are not questions of their own."""
    segments = [s.strip() for s in _QUESTION_END.split(text)]
    return [s for s in segments if len(s) >= 4][:limit]
