"""Questions real people asked, found in public sources (nlu/real/questions.yml).

Each entry keeps the wording as found, where it was found, and what the right answer is by
this plan. The split is by source (a page, a thread, a dataset file), never by row, so that
no source has questions on both sides; only `split: train` entries become training data
(nlu/data/real_questions.yml, written by `python -m nlu.realset`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.dataset import TRAINING_DIR

PROJECT = Path(__file__).resolve().parent
REAL_FILE = PROJECT / "real" / "questions.yml"
TRAINING_FILE = TRAINING_DIR / "real_questions.yml"
SOURCE_TYPES = ("gov_faq", "wenzheng", "forum", "news_qa", "dataset")
SPLITS = ("train", "eval")


@dataclass(frozen=True)
class RealQuestion:
    id: str
    text: str
    source_type: str
    source: str
    expect: str  # answer | decline | check
    topic: str  # the topic (NLU intent) that answers it, or the decline kind
    also: tuple[str, ...]  # other topics that would also be a right answer
    sections: tuple[str, ...]  # this plan's sections that answer it; () for a decline
    gist: str
    split: str
    place: str = ""  # the city or province the question names or came from


def source_unit(source: str) -> str:
    """What the split keeps together: a page (URL without fragment) or a dataset file."""
    return source.split("#", 1)[0].rstrip("/")


def load_real(path: Path = REAL_FILE) -> list[RealQuestion]:
    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    return [
        RealQuestion(
            id=str(q["id"]),
            text=str(q["text"]),
            source_type=q["source_type"],
            source=str(q["source"]),
            expect=q["expect"],
            topic=q["topic"],
            also=tuple(q.get("also") or ()),
            sections=tuple(q.get("sections") or ()),
            gist=str(q.get("gist") or ""),
            split=q["split"],
            place=str(q.get("place") or ""),
        )
        for q in raw.get("questions", [])
    ]


# Where a question came from says nothing of its topic, but the classifier learns it: real
# declines asked from 北京 taught it that 北京 means another programme. Place names are left
# out of the training text.
# Long letters make DIET's padded batches, and so training, several times slower; their
# opening sentences carry the question.
MAX_TRAINING_CHARS = 80
_SENTENCE_END = "。？?！!"


def without_places(text: str, places: tuple[str, ...]) -> str:
    """The question as found with the place names (and their 市/省/区/县) left out."""
    for place in sorted(places, key=len, reverse=True):
        text = re.sub(f"{re.escape(place)}[市省区县]?", "", text)
    return " ".join(text.split()).lstrip(" ,，:：、")


def training_text(text: str, places: tuple[str, ...] = ()) -> str:
    """The question without place names, cut after its last sentence within
    MAX_TRAINING_CHARS (or at that length when no sentence ends there): never reworded."""
    text = without_places(text, places)
    if len(text) <= MAX_TRAINING_CHARS:
        return text
    head = text[:MAX_TRAINING_CHARS]
    end = max(head.rfind(mark) for mark in _SENTENCE_END)
    return head[: end + 1] if end > 0 else head


def known_places(lookups: Path = TRAINING_DIR / "lookups.yml") -> tuple[str, ...]:
    """The cities of the NLU's city lookup table."""
    for block in yaml.safe_load(lookups.read_text("utf-8"))["nlu"]:
        if block.get("lookup") == "city":
            return tuple(line[2:].strip() for line in block["examples"].splitlines() if line)
    return ()


def places_of(question: RealQuestion) -> tuple[str, ...]:
    cities = known_places()
    return (*cities, question.place) if question.place else cities


def training_yaml(questions: list[RealQuestion]) -> str:
    """Rasa NLU YAML with the training split, one block per intent."""
    by_intent: dict[str, list[str]] = {}
    for q in questions:
        if q.split == "train":
            by_intent.setdefault(q.topic, []).append(training_text(q.text, places_of(q)))
    lines = [
        'version: "3.1"',
        "# Written by `python -m nlu.realset` from nlu/real/questions.yml (split: train).",
        "# Real people's questions as found; do not edit here.",
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {_rasa_safe(text)}" for text in dict.fromkeys(by_intent[intent])]
    return "\n".join(lines) + "\n"


def _rasa_safe(text: str) -> str:
    """Square brackets and parentheses would read as entity annotations."""
    return text.replace("[", "【").replace("]", "】")


def main() -> None:
    TRAINING_FILE.write_text(training_yaml(load_real()), "utf-8")
    print(f"wrote {TRAINING_FILE.relative_to(PROJECT.parent)}")


if __name__ == "__main__":
    main()
