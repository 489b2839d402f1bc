"""The real trained model, served by Rasa over HTTP, on questions it was never trained on."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from nlu.dataset import HELD_OUT_DIR, TRAINING_DIR, examples
from nlu.evaluate import evaluate, format_report, score
from nlu.normalize import normalize
from tests.conftest import NluEndpoint

# The bar for intent accuracy on nlu/tests/ (the held-out set).
MIN_ACCURACY = 0.90
MIN_EXAMPLES_PER_INTENT = {"training": 25, "held_out": 10}


def test_every_intent_has_enough_examples():
    for name, directory in (("training", TRAINING_DIR), ("held_out", HELD_OUT_DIR)):
        counts = Counter(intent for intent, _ in examples(directory))
        thin = {i: n for i, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT[name]}
        assert thin == {}, name


def test_held_out_set_is_never_trained_on():
    trained = {normalize(text) for _, text in examples(TRAINING_DIR)}
    overlap = [text for _, text in examples(HELD_OUT_DIR) if normalize(text) in trained]
    assert overlap == []


async def test_held_out_questions_map_to_the_right_intents(nlu_endpoint: NluEndpoint):
    evaluation = await evaluate(nlu_endpoint.url, nlu_endpoint.token)
    print("\n" + format_report(evaluation))
    assert evaluation.accuracy >= MIN_ACCURACY, evaluation.misses


def test_scoring_counts_precision_recall_and_confusions():
    evaluation = score(
        [("a", "x", "x"), ("b", "x", "y"), ("c", "y", "y"), ("d", "y", "nlu_fallback")]
    )
    by_intent = {s.intent: s for s in evaluation.per_intent}
    assert evaluation.accuracy == 0.5 and evaluation.fallback_rate == 0.25
    assert by_intent["x"].precision == 1.0 and by_intent["x"].recall == 0.5
    assert by_intent["y"].precision == 0.5 and by_intent["y"].recall == 0.5
    assert ("x", "y", 1) in evaluation.confused


def test_service_requires_its_auth_token(nlu_endpoint: NluEndpoint):
    if not nlu_endpoint.token:
        pytest.skip("external NLU server configured without a token")
    response = httpx.post(f"{nlu_endpoint.url}/model/parse", json={"text": "你好"}, timeout=10)
    assert response.status_code == 401


def test_leading_slash_would_be_injected_intent_so_client_input_is_normalised(
    nlu_endpoint: NluEndpoint,
):
    # Why normalise: raw "/greet" is taken by Rasa as an injected intent with confidence 1.
    raw = httpx.post(
        f"{nlu_endpoint.url}/model/parse",
        params={"token": nlu_endpoint.token},
        json={"text": "/greet"},
        timeout=10,
    ).json()
    assert raw["intent"]["name"] == "greet" and raw["intent"]["confidence"] == 1.0
    assert normalize("/greet") == "greet"
