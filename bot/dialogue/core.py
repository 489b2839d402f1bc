"""One conversational turn: normalise, ask the NLU, pick the reply, render it."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from itertools import zip_longest
from typing import Protocol

from bot.config import DialogueSettings
from bot.dialogue.certificates import Mention
from bot.dialogue.check_flow import CheckFlow
from bot.dialogue.cues import DEFAULT_AUDIENCE
from bot.dialogue.facets import Facet
from bot.dialogue.groups import Group
from bot.dialogue.payloads import (
    CHECK_PREFIX,
    CHECK_START,
    DECLINE_PREFIX,
    DETAILS_PREFIX,
    MENU,
    NONE_OF_THESE,
    TOPIC_PREFIX,
)
from bot.dialogue.ranker import TopicRanker
from bot.dialogue.reading import Reading, read_message
from bot.dialogue.types import Button, Candidate, Context, Reply
from bot.eligibility.conversation import prefill_from_entities
from bot.policy_pack import PolicyPack
from bot.privacy import mask_personal_numbers
from bot.render import Renderer
from nlu.client import IntentScore, NluResult, NluUnavailable
from nlu.normalize import looks_simplified, looks_traditional, normalize, to_traditional

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
ABUSE_INTENT = "oos_abuse"
OTHER_PROGRAM = "oos_other_program"
OUT_OF_SCOPE = "out_of_scope"
CASE_STATUS = "oos_case_status"
CURRENT_POLICY = "oos_current_policy"
# The validity clause (附则): when the plan ends.
VALIDITY = "validity"
# How to claim: with a certificate named, answered together with that certificate's clause.
CLAIM_INTENT = "service_claim"
# Intents whose answer depends on which certificate is named.
CERTIFICATE_INTENTS = frozenset(
    {
        "social_training_certificates",
        "social_training_eligibility",
        "subsidy_amount",
        "special_operations",
        "entrepreneurship_training",
        CLAIM_INTENT,
        FALLBACK_INTENT,
    }
)
# Intents that say nothing about which topic a short follow-up belongs to ("要什么证书",
# "怎么申请" right after the apprentice answer are about the apprentice subsidy).
GENERIC_INTENTS = frozenset(
    {
        CLAIM_INTENT,
        "subsidy_amount",
        "social_training_certificates",
        "social_training_frequency",
        "social_training_eligibility",
        VALIDITY,
        FALLBACK_INTENT,
    }
)
# Intents a message naming a group ("我是退役军人…") gets the group's clauses for.
GROUP_INTENTS = frozenset(
    {
        "key_groups",
        "training_categories",
        "social_training_eligibility",
        CASE_STATUS,
        "out_of_scope",
        FALLBACK_INTENT,
    }
)
# Reply kinds that settle a question, of the questions in one message.
SETTLED = frozenset({"answer", "decline"})
# Reply kinds recorded for the bureau's unanswered-questions report.
MISS_KINDS = frozenset({"decline", "clarify", "menu", "degraded"})
MENU_BUTTON = Button("菜单", MENU)
# Buttons above the menu under the answers to several questions: a phone screen's worth.
MAX_MERGED_BUTTONS = 4
# A masked personal number says nothing about the question.
_MASK_RUN = re.compile(r"\*{6,}")


class Parser(Protocol):
    async def parse(self, text: str) -> NluResult: ...


class MissRecorder(Protocol):
    def record(
        self, text: str, kind: str, intent: str | None, confidence: float | None
    ) -> None: ...


class FigureNotes(Protocol):
    """The catalogue's figure added to a certificate note (bot/catalogue/lookup.py)."""

    def note(self, text: str, mention: Mention, certificate_note: str, today: date) -> str: ...


