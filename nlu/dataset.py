"""Read Rasa NLU YAML files as (intent, text) pairs: training data and the held-out set."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent
TRAINING_DIR = PROJECT / "data"
HELD_OUT_DIR = PROJECT / "tests"
# Inline entity annotations: [退役军人](group) or [退役军人]{"entity": "group", ...}.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """The example as a person would type it, without entity annotations."""
    return _ANNOTATION.sub(r"\1", example)


def examples(directory: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for file in sorted(directory.rglob("*.yml")):
        for block in yaml.safe_load(file.read_text("utf-8")).get("nlu", []) or []:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((block["intent"], plain_text(line[2:].strip())))
    return pairs


def intents(directory: Path) -> set[str]:
    return {intent for intent, _ in examples(directory)}
