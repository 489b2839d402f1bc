"""A deterministic corpus of hostile or odd messages (well over 500)."""

from __future__ import annotations

import itertools
import random

POLICY_WORDS = ["培训补贴", "学徒制", "以工代训", "外地户口", "生活费", "社保卡", "月报", "12333"]

BASES = [
    "",
    " ",
    "\t",
    "   \u3000  ",
    "\u200b",
    "\u200b\u200c\u200d\ufeff",
    "😀",
    "🎉🎉🎉",
    "👨‍👩‍👧‍👦",
    "🇨🇳",
    "💰补贴💰",
    "🙏" * 50,
    "\u202e补贴多少\u202c",
    "\u2067مرحبا\u2069 培训",
    "שלום 补贴",
    "مرحبا كم الدعم",
    "\x00\x01\x02补贴",
    "\x1b[31m红色\x1b[0m",
    "a\rb",
    "\x7f\x08",
    "<b>补贴</b>",
    "<script>alert(1)</script>",
    "<a href='javascript:alert(1)'>x</a>",
    "</b></i></code>",
    "<<<>>>",
    "&amp; &lt; & &#x27; &nbsp;",
    "<tg-spoiler>x</tg-spoiler>",
    "**加粗** _斜体_ `代码` [链接](http://x)",
    "```\ncode\n```",
    "~~删除~~ ||剧透||",
    "{{ 7*7 }}",
    "{{ config }}",
    "{{ plan.hotline }}",
    "{% for x in range(10) %}x{% endfor %}",
    "{% raw %}",
    "{# comment #}",
    "${7*7}",
    "#{7*7}",
    "{{''.__class__.__mro__}}",
    "'; DROP TABLE subscribers; --",
    "1' OR '1'='1",
    "SELECT * FROM deliveries;",
    '" OR 1=1 --',
    "admin'--",
    "UNION SELECT password FROM users",
    "培训training补贴subsidy",
    "Ünïcödé 补贴",
    "ＡＢＣ全角补贴１２３",
    "補貼多少錢",
    "한국어 보조금",
    "日本語の補助金はいくら",
    "Привет, субсидия",
    "ΑΒΓ 补贴",
    "0",
    "123",
    "4000",
    "3.1415926",
    "-1",
    "1e309",
    "110101199003071234",
    "13812345678",
    "6222021234567890123",
    "0000000000000000000000000",
    "/",
    "/start@skills_policy_bot",
    "//",
    "/check extra words",
    "/ 补贴",
    "http://example.com/补贴",
    "www.12333.gov.cn",
    "mailto:a@b.c",
    "？？？",
    "。。。",
    "！！！",
    "……",
    "—",
    "、、、",
    "?",
]


def corpus(size: int = 520, seed: int = 20191) -> list[str]:
    """Bases, 10,000-character messages, and bases mixed with policy words."""
    rng = random.Random(seed)
    messages = list(BASES)
    messages += [
        "补" * 10_000,
        "a" * 10_000,
        "😀" * 10_000,
        ("<b>" * 2500),
        "{{ x }}" * 1500,
        "培训补贴怎么领？" * 1250,
        "1" * 10_000,
        " " * 10_000,
        "\u200b" * 10_000,
        "".join(chr(0x4E00 + i % 2000) for i in range(10_000)),
    ]
    for base, word in itertools.product(BASES, POLICY_WORDS):
        if len(messages) >= size:
            break
        messages.append(rng.choice([f"{base}{word}", f"{word}{base}", f"{word} {base} {word}"]))
    return messages
