"""The plan's own words (BM25 over its clauses, answers and training examples) as a second
opinion when the classifier is unsure, with a fake classifier and the real ranker."""

from __future__ import annotations

import pytest

from bot.assistant import build_ranker
from bot.config import Settings
from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context
from bot.policy_pack import PolicyPack
from bot.render import Renderer
from tests.conftest import TODAY
from tests.support.fake_nlu import FakeNlu, result


@pytest.fixture(scope="module")
def ranked_dialogue_parts(pack: PolicyPack, settings: Settings):
    return build_ranker(settings, pack)


@pytest.fixture()
def dialogue(
    pack: PolicyPack, renderer: Renderer, fake: FakeNlu, settings: Settings, ranked_dialogue_parts
) -> Dialogue:
    return Dialogue(
        pack, renderer, fake, settings.dialogue, today=lambda: TODAY, ranker=ranked_dialogue_parts
    )


async def test_unsure_decline_seconded_by_the_plans_words_is_given(
    dialogue: Dialogue, fake: FakeNlu
):
    q = "工龄三十年退休后每月能拿多少"
    fake.answers[q] = result(q, ("oos_pension", 0.45), ("social_training_age_pension", 0.3))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "decline" and reply.intent == "oos_pension"
    assert "12333" in reply.text


async def test_unsure_decline_about_training_is_still_asked(dialogue: Dialogue, fake: FakeNlu):
    # The same unsure decline, but the message is about training: the person is asked.
    q = "工龄三十年退休后参加技能培训能拿多少"
    fake.answers[q] = result(q, ("oos_pension", 0.45), ("social_training_age_pension", 0.3))
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify"
    assert "social_training_age_pension" in [c.topic for c in reply.candidates]


async def test_unsure_decline_the_plans_words_do_not_second_is_asked(
    dialogue: Dialogue, fake: FakeNlu
):
    # The plan's words rank something else first: a guess, not a decline.
    q = "这个补贴每月能拿多少"
    fake.answers[q] = result(q, ("oos_pension", 0.45), ("subsidy_amount", 0.3))
    ranked = dialogue._ranker.rank(q, limit=1)
    assert ranked and ranked[0].topic != "oos_pension"
    reply = await dialogue.handle_text(q, Context())
    assert reply.kind == "clarify"
