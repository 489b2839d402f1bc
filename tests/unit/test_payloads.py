"""The registry of button payload prefixes (bot/dialogue/payloads.py): every prefix is
distinct, none begins another (handlers match "^<prefix>" in order), and the payloads
built from real data fit Telegram's 64-byte callback_data."""

from __future__ import annotations

import itertools

from bot.config import Settings
from bot.dialogue import payloads
from bot.policy_pack import PolicyPack

CALLBACK_DATA_LIMIT = 64  # bytes, Telegram Bot API
# The longest argument a prefix carries besides topic ids: "<9-digit id>:ok".
LONGEST_NUMERIC_ARGUMENT = "999999999:ok"


def test_every_prefix_is_listed_once_and_is_short_ascii() -> None:
    values = list(payloads.PREFIXES.values())
    assert len(values) == len(set(values))
    for name, value in {**payloads.PREFIXES, **payloads.EXACT}.items():
        assert value.isascii() and value.strip() == value, name
        assert len((value + LONGEST_NUMERIC_ARGUMENT).encode()) <= CALLBACK_DATA_LIMIT, name


def test_no_prefix_begins_another() -> None:
    for (a, x), (b, y) in itertools.permutations(payloads.PREFIXES.items(), 2):
        assert not y.startswith(x), f"{b} ({y!r}) begins with {a} ({x!r})"


def test_exact_payloads_belong_to_at_most_their_own_prefix() -> None:
    owners = {"CHECK_START": "CHECK_PREFIX", "REMIND_CLAIM": "REMINDER_MENU"}
    for name, value in payloads.EXACT.items():
        matching = [p for p, prefix in payloads.PREFIXES.items() if value.startswith(prefix)]
        assert matching == ([owners[name]] if name in owners else []), name
        others = [e for e in payloads.EXACT.values() if e != value and e.startswith(value)]
        assert others == [], name


def test_payloads_from_real_topics_fit(pack: PolicyPack, settings: Settings) -> None:
    longest_topic = max(pack.topics, key=lambda t: len(t.encode()))
    for prefix in (payloads.TOPIC_PREFIX, payloads.DETAILS_PREFIX):
        assert len((prefix + longest_topic).encode()) <= CALLBACK_DATA_LIMIT
    declines = max(pack.cues.decline_labels, key=lambda d: len(d.encode()))
    assert len((payloads.DECLINE_PREFIX + declines).encode()) <= CALLBACK_DATA_LIMIT
    subscription_topics = settings.scheduler.topics
    longest = max(subscription_topics, key=lambda t: len(t.encode()))
    assert len((payloads.SUBSCRIBE_PREFIX + longest).encode()) <= CALLBACK_DATA_LIMIT
