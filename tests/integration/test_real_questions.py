"""Real people's questions (nlu/real/questions.yml): provenance, a split by source that is
never trained on, and the evaluation through the real NLU service and the whole dialogue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest

from bot.assistant import build_dialogue
from bot.config import Settings
from bot.evaluation import BARS, real_cases, run, summarize
from bot.policy_pack import PolicyPack
from nlu.client import NluClient
from nlu.realset import (
    MAX_TRAINING_CHARS,
    SOURCE_TYPES,
    TRAINING_FILE,
    load_real,
    places_of,
    source_unit,
    training_text,
    training_yaml,
    without_places,
)
from tests.conftest import NluEndpoint

QUESTIONS = load_real()
EVAL = [q for q in QUESTIONS if q.split == "eval"]


def test_every_question_has_a_source_and_a_label(pack: PolicyPack):
    assert len(QUESTIONS) >= 400 and len(EVAL) >= 150
    for q in QUESTIONS:
        assert q.source_type in SOURCE_TYPES and q.source.strip(), q.id
        assert q.text.strip() and q.gist.strip(), q.id
        if q.expect == "answer":
            assert q.topic in pack.topics, q.id
            assert q.sections and set(q.sections) <= set(pack.sections), q.id
        else:
            assert q.expect == "decline" and q.topic in pack.out_of_scope and not q.sections


def test_split_is_by_source_and_the_evaluation_split_is_never_trained_on():
    splits: dict[str, set[str]] = defaultdict(set)
    for q in QUESTIONS:
        splits[source_unit(q.source)].add(q.split)
    assert all(len(s) == 1 for s in splits.values()), "a source on both sides of the split"
    training = TRAINING_FILE.read_text("utf-8")
    assert training == training_yaml(QUESTIONS), "run python -m nlu.realset"
    for q in EVAL:
        assert f"- {' '.join(q.text.split())}\n" not in training, q.id
    # Nor nearly: the same letter often sits in several copies of one public dataset.
    for q in QUESTIONS:
        if q.split == "train":
            assert not any(_nearly_same(q.text, e.text) for e in EVAL), q.id
    # Long letters are trained on as their opening sentences, without place names: a
    # prefix, never reworded.
    for q in QUESTIONS:
        cut, places = training_text(q.text, places_of(q)), places_of(q)
        assert len(cut) <= MAX_TRAINING_CHARS and without_places(q.text, places).startswith(cut)
        assert not any(place in cut for place in places), q.id


def _nearly_same(a: str, b: str, run: int = 12) -> bool:
    """One text inside the other, or a run of `run` characters in common (punctuation and
    spaces ignored)."""
    a, b = ("".join(ch for ch in t if ch.isalnum()) for t in (a, b))
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 6 and short in long_:
        return True
    grams = {long_[i : i + run] for i in range(len(long_) - run + 1)}
    return any(short[i : i + run] in grams for i in range(len(short) - run + 1))


@pytest.fixture(scope="module")
async def outcomes(settings: Settings, nlu_endpoint: NluEndpoint, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('real')}/bot.db"
    client = NluClient(nlu_endpoint.url, nlu_endpoint.token, timeout=30)
    assistant = build_dialogue(replace(settings, database_url=url), client)
    try:
        yield await run(assistant.dialogue, real_cases(QUESTIONS, "eval"))
    finally:
        await client.aclose()


@pytest.mark.nlu
def test_no_real_question_meets_a_dead_end(outcomes):
    dead = [o.case.text for o in outcomes if o.dead_end]
    assert dead == []
    # Every clarification offers its candidates as buttons, in order.
    for o in outcomes:
        if o.reply.kind == "clarify":
            labels = [b.data.split(":", 1)[-1] for row in o.reply.buttons for b in row]
            assert [c.topic for c in o.reply.candidates] == labels[: len(o.reply.candidates)]


@pytest.mark.nlu
def test_real_evaluation_set_meets_the_bars(outcomes):
    assert summarize(outcomes).meets(BARS) == []
