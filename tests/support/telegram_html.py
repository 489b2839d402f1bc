"""Check text the way Telegram's HTML parse mode does: only its tags, properly nested,
and every '<', '>' and '&' outside tags escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        self.problem = self.problem or problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._fail(f"unsupported start tag {tag!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self._fail(f"unexpected end tag {tag!r}")
            return
        self.stack.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            self._fail(f"unsupported entity &{name};")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self._fail("unescaped angle bracket")

    def handle_comment(self, data: str) -> None:
        self._fail("comment")

    def handle_decl(self, decl: str) -> None:
        self._fail("declaration")


def telegram_html_error(text: str) -> str | None:
    """None when Telegram would accept the text, else what is wrong with it."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack and not checker.problem:
        return f"unclosed tag {checker.stack[-1]!r}"
    if "&" in _ENTITY.sub("", text) and not checker.problem:
        return "unescaped ampersand"
    return checker.problem


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_length(text: str) -> int:
    """What Telegram measures against its 4096 limit: the text after HTML parsing, in
    UTF-16 code units (an emoji counts twice)."""
    parser = _Text()
    parser.feed(text)
    parser.close()
    return len("".join(parser.parts).encode("utf-16-le")) // 2
