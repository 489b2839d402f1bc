from __future__ import annotations

import pytest

from nlu.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full-width to half-width
        ("  学徒   补贴\n\t多少 ", "学徒 补贴 多少"),
        ("/start", "start"),  # Rasa would read a leading '/' as an injected intent
        ("//学徒", "学徒"),
        ("學徒制補貼多少錢", "学徒制补贴多少钱"),  # traditional → simplified
        ("培训\u200b补贴\u202e", "培训补贴"),  # zero-width and bidi controls dropped
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_cuts_to_max_chars() -> None:
    assert normalize("补" * 1000, max_chars=10) == "补" * 10
