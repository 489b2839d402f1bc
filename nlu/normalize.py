"""Input normalisation applied before any text reaches the NLU service."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Protocol

_SPACES = re.compile(r"\s+")
# Control and format characters (bidi overrides, zero-width joiners ...) carry no meaning here.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def looks_traditional(text: str) -> bool:
    """True when converting to simplified changes the text (it has traditional characters)."""
    return _changed_by(_t2s(), text)


def looks_simplified(text: str) -> bool:
    """True when converting to traditional changes the text (it has simplified characters)."""
    return _changed_by(_s2t(), text)


class _Converter(Protocol):  # opencc.OpenCC
    def convert(self, text: str) -> str: ...


def _changed_by(converter: _Converter, text: str) -> bool:
    text = unicodedata.normalize("NFKC", text)
    return converter.convert(text) != text


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def normalize(text: str, max_chars: int | None = None) -> str:
    """NFKC (full-width → half-width), drop control chars, collapse whitespace,
    strip a leading '/', convert traditional to simplified Chinese, and cut to max_chars.

    A leading '/' would make Rasa read the text as an injected intent.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )
    text = _SPACES.sub(" ", text).strip()
    text = text.lstrip("/").strip()
    text = _t2s().convert(text)
    if max_chars is not None:
        text = text[:max_chars]
    return text
