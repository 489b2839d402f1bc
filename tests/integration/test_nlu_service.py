"""The real trained model, served by Rasa over HTTP, on questions it was never trained on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from nlu.client import NluClient
from nlu.normalize import normalize
from tests.conftest import NluEndpoint

ROOT = Path(__file__).resolve().parents[2]
# The bar for intent accuracy on nlu/tests/test_nlu.yml.
MIN_ACCURACY = 0.90


def _examples(path: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for file in sorted(path.glob("*.yml")):
        for block in yaml.safe_load(file.read_text("utf-8")).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        pairs.append((block["intent"], line.strip()[2:].strip()))
    return pairs


def test_held_out_set_is_never_trained_on():
    trained = {normalize(text) for _, text in _examples(ROOT / "nlu/data")}
    held_out = _examples(ROOT / "nlu/tests")
    assert len(held_out) >= 150
    overlap = [text for _, text in held_out if normalize(text) in trained]
    assert overlap == []


async def test_held_out_questions_map_to_the_right_intents(nlu_endpoint: NluEndpoint):
    client = NluClient(nlu_endpoint.url, nlu_endpoint.token, timeout=30)
    misses: list[tuple[str, str, str]] = []
    held_out = _examples(ROOT / "nlu/tests")
    try:
        for intent, text in held_out:
            result = await client.parse(normalize(text))
            if result.intent != intent:
                misses.append((text, intent, result.intent))
    finally:
        await client.aclose()
    accuracy = 1 - len(misses) / len(held_out)
    pairs = Counter((want, got) for _, want, got in misses).most_common(10)
    print(
        f"\nintent accuracy {accuracy:.3f} on {len(held_out)} held-out questions; "
        f"most confused: {pairs}"
    )
    assert accuracy >= MIN_ACCURACY, misses


def test_service_requires_its_auth_token(nlu_endpoint: NluEndpoint):
    if not nlu_endpoint.token:
        pytest.skip("external NLU server configured without a token")
    response = httpx.post(f"{nlu_endpoint.url}/model/parse", json={"text": "你好"}, timeout=10)
    assert response.status_code == 401


def test_leading_slash_would_be_injected_intent_so_client_input_is_normalised(
    nlu_endpoint: NluEndpoint,
):
    # Why normalise: raw "/start" is taken by Rasa as an injected intent with confidence 1.
    raw = httpx.post(
        f"{nlu_endpoint.url}/model/parse",
        params={"token": nlu_endpoint.token},
        json={"text": "/greet"},
        timeout=10,
    ).json()
    assert raw["intent"]["name"] == "greet" and raw["intent"]["confidence"] == 1.0
    assert normalize("/greet") == "greet"
