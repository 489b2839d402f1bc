"""The plan's own words (BM25 over its clauses, answers and training examples) as a second
opinion when the classifier is unsure, with a fake classifier and the real ranker."""

from __future__ import annotations

import pytest

from bot.assistant import build_ranker
from bot.config import Settings
from bot.dialogue.core import Dialogue
from bot.dialogue.ranker import TopicRanker
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from nlu.dataset import TRAINING_DIR, examples
from nlu.normalize import looks_traditional, normalize
from tests.conftest import TODAY
from tests.support.fake_nlu import FakeNlu, result


@pytest.fixture(scope="module")
def ranker(pack: PolicyPack, settings: Settings) -> TopicRanker:
    return build_ranker(settings, pack)


@pytest.fixture()
def dialogue(
    pack: PolicyPack, renderer: Renderer, fake: FakeNlu, settings: Settings, ranker
) -> Dialogue:
    return Dialogue(pack, renderer, fake, settings.dialogue, today=lambda: TODAY, ranker=ranker)


# No policy cue; the plan's own words (its training examples) lean to a decline.
NO_CUE = "交了十五年社保退休后每月领多少"


def _plans_words_lean(dialogue: Dialogue, pack: PolicyPack, text: str) -> str:
    ranked = dialogue._ranker.rank(text, limit=1)
    assert ranked and ranked[0].topic in pack.out_of_scope, ranked
    return ranked[0].topic


