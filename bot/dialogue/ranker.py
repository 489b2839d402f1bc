"""A second opinion from the plan's own words: BM25 over jieba tokens.

Each topic (and each decline kind) is described by documents: its button label, its answer
template's text, the clauses it rests on, and the NLU's training examples for it. A message's
score for a topic is the best score of that topic's documents, scaled so the best topic is 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rank_bm25 import BM25Okapi

_JINJA = re.compile(r"{[{%#].*?[}%#]}|<[^>]+>")
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Ranked:
    topic: str
    score: float  # relative: the best topic has 1.0
    raw: float  # BM25's own score, for the floor


@lru_cache(maxsize=1)
def _jieba(dictionary_dir: Path | None):
    import jieba

    jieba.setLogLevel(60)  # jieba prints its cache notes at INFO
    if dictionary_dir is not None:
        for path in sorted(dictionary_dir.glob("*.txt")):
            jieba.load_userdict(str(path))
    return jieba


def tokens(
    text: str, dictionary_dir: Path | None = None, stopwords: frozenset[str] = frozenset()
) -> list[str]:
    words = _jieba(dictionary_dir).lcut(text)
    return [w for w in words if _TOKEN.fullmatch(w) and w not in stopwords]


class TopicRanker:
    def __init__(
        self,
        documents: Iterable[tuple[str, str]],
        dictionary_dir: Path | None = None,
        stopwords: frozenset[str] = frozenset(),
    ) -> None:
        """documents: (topic, text) pairs."""
        self._dictionary = dictionary_dir
        self._stopwords = stopwords
        self._topics: list[str] = []
        corpus: list[list[str]] = []
        for topic, text in documents:
            words = tokens(text, dictionary_dir, stopwords)
            if words:
                self._topics.append(topic)
                corpus.append(words)
        self._bm25 = BM25Okapi(corpus)
        # One turn may ask about the same text up to three times (the seconded decline, the
        # second opinion, the clarification's candidates): it is scored once.
        self._scores = lru_cache(maxsize=256)(self._best_scores)

    def rank(self, text: str, limit: int = 5) -> list[Ranked]:
        best = self._scores(text)
        if not best:
            return []
        top = best[0][1]
        return [Ranked(topic, score / top, score) for topic, score in best[:limit]]

    def _best_scores(self, text: str) -> tuple[tuple[str, float], ...]:
        """Each topic's best document score for `text`, best first (positive scores only)."""
        query = tokens(text, self._dictionary, self._stopwords)
        if not query:
            return ()
        best: dict[str, float] = {}
        for topic, score in zip(self._topics, self._bm25.get_scores(query), strict=True):
            if score > best.get(topic, 0.0):
                best[topic] = float(score)
        return tuple(sorted(best.items(), key=lambda kv: -kv[1]))


def topic_documents(
    topics: dict[str, tuple[str, str]],
    answers_dir: Path,
    examples: Iterable[tuple[str, str]],
) -> list[tuple[str, str]]:
    """topics: id → (label, clause text). Answer templates lose their markup first."""
    documents: list[tuple[str, str]] = []
    for topic, (label, clauses) in topics.items():
        documents.append((topic, label))
        documents.append((topic, clauses))
        template = answers_dir / f"{topic}.j2"
        if template.exists():
            documents.append((topic, _JINJA.sub(" ", template.read_text("utf-8"))))
    documents += list(examples)
    return documents
