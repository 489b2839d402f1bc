"""The masking corpus (tests/privacy_corpus.yml): every spelling of a personal number is
masked exactly where it is marked, and ordinary numbers are left alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.logging_setup import redact
from bot.privacy import mask_personal_numbers

CORPUS = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "privacy_corpus.yml").read_text("utf-8")
)
_MARKED = re.compile(r"⟦(.*?)⟧")


def _split(marked: str) -> tuple[str, str]:
    """(the text as typed, the text as it must come out)."""
    typed = _MARKED.sub(lambda m: m.group(1), marked)
    expected = _MARKED.sub(lambda m: "*" * len(m.group(1)), marked)
    return typed, expected


def test_the_corpus_is_large_and_balanced():
    spellings = [c for c in CORPUS if c["kinds"]]
    assert len(spellings) >= 100
    assert len(CORPUS) - len(spellings) >= 50  # ordinary numbers
    assert {k for c in spellings for k in c["kinds"]} == {"mobile", "id_card", "bank_card"}


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c["text"][:30])
def test_masking_corpus(case: dict):
    typed, expected = _split(case["text"])
    masked = mask_personal_numbers(typed)
    assert masked.text == expected
    assert list(masked.kinds) == sorted(case["kinds"])
    assert mask_personal_numbers(masked.text).text == masked.text  # idempotent


def test_masking_keeps_the_text_as_typed_around_the_number():
    masked = mask_personal_numbers("电话：１３８１２３４５６７８，４０００元")
    assert masked.text == "电话：***********，４０００元"


def test_log_lines_are_masked():
    assert "1234 5678" not in redact("question from chat 42: 手机 138 1234 5678")
    assert "chat 42" in redact("question from chat 42: 手机 138 1234 5678")