async def test_unsure_decline_seconded_by_the_plans_words_is_given(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    kind = _plans_words_lean(dialogue, pack, NO_CUE)
    fake.answers[NO_CUE] = result(NO_CUE, (kind, 0.45), ("social_training_age_pension", 0.3))
    reply = await dialogue.handle_text(NO_CUE, Context())
    assert reply.kind == "decline" and reply.intent == kind
    assert "12333" in reply.text


async def test_past_the_fallback_the_classifiers_guess_counts(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    kind = _plans_words_lean(dialogue, pack, NO_CUE)
    fake.answers[NO_CUE] = result(
        NO_CUE, ("nlu_fallback", 0.35), (kind, 0.33), ("social_training_age_pension", 0.2)
    )
    reply = await dialogue.handle_text(NO_CUE, Context())
    assert reply.kind == "decline" and reply.intent == kind


def test_a_decline_the_plans_words_do_not_second_is_not_given_by_them(
    dialogue: Dialogue, pack: PolicyPack
):
    kind = _plans_words_lean(dialogue, pack, NO_CUE)
    other = next(k for k in ("oos_case_status", "oos_current_policy") if k != kind)
    guess = result(NO_CUE, (other, 0.45), ("social_training_age_pension", 0.4))
    assert dialogue._seconded_decline(guess, dialogue._read(NO_CUE)) is None
    agreed = result(NO_CUE, (kind, 0.45), ("social_training_age_pension", 0.4))
    assert dialogue._seconded_decline(agreed, dialogue._read(NO_CUE)) == kind


async def test_unsure_decline_about_training_is_not_given(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    # The same unsure decline, but the message is about training: not declined. The
    # classifier's best topic, which the plan's words also rank first, answers.
    q = "交了十五年社保退休后参加技能培训每月领多少"
    kind = _plans_words_lean(dialogue, pack, NO_CUE)
    fake.answers[q] = result(q, (kind, 0.45), ("social_training_age_pension", 0.3))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "answer" and reply.intent == "social_training_age_pension"


async def test_between_two_guesses_the_plans_words_choose(dialogue: Dialogue, fake: FakeNlu):
    q = "培训期间有交通补助吗"
    ranked = dialogue._ranker.rank(q, limit=2)
    assert ranked[0].topic == "living_allowance" and ranked[1].score < 1.0, ranked
    for first, second in (
        ("excluded_costs", "living_allowance"),
        ("living_allowance", "excluded_costs"),
    ):
        fake.answers[q] = result(q, ("nlu_fallback", 0.35), (first, 0.4), (second, 0.36))
        reply = await dialogue.handle_text(q, Context())
        assert reply.kind == "answer" and reply.intent == "living_allowance"
    # Neither guess is what the words rank first: the person is asked.
    fake.answers[q] = result(q, ("nlu_fallback", 0.35), ("excluded_costs", 0.4), ("fraud", 0.36))
    assert (await dialogue.handle_text(q, Context())).kind == "clarify"
    # A guess below the floor does not count.
    fake.answers[q] = result(q, ("excluded_costs", 0.4), ("living_allowance", 0.1))
    assert (await dialogue.handle_text(q, Context())).kind == "clarify"


# The classifier is sure of a decline the message's words overrule: 失业培训 is training.
OVERRULED = "失业培训要多少钱"


async def test_a_sure_decline_overruled_by_the_words_is_answered_by_the_plans_words(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    topics = [r for r in dialogue._ranker.rank(OVERRULED, limit=8) if r.topic in pack.topics]
    assert topics[0].topic == "subsidy_amount" and topics[1].score < topics[0].score, topics
    fake.answers[OVERRULED] = result(OVERRULED, ("oos_unemployment_insurance", 0.94))
    reply = await dialogue.handle_text(OVERRULED, Context())
    assert reply.kind == "answer" and reply.intent == "subsidy_amount"
    assert "三(一)" in reply.sections


async def test_an_unsure_overruled_decline_is_left_to_the_clarification(
    dialogue: Dialogue, fake: FakeNlu
):
    fake.answers[OVERRULED] = result(OVERRULED, ("oos_unemployment_insurance", 0.6))
    reply = await dialogue.handle_text(OVERRULED, Context())
    assert reply.kind == "clarify"
    assert "oos_unemployment_insurance" in [c.topic for c in reply.candidates]


async def test_a_decline_the_words_do_not_overrule_is_given(dialogue: Dialogue, fake: FakeNlu):
    q = "失业金怎么领"
    fake.answers[q] = result(q, ("oos_unemployment_insurance", 0.94))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and reply.intent == "oos_unemployment_insurance"


async def test_an_overruled_decline_whose_words_favour_no_topic_is_asked(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack, settings: Settings
):
    # The plan's words rank the decline itself far above any topic: no topic is guessed.
    q = "参加百日免费线上技能培训有什么激励措施?"
    ranked = dialogue._ranker.rank(q, limit=8)
    topics = [r for r in ranked if r.topic in pack.topics]
    assert ranked[0].topic == "oos_other_program"
    assert topics[0].score < settings.dialogue.overruled_decline_min_score, topics
    fake.answers[q] = result(q, ("oos_other_program", 1.0))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify" and reply.candidates[0].topic == "oos_other_program"


def test_examples_found_in_traditional_characters_are_matched_as_people_are_read(
    ranker: TopicRanker, pack: PolicyPack
):
    # Messages reach the ranker in simplified characters; so do its training examples.
    traditional = [
        (intent, text)
        for intent, text in examples(TRAINING_DIR)
        if looks_traditional(text) and (intent in pack.topics or intent in pack.out_of_scope)
    ]
    assert traditional
    for intent, text in traditional:
        assert ranker.rank(normalize(text), limit=1)[0].topic == intent, text


LETTER = (
    "本人农民工，外地农村户口，需要办个灵活就业社保做养老，去街道社区办理，社区说还在筹备中，"
    "让我过几个月再来，请问现在到底去哪里办？"
)


async def test_a_letter_whose_best_reading_is_a_decline_is_declined(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack, settings: Settings
):
    assert len(LETTER) > settings.dialogue.letter_chars
    guess = result(LETTER, ("nlu_fallback", 0.35), ("out_of_scope", 0.3), ("service_claim", 0.2))
    fake.answers[LETTER] = guess
    best = dialogue._candidates(guess, Context())[0]
    assert best.topic in pack.out_of_scope
    reply = await dialogue.handle_text(LETTER, Context())
    assert reply.kind == "decline" and reply.intent == best.topic and "12333" in reply.text
    assert any(reply.buttons)


async def test_a_short_question_whose_best_reading_is_a_decline_is_still_asked(
    dialogue: Dialogue, fake: FakeNlu, pack: PolicyPack
):
    q = "失业了去培训管饭吗"
    guess = result(q, ("oos_unemployment_insurance", 0.8), ("social_training_eligibility", 0.1))
    fake.answers[q] = guess
    assert dialogue._candidates(guess, Context())[0].topic in pack.out_of_scope
    assert (await dialogue.handle_text(q, Context())).kind == "clarify"
