"""Evaluate the served model on the held-out set: per-intent precision, recall and F1,
accuracy, fallback rate and the most confused pairs.

    .venv/bin/python -m nlu.evaluate        (starts its own service unless NLU_URL is set)
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

from nlu.client import NluClient
from nlu.dataset import HELD_OUT_DIR, examples
from nlu.normalize import normalize
from nlu.service import NluService

FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class IntentScores:
    intent: str
    support: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Evaluation:
    total: int
    accuracy: float
    fallback_rate: float
    per_intent: list[IntentScores]
    confused: list[tuple[str, str, int]]  # (expected, predicted, count)
    misses: list[tuple[str, str, str]]  # (text, expected, predicted)


def score(pairs: list[tuple[str, str, str]]) -> Evaluation:
    """pairs: (text, expected, predicted)."""
    expected = Counter(e for _, e, _ in pairs)
    predicted = Counter(p for _, _, p in pairs)
    correct = Counter(e for _, e, p in pairs if e == p)
    per_intent = []
    for intent in sorted(expected):
        precision = correct[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = correct[intent] / expected[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent.append(IntentScores(intent, expected[intent], precision, recall, f1))
    misses = [(t, e, p) for t, e, p in pairs if e != p]
    confused = Counter((e, p) for _, e, p in misses).most_common(10)
    return Evaluation(
        total=len(pairs),
        accuracy=sum(correct.values()) / len(pairs),
        fallback_rate=predicted[FALLBACK] / len(pairs),
        per_intent=per_intent,
        confused=[(e, p, n) for (e, p), n in confused],
        misses=misses,
    )


async def evaluate(url: str, token: str | None) -> Evaluation:
    client = NluClient(url, token, timeout=30)
    pairs: list[tuple[str, str, str]] = []
    try:
        for intent, text in examples(HELD_OUT_DIR):
            result = await client.parse(normalize(text))
            pairs.append((text, intent, result.intent))
    finally:
        await client.aclose()
    return score(pairs)


def format_report(evaluation: Evaluation) -> str:
    lines = [f"{'intent':32} {'n':>3} {'prec':>6} {'recall':>6} {'f1':>6}"]
    for s in evaluation.per_intent:
        lines.append(
            f"{s.intent:32} {s.support:>3} {s.precision:>6.2f} {s.recall:>6.2f} {s.f1:>6.2f}"
        )
    lines.append(
        f"\naccuracy {evaluation.accuracy:.3f} on {evaluation.total} held-out questions; "
        f"fallback rate {evaluation.fallback_rate:.3f}"
    )
    lines.append("most confused (expected → predicted, count):")
    lines += [f"  {e} → {p}: {n}" for e, p, n in evaluation.confused] or ["  none"]
    return "\n".join(lines)


def main() -> None:
    with ExitStack() as stack:
        url, token = os.environ.get("NLU_URL"), os.environ.get("NLU_TOKEN")
        if not url:
            service = stack.enter_context(NluService())
            url, token = service.url, service.token
        print(format_report(asyncio.run(evaluate(url, token))))


if __name__ == "__main__":
    main()