class Dialogue:
    def __init__(
        self,
        pack: PolicyPack,
        renderer: Renderer,
        nlu: Parser,
        settings: DialogueSettings,
        today: Callable[[], date],  # the clock's (bot.clock)
        misses: MissRecorder | None = None,
        check_flow: CheckFlow | None = None,
        ranker: TopicRanker | None = None,
        figures: FigureNotes | None = None,
    ) -> None:
        self._pack = pack
        self._renderer = renderer
        self._nlu = nlu
        self._settings = settings
        self._today = today
        self._misses = misses
        self._check_flow = check_flow
        self._ranker = ranker
        self._figures = figures

    # ---- entry points -------------------------------------------------------------------

    async def handle_text(self, raw: str, context: Context) -> Reply:
        # Asked in traditional characters: answered in traditional characters, buttons too,
        # and so are the buttons pressed later. A message in neither script ("123") keeps
        # the last one.
        if looks_traditional(raw):
            context.traditional = True
        elif looks_simplified(raw):
            context.traditional = False
        reply = await self._handle_text(raw, context)
        return _traditional(reply) if context.traditional else reply

    async def _handle_text(self, raw: str, context: Context) -> Reply:
        # Masked before the cut: a number straddling it would otherwise survive in part.
        masked = mask_personal_numbers(normalize(raw))
        text = masked.text
        if not text:
            return self._message("empty")
        notes: list[str] = []
        if len(text) > self._settings.max_input_chars:
            text = text[: self._settings.max_input_chars]
            notes.append(self._render("messages/too_long.j2", limit=self._settings.max_input_chars))
        masked = replace(masked, text=text)
        if self._check_flow is not None:
            # The check's evaluation and the catalogue's figures: off the event loop.
            typed_answer = await asyncio.to_thread(self._check_flow.on_text, masked.text, context)
            if typed_answer is not None:
                return typed_answer
        question = masked.text
        if masked.kinds:
            notes.append(self._render("messages/pii_warning.j2"))
            # The question around the number is still answered.
            question = _MASK_RUN.sub("", question).strip(" ,，:：。")
        # Punctuation or emoji alone ("？？") give nothing to go on: the menu, not a guess.
        has_words = any(ch.isalnum() for ch in question)
        try:
            reply = (
                await self._understand(question, context)
                if has_words and (len(question) >= 2 or not masked.kinds)
                else self._vague(None)
            )
        except NluUnavailable:
            reply = self._degraded()
        await self._record_miss(masked.text, reply)
        if notes:
            reply = replace(reply, text="\n".join([*notes, reply.text]))
        if reply.kind != "check" and self._check_flow is not None:
            # A question typed mid-check is answered; the check waits to be resumed.
            resume = self._check_flow.resume_button(context)
            if resume is not None:
                reply = replace(reply, buttons=((resume,), *reply.buttons))
        return reply

    async def _record_miss(self, text: str, reply: Reply) -> None:
        """A declined or unsure question, kept (masked) for the bureau's report."""
        if self._misses is None or reply.kind not in MISS_KINDS:
            return
        try:
            await asyncio.to_thread(
                self._misses.record, text, reply.kind, reply.intent, reply.confidence
            )
        except Exception:
            log.warning("could not record an unanswered question (database down?)")

    def handle_button(self, data: str, context: Context) -> Reply:
        reply = self._handle_button(data, context)
        return _traditional(reply) if context.traditional else reply

    def _handle_button(self, data: str, context: Context) -> Reply:
        if data.startswith(CHECK_PREFIX) and self._check_flow is not None:
            return self._check_flow.on_button(data, context)
        if data == MENU:
            return self.menu()
        if data == NONE_OF_THESE:
            return self._message("none_of_these", kind="decline")
        if data.startswith(TOPIC_PREFIX) and data[len(TOPIC_PREFIX) :] in self._pack.topics:
            return self._answer(data[len(TOPIC_PREFIX) :], context, confidence=1.0)
        if data.startswith(DETAILS_PREFIX) and self._has_details(data[len(DETAILS_PREFIX) :]):
            return self._details(data[len(DETAILS_PREFIX) :], context)
        if data.startswith(DECLINE_PREFIX) and data[len(DECLINE_PREFIX) :] in (
            self._pack.out_of_scope
        ):
            return self._decline(data[len(DECLINE_PREFIX) :], 1.0)
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

    def message(self, name: str, **extra: object) -> Reply:
        """A fixed message from responses/messages/ (help, non_text, error …), with the menu."""
        return self._message(name, **extra)

    # ---- deciding ---------------------------------------------------------------------

    async def _understand(self, text: str, context: Context) -> Reply:
        """Several questions in one message get one answer each; otherwise the whole text."""
        reading = self._read(text)
        segments = split_questions(text, self._settings.max_questions_per_message)
        if (
            len(segments) > 1
            and len(text) <= self._settings.letter_chars
            and not _declined_whole(reading)
        ):
            answered = await self._answer_each(segments, context)
            if answered is not None:
                return answered
        result = await self._nlu.parse(text)
        log.info("intent=%s confidence=%.2f text=%s", result.intent, result.confidence, text)
        # Choosing and rendering the reply (the ranker, the catalogue, a self-check started
        # from words) runs in a worker thread: the event loop only waits.
        return await asyncio.to_thread(self._reply_for, result, reading, context)

    async def _answer_each(self, segments: list[str], context: Context) -> Reply | None:
        """The questions of one message read as if sent one after another ("电工证补贴怎么领，
        多久到账": the certificate's clause, then when the money comes), in one reply. None,
        and the context untouched, unless at least two get answers or declines of their own
        and one of them is an answer."""
        questions = [s for s in segments if _ASKS.search(s)]  # not a statement of background
        if len(questions) < 2:
            return None
        results = [await self._nlu.parse(question) for question in questions]
        trial = replace(context)
        replies = await asyncio.to_thread(self._replies_in_turn, questions, results, trial)
        if any(r.kind == "check" for r in replies):
            return None  # a self-check started mid-message: the whole message decides
        kept = list(
            {(r.kind, r.intent, r.sections): r for r in replies if r.kind in SETTLED}.values()
        )
        if len(kept) < 2 or not any(r.kind == "answer" for r in kept):
            return None
        context.take_over(trial)
        for question, reply in zip(questions, replies, strict=True):
            await self._record_miss(question, reply)  # the parts declined, for the report
        return self._merged(kept)

    def _replies_in_turn(
        self, questions: list[str], results: list[NluResult], context: Context
    ) -> list[Reply]:
        return [
            self._reply_for(result, self._read(question), context)
            for question, result in zip(questions, results, strict=True)
        ]

    def _read(self, text: str) -> Reading:
        pack = self._pack
        return read_message(text, pack.cues, pack.certificates, pack.groups)

    def _reply_for(self, result: NluResult, reading: Reading, context: Context) -> Reply:
        """The reply to one parsed message; `reading` is the same text's reading."""
        pack, intent = self._pack, result.intent
        context.audience = pack.cues.audience(reading.text) or context.audience
        if reading.abuse and not reading.policy_cue:
            return self._decline(ABUSE_INTENT, result.confidence)
        if intent == ABUSE_INTENT:
            # The classifier alone never makes a reply the abuse decline.
            intent = FALLBACK_INTENT
        if reading.administration is not None:
            template = f"messages/{reading.administration}_admin.j2"
            return self._decline(OUT_OF_SCOPE, result.confidence, template)
        if self._asks_when_paid(reading, context):
            return self._decline(
                CASE_STATUS,
                result.confidence,
                "messages/payment_time.j2",
                about_training=reading.names_policy or context.last_topic is not None,
            )
        if reading.mention is not None and self._asks_about_certificate(result, reading):
            return self._certificate_answer(reading.mention, reading, context, result)
        if reading.group is not None and self._asks_about_group(result, reading):
            return self._group_answer(reading.group, context, result)
        if intent in pack.out_of_scope and self._decline_is_sure(result, reading):
            return self._decline(intent, result.confidence)
        seconded = self._seconded_decline(result, reading)
        if seconded is not None:
            return self._decline(seconded, result.confidence)
        if reading.about_other_benefit:
            return self._decline(self._closest_decline(result), result.confidence)
        if (
            intent in pack.flows
            and self._check_flow is not None
            and (result.confidence >= self._settings.confidence_threshold or reading.ties_to_plan)
        ):
            # Unsure, the check starts only for a message that might be about the plan
            # ("我这个情况有什么补贴能拿", not "教我做红烧肉").
            prefill = prefill_from_entities(
                [(e.entity, e.value) for e in result.entities], self._check_flow.fact_schema
            )
            return replace(
                self._check_flow.start(context, prefill, intro=True),
                intent=intent,
                confidence=result.confidence,
            )
        if intent in pack.smalltalk and not reading.policy_cue:
            reply = self._message(intent, kind="smalltalk")
            return replace(reply, intent=intent, confidence=result.confidence, answered=True)
        facet = self._facet(result, context)
        if facet is not None:
            return self._facet_answer(facet, context, result)
        followup = self._followup(result, context)
        if followup is not None:
            return self._topic_answer(followup, reading, context, result)
        if intent in pack.topics and not self._is_unsure(result):
            return self._topic_answer(intent, reading, context, result)
        if reading.asks_successor:
            return self._decline(CURRENT_POLICY, result.confidence)
        if reading.asks_if_plan_goes_on:
            return self._topic_answer(VALIDITY, reading, context, result)
        agreed = self._second_opinion(result)
        if agreed is not None:
            return self._topic_answer(agreed, reading, context, result)
        overruled = self._overruled_decline_topic(result, reading)
        if overruled is not None:
            return self._topic_answer(overruled, reading, context, result)
        if reading.asks_claim and reading.policy_cue:
            # Unsure of the topic, but how to claim a training subsidy is asked outright
            # ("培训补贴怎么领").
            return self._topic_answer(CLAIM_INTENT, reading, context, result)
        if self._unrelated(reading):
            return self._decline(self._closest_decline(result, OUT_OF_SCOPE), result.confidence)
        candidates = self._candidates(result, context)
        if candidates and self._letter_best_declined(candidates, reading):
            return self._decline(candidates[0].topic, result.confidence)
        # Declines alone are no guess at what was meant.
        if any(c.topic in pack.topics for c in candidates):
            return self._clarify(candidates, result)
        if len(result.text) > self._settings.followup_max_chars:
            # A whole question the plan has no words for: say so, with the pointer and the menu.
            kind = self._closest_decline(result, OUT_OF_SCOPE)
            return self._decline(kind, result.confidence, "messages/not_found.j2")
        return self._vague(result)

    def _topic_answer(
        self, topic: str, reading: Reading, context: Context, result: NluResult
    ) -> Reply:
        """A topic's answer to a message. Asked who is in charge ("以工代训是哪个部门管"), the
        plan's rule of responsibility comes first, unless the topic's own clauses say it."""
        cues = self._pack.cues
        if reading.asks_in_charge and not cues.in_charge_said_in & set(self._sections(topic)):
            note = self._render("messages/in_charge.j2")
            return self._answer(
                topic, context, result.confidence, result, note, cues.in_charge_sections
            )
        return self._answer(topic, context, result.confidence, result)

    def _certificate_answer(
        self, mention: Mention, reading: Reading, context: Context, result: NluResult
    ) -> Reply:
        """The certificate named decides the clause: 中级焊工 三(一), 焊工操作证 三(四)."""
        kind = mention.kind
        topic = kind.amount_topic if reading.asks_amount else kind.topic
        if (result.intent == CLAIM_INTENT or reading.asks_claim) and not reading.asks_amount:
            # "美容师证补贴怎么领": the note says which clause it falls under, the answer how
            # to claim.
            topic = CLAIM_INTENT
        note = self._renderer.render_source(kind.note, self._today(), name=mention.name)
        if self._figures is not None:  # the subsidy catalogue's figure, when one is loaded
            note = self._figures.note(reading.text, mention, note, self._today())
        return self._answer(
            topic, context, result.confidence, result, note, self._sections(kind.topic)
        )

    def _asks_when_paid(self, reading: Reading, context: Context) -> bool:
        """ "以工代训补贴多久到账", or "多久到账" right after an answer: the plan sets no time and
        the person's case is not ours to see. How to claim asked too, or another programme's
        benefit named, go to other rules."""
        return (
            reading.asks_payment_time
            and (reading.ties_to_plan or context.last_topic is not None)
            and not reading.asks_claim
            and not reading.other_benefit
        )

    def _asks_about_certificate(self, result: NluResult, reading: Reading) -> bool:
        """A certificate named ("养老护理员证") outweighs a decline the classifier is unsure of
        ("养老" → pension) or another programme's word ("厨师证怎么申请国家补助金"); asked
        for money ("美容师中级补多少"), it outweighs any topic."""
        if result.intent in self._pack.out_of_scope:
            return not self._decline_is_sure(result, reading)
        return result.intent in CERTIFICATE_INTENTS or reading.asks_money or self._is_unsure(result)

    def _asks_about_group(self, result: NluResult, reading: Reading) -> bool:
        """ "我是退役军人，能享受什么": a group named in a general question about the plan,
        not a question about another programme's benefit, nor a letter about something else
        that names the group in passing."""
        if reading.other_benefit:
            return False
        if result.intent in GROUP_INTENTS:
            if result.intent in self._pack.topics or (
                result.intent == FALLBACK_INTENT and reading.policy_cue
            ):
                return True
            return (
                result.confidence < self._settings.decline_confidence_with_cue
                and len(reading.text) <= self._settings.self_description_max_chars
            )
        return self._is_unsure(result) and reading.policy_cue

    def _closest_decline(self, result: NluResult, default: str = OTHER_PROGRAM) -> str:
        """The classifier's best decline kind, or the default when it has no decline worth
        hearing (a lost 社保卡 is no case-status question at 0.1)."""
        kinds = [
            r.name
            for r in result.ranking
            if r.name in self._pack.out_of_scope
            and r.name != ABUSE_INTENT
            and r.confidence >= self._settings.second_opinion_min
        ]
        return kinds[0] if kinds else default

    def _unrelated(self, reading: Reading) -> bool:
        """An unsure guess at a message with nothing that ties it to the plan ("社保卡丢了怎么
        补办"): a decline with a pointer serves better than a list of unrelated topics. Short
        follow-ups and fragments ("嗯", "？？") get the menu instead."""
        return (
            len(reading.text) > self._settings.followup_max_chars
            and not reading.ties_to_plan
            and reading.mention is None
            and reading.group is None
        )

    def _decline_is_sure(self, result: NluResult, reading: Reading) -> bool:
        """A decline needs confidence, and more of it when the message names the policy; about
        training, it also needs the words of what it declines ("失业培训" is not 失业金), and
        is never "unrelated" when it asks for a subsidy."""
        if reading.names_policy and not self._pack.cues.names_decline_subject(
            result.intent, reading.text
        ):
            return False
        if result.intent == OUT_OF_SCOPE and reading.names_policy and reading.asks_subsidy:
            return False  # a subsidy for training is this plan's very subject
        needed = (
            self._settings.decline_confidence_with_cue
            if reading.names_policy
            else self._settings.confidence_threshold
        )
        return result.confidence >= needed

    def _seconded_decline(self, result: NluResult, reading: Reading) -> str | None:
        """An unsure decline of a message with no policy cue, given when the plan's own words
        rank the same decline first ("工龄三十年退休后每月能拿多少"). Past the fallback, the
        classifier's best guess counts."""
        if reading.names_policy or reading.group is not None or self._ranker is None:
            return None
        guesses = [r for r in result.ranking if r.name != FALLBACK_INTENT]
        if not guesses or guesses[0].name not in self._pack.out_of_scope:
            return None
        guess = guesses[0]
        if guess.name == ABUSE_INTENT or guess.confidence < self._settings.second_opinion_min:
            return None
        ranked = self._ranker.rank(result.text, limit=1)
        return guess.name if ranked and ranked[0].topic == guess.name else None

    def _second_opinion(self, result: NluResult) -> str | None:
        """An unsure classifier is still followed to the one of its two best guesses that the
        plan's own words rank first ("培训期间有交通补助吗": 不予补贴的费用 or 生活费补贴?
        the words say 生活费补贴). Past the classifier's fallback, its guesses still count."""
        if self._ranker is None:
            return None
        guesses = [
            r.name
            for r in self._topic_scores(result)[:2]
            if r.confidence >= self._settings.second_opinion_min
        ]
        ranked = self._ranker.rank(result.text, limit=2)
        if not guesses or not ranked or ranked[0].topic not in guesses:
            return None
        return ranked[0].topic if len(ranked) == 1 or ranked[1].score < 1.0 else None

    def _overruled_decline_topic(self, result: NluResult, reading: Reading) -> str | None:
        """A decline the classifier is sure of, overruled by the message's words ("失业培训要
        多少钱" is training, not 失业金): the classifier knows no topic for it, so the plan's
        words choose one, when their best topic is near their best match overall and ahead of
        the next topic. An unsure decline is left to the clarification, which offers it."""
        settings = self._settings
        if (
            self._ranker is None
            or result.intent not in self._pack.out_of_scope
            or result.confidence < settings.decline_confidence_with_cue
            or self._decline_is_sure(result, reading)
        ):
            return None
        ranked = self._ranker.rank(result.text, limit=8)
        topics = [r for r in ranked if r.topic in self._pack.topics]
        if not topics or ranked[0].raw < settings.ranker_min_raw:
            return None
        best, rest = topics[0], topics[1:]
        if best.score < settings.overruled_decline_min_score or (
            rest and rest[0].score == best.score
        ):
            return None
        return best.topic

    def _candidates(self, result: NluResult, context: Context) -> list[Candidate]:
        """The classifier's and the ranker's topics merged, for who is asking, best first."""
        weight = self._settings.classifier_weight
        scores: dict[str, float] = {}
        for r in result.ranking:
            if self._offerable(r.name, context):
                scores[r.name] = weight * r.confidence
        if not scores and self._offerable(result.intent, context):
            scores[result.intent] = weight * result.confidence
        if self._ranker is not None:
            ranked = self._ranker.rank(result.text)
            if ranked and ranked[0].raw >= self._settings.ranker_min_raw:
                for r in ranked:
                    if self._offerable(r.topic, context):
                        scores[r.topic] = scores.get(r.topic, 0.0) + (1 - weight) * r.score
        if context.last_topic is not None:
            # What was just answered is the likeliest thing a vague follow-up is about.
            followups = self._pack.followups.get(context.last_topic, {})
            related = {context.last_topic, *followups.values()}
            for topic in related & scores.keys():
                scores[topic] += self._settings.previous_topic_bonus
        best = sorted(scores.items(), key=lambda kv: -kv[1])
        return [
            Candidate(topic, self._sections(topic), score)
            for topic, score in best[: self._settings.max_candidates]
            if score >= self._settings.candidate_floor
        ]

    def _letter_best_declined(self, candidates: list[Candidate], reading: Reading) -> bool:
        """A letter (a story, then a request) whose best reading, the classifier's and the
        plan's words together, is a decline: declined with its pointer. Buttons of plan topics
        under a letter about a factory's fire hoses help nobody; a short question naming the
        plan is still asked about ("要先去失业登记吗")."""
        return (
            len(reading.text) > self._settings.letter_chars
            and candidates[0].topic in self._pack.out_of_scope
        )

    def _offerable(self, topic: str, context: Context) -> bool:
        if topic in self._pack.out_of_scope:
            return topic != ABUSE_INTENT and topic in self._pack.cues.decline_labels
        if topic not in self._pack.topics:
            return False
        audiences = self._pack.audiences.get(topic)
        return audiences is None or (context.audience or DEFAULT_AUDIENCE) in audiences

    def _sections(self, topic: str) -> tuple[str, ...]:
        return self._pack.topics[topic].sections if topic in self._pack.topics else ()

    def _facet(self, result: NluResult, context: Context) -> Facet | None:
        """ "合同要多久" right after the apprentice answer asks one facet of it, unless the
        message is plainly about another topic ("学徒制补多少" after the living allowance)."""
        topic = context.last_topic
        if topic is None or len(result.text) > self._settings.followup_max_chars:
            return None
        other_topic = (
            result.intent in self._pack.topics
            and result.intent != topic
            and result.intent not in GENERIC_INTENTS
            and self._pack.followups.get(topic, {}).get(result.intent) != topic
            and not self._is_unsure(result)
        )
        return None if other_topic else self._pack.facets.find(topic, result.text)

    def _facet_answer(self, facet: Facet, context: Context, result: NluResult) -> Reply:
        text = "\n\n".join(
            [
                self._render(facet.template, facet=facet.id),
                self._citation(facet.sections, context),
            ]
        )
        label = self._pack.topics[facet.topic].label
        return Reply(
            text=text,
            buttons=(
                (Button(f"完整说明：{label}", TOPIC_PREFIX + facet.topic),),
                (MENU_BUTTON,),
            ),
            sections=facet.sections,
            intent=facet.topic,
            confidence=result.confidence,
            answered=True,
            kind="answer",
        )

    def _followup(self, result: NluResult, context: Context) -> str | None:
        """A short message right after an answer, read in the light of that answer's topic."""
        if context.last_topic is None or len(result.text) > self._settings.followup_max_chars:
            return None
        heard = [r.name for r in self._topic_scores(result)] or (
            [result.intent] if result.intent in self._pack.topics else []
        )
        if not heard:
            return None
        return self._pack.followups.get(context.last_topic, {}).get(heard[0])

    def _topic_scores(self, result: NluResult) -> list[IntentScore]:
        """The classifier's ranking, policy topics only, best first."""
        return [r for r in result.ranking if r.name in self._pack.topics]

    def _is_unsure(self, result: NluResult) -> bool:
        if result.confidence < self._settings.confidence_threshold:
            return True
        others = [r for r in self._topic_scores(result) if r.name != result.intent]
        return bool(others) and result.confidence - others[0].confidence < (
            self._settings.ambiguity_margin
        )

    # ---- building replies -------------------------------------------------------------

    def _answer(
        self,
        topic_id: str,
        context: Context,
        confidence: float,
        result: NluResult | None = None,
        note: str | None = None,
        note_sections: tuple[str, ...] = (),
    ) -> Reply:
        """A topic's answer, then notes, then the citation. `note` (the person's own case,
        e.g. their certificate) comes first, its sections cited first."""
        context.last_topic = topic_id
        parts = [self._render(f"answers/{topic_id}.j2")]
        if note:
            parts.insert(0, f"💡 {note}")  # rendered with autoescape
        cities = _entity_values(result, "city") if result is not None else []
        if cities:
            # Asked with another city's name: this plan's rule, and a note that theirs differ.
            parts.append(self._render("messages/other_city.j2", cities=cities))
        sections = tuple(dict.fromkeys([*note_sections, *self._pack.topics[topic_id].sections]))
        parts.append(self._citation(sections, context))
        # A long answer shows its summary; the rest is one "详细说明" tap away.
        detailed = self._has_details(topic_id)
        details_row = (Button("📖 详细说明", DETAILS_PREFIX + topic_id),)
        return Reply(
            text="\n\n".join(parts),
            buttons=(*([details_row] if detailed else []), *self._related_buttons(topic_id)),
            sections=sections,
            intent=topic_id,
            confidence=confidence,
            answered=True,
            kind="answer",
            details=self._render(f"details/{topic_id}.j2") if detailed else None,
        )

    def _merged(self, replies: list[Reply]) -> Reply:
        """Replies to the questions of one message, in order, as one answer. Each cites its
        own sections (after the first, in one short line). Under them: each answer's
        "详细说明", named by its topic, then their next steps taken in turn, then the menu."""
        answers = [r for r in replies if r.kind == "answer"]
        confidences = [r.confidence for r in replies if r.confidence is not None]
        return Reply(
            text="\n\n".join(r.text for r in replies),
            buttons=(*((b,) for b in self._merged_buttons(answers)), (MENU_BUTTON,)),
            sections=tuple(dict.fromkeys(s for r in replies for s in r.sections)),
            intent=answers[0].intent,
            confidence=min(confidences, default=None),
            answered=True,
            kind="answer",
            details="\n\n".join(r.details for r in answers if r.details) or None,
        )

    def _merged_buttons(self, answers: list[Reply]) -> list[Button]:
        details: list[Button] = []
        others: list[list[Button]] = []
        for reply in answers:
            own = [b for row in reply.buttons for b in row if b != MENU_BUTTON]
            for b in own:
                if b.data.startswith(DETAILS_PREFIX):
                    label = self._pack.topics[b.data[len(DETAILS_PREFIX) :]].label
                    details.append(Button(f"📖 详细说明：{label}", b.data))
            others.append([b for b in own if not b.data.startswith(DETAILS_PREFIX)])
        in_turn = [b for group in zip_longest(*others) for b in group if b is not None]
        unique: dict[str, Button] = {}
        for b in [*details, *in_turn]:
            unique.setdefault(b.data, b)
        return list(unique.values())[:MAX_MERGED_BUTTONS]

    def _has_details(self, topic_id: str) -> bool:
        return topic_id in self._pack.topics and self._renderer.exists(f"details/{topic_id}.j2")

    def _details(self, topic_id: str, context: Context) -> Reply:
        """The rest of a long answer, with its citation and the topic's next steps."""
        context.last_topic = topic_id
        sections = self._pack.topics[topic_id].sections
        text = "\n\n".join(
            [self._render(f"details/{topic_id}.j2"), self._citation(sections, context)]
        )
        return Reply(
            text=text,
            buttons=self._related_buttons(topic_id),
            sections=sections,
            intent=topic_id,
            confidence=1.0,
            answered=True,
            kind="answer",
        )

    def _citation(self, sections: tuple[str, ...], context: Context) -> str:
        """The sections an answer rests on; the plan's period and expiry in full the first
        time in a conversation, then one short line."""
        cited = [self._pack.sections[s] for s in sections]
        text = self._render("messages/citation.j2", cited=cited, brief=context.expiry_noted)
        context.expiry_noted = True
        return text

    def _related_buttons(self, topic_id: str) -> tuple[tuple[Button, ...], ...]:
        """Two or three related topics and the menu under an answer."""
        related = [
            t
            for t in dict.fromkeys(self._pack.related.get(topic_id, ()))
            if t in self._pack.topics and t != topic_id
        ][:3]
        rows = [(Button(self._pack.topics[t].label, TOPIC_PREFIX + t),) for t in related]
        return (*rows, (MENU_BUTTON,))

    def _group_answer(self, group: Group, context: Context, result: NluResult) -> Reply:
        """The clauses that speak of the person's group, then the self-check one tap away."""
        context.last_topic = None
        sections = group.sections
        text = "\n\n".join(
            [self._render("messages/group.j2", group=group), self._citation(sections, context)]
        )
        buttons: tuple[tuple[Button, ...], ...] = ((MENU_BUTTON,),)
        if self._check_flow is not None:
            buttons = ((Button("🧾 自查能领哪些补贴", CHECK_START), MENU_BUTTON),)
        return Reply(
            text=text,
            buttons=buttons,
            sections=sections,
            intent=result.intent,
            confidence=result.confidence,
            answered=True,
            kind="answer",
        )

    def _clarify(self, candidates: list[Candidate], result: NluResult) -> Reply:
        rows = tuple((self._candidate_button(c.topic),) for c in candidates)
        rows += ((Button("都不是", NONE_OF_THESE), MENU_BUTTON),)
        return Reply(
            text=self._render("messages/clarify.j2"),
            buttons=rows,
            intent=result.intent,
            confidence=result.confidence,
            answered=False,
            kind="clarify",
            candidates=tuple(candidates),
        )

    def _candidate_button(self, topic: str) -> Button:
        if topic in self._pack.topics:
            return Button(self._pack.topics[topic].label, TOPIC_PREFIX + topic)
        return Button(self._pack.cues.decline_labels[topic], DECLINE_PREFIX + topic)

    def _vague(self, result: NluResult | None) -> Reply:
        """Nothing to go on: the topic menu rather than weak guesses."""
        return Reply(
            text=self._render("messages/vague.j2"),
            buttons=self._menu_buttons(),
            intent=result.intent if result else None,
            confidence=result.confidence if result else None,
            answered=False,
            kind="menu",
        )

    def _decline(
        self, kind: str, confidence: float, template: str | None = None, **extra: object
    ) -> Reply:
        return Reply(
            text=self._render(template or f"declines/{kind}.j2", **extra),
            buttons=self._menu_buttons(),
            intent=kind,
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

    def _message(self, name: str, kind: str = "message", **extra: object) -> Reply:
        return Reply(
            text=self._render(f"messages/{name}.j2", **extra),
            buttons=self._menu_buttons(),
            kind=kind,
        )

    def _menu_buttons(self) -> tuple[tuple[Button, ...], ...]:
        buttons = [Button(self._pack.topics[t].label, TOPIC_PREFIX + t) for t in self._pack.menu]
        # Two per row keeps labels readable on a phone.
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        if self._check_flow is None:
            return rows
        return ((Button("🧾 自查能领哪些补贴", CHECK_START),), *rows)

    def _render(self, template: str, **extra: object) -> str:
        return self._renderer.render(template, self._today(), **extra)


def _declined_whole(reading: Reading) -> bool:
    """Read whole, the message is declined whatever its parts ask ("制冷与空调特种作业证
    分为几种?如何报名?" is about a certificate's administration)."""
    return reading.administration is not None or reading.about_other_benefit or reading.abuse


def _entity_values(result: NluResult, entity: str) -> list[str]:
    """Distinct values of one entity type, in the order they were found."""
    return list(dict.fromkeys(e.value for e in result.entities if e.entity == entity))


def _traditional(reply: Reply) -> Reply:
    return replace(
        reply,
        text=to_traditional(reply.text),
        details=to_traditional(reply.details) if reply.details else None,
        buttons=tuple(
            tuple(replace(b, label=to_traditional(b.label)) for b in row) for row in reply.buttons
        ),
    )


_QUESTION_END = re.compile(r"[?？;；。!！\n]+|还想问|还有就是|另外|然后")
_CLAUSE_END = re.compile(r"[,，、]+")
# A clause that asks something; other clauses are background to the next one.
_ASKS = re.compile(
    r"吗|呢|么|多少|多久|多长|何时|怎么|怎样|如何|几|哪|是否|能否|可否|什么|啥|谁|算不算|有没有|能不能"
)


def split_questions(text: str, limit: int) -> list[str]:
    """Split a message into its questions (at most `limit`). Commas split only between
    clauses that each ask something ("学徒制补多少，要什么证书"); fragments under 4
    characters ("好的。") are not questions of their own."""
    questions: list[str] = []
    for sentence in _QUESTION_END.split(text):
        pending = ""
        for clause in _CLAUSE_END.split(sentence):
            pending = f"{pending}，{clause}" if pending else clause
            if _ASKS.search(clause):
                questions.append(pending.strip())
                pending = ""
        if pending.strip():
            questions.append(pending.strip())
    return [q for q in questions if len(q) >= 4][:limit]
