"""A fake NLU for fast dialogue unit tests: fixed results per text."""

from __future__ import annotations

from nlu.client import IntentScore, NluResult, NluUnavailable
from nlu.normalize import normalize


def result(text: str, *ranking: tuple[str, float]) -> NluResult:
    scores = tuple(IntentScore(name, conf) for name, conf in ranking)
    return NluResult(text, scores[0].name, scores[0].confidence, scores)


class FakeNlu:
    def __init__(self, answers: dict[str, NluResult] | None = None) -> None:
        self.answers = answers or {}
        self.seen: list[str] = []
        self.down = False

    async def parse(self, text: str) -> NluResult:
        self.seen.append(text)
        if self.down:
            raise NluUnavailable("fake outage")
        # Keys are written as people type them; the dialogue sends normalised text.
        by_normal = {normalize(k): v for k, v in self.answers.items()}
        return by_normal.get(text, result(text, ("out_of_scope", 0.9)))
