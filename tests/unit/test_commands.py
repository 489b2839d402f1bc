"""responses/commands.yml and policy/operations.yml: every command listed exists as a
handler, Telegram accepts the names and descriptions, each deep link opens something, and
the contacts' phrases are read as meant."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from telegram.ext import CommandHandler

from bot.channels.commands import load_commands
from bot.channels.operations import load_operations
from bot.channels.telegram import DEEP_LINKS, build_application
from bot.config import Settings
from tests.conftest import ROOT

BOOK = load_commands(ROOT / "responses")


def _registered(settings: Settings) -> set[str]:
    telegram = replace(settings.telegram, token="123456:TEST")
    application = build_application(replace(settings, telegram=telegram))
    return {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def test_every_listed_command_has_a_handler(settings: Settings):
    registered = _registered(settings)
    listed = {c.name for c in BOOK.for_chat(contact=True, admin=True)}
    # Each listed command works, and each command that works is listed (the /help promise).
    assert listed == registered, listed ^ registered


def test_names_and_descriptions_are_what_telegram_accepts():
    for command in BOOK.for_chat(contact=True, admin=True):
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.name), command
        assert 1 <= len(command.description) <= 256, command
        assert len(command.description) <= 20, command  # one line on a phone


def test_each_role_sees_its_own_commands_once():
    public = [c.name for c in BOOK.for_chat()]
    contact = [c.name for c in BOOK.for_chat(contact=True)]
    admin = BOOK.for_chat(admin=True)
    assert "reported" not in public and "newcode" not in public
    assert contact[: len(public)] == public and "reported" in contact
    names = [c.name for c in admin]
    assert len(names) == len(set(names)) and "schedule" in names and "reported" not in names
    schedule = next(c for c in admin if c.name == "schedule")
    assert "2021" in schedule.description  # the admin's line: a whole year


def test_every_deep_link_opens_a_command():
    assert set(BOOK.deep_links) <= set(DEEP_LINKS)
    assert {"check", "subscribe"} <= set(BOOK.deep_links)


OPERATIONS = load_operations(ROOT / "policy")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我们这个月已经报了", "reported"),
        ("本月月报已报送", "reported"),
        ("我們這個月已經報了", "reported"),  # traditional characters
        ("月报已经交了！", "reported"),
        ("这个月报了吗", None),  # a question
        ("我们这个月的月报还没报", None),  # a negation
        ("我已经报了名", None),  # a trainee, not a report
        ("月报什么时候报", None),
        ("怎么取消提醒", "cancel_reminders"),
        ("别再提醒我了", "cancel_reminders"),
        ("不想收到推送", "cancel_reminders"),
        ("绑定码在哪里要", "bind_code"),
        ("怎么获取绑定码？", "bind_code"),
        ("学徒制一年补多少钱", None),
        ("/reported", None),
        ("我们这个月已经报了" + "，" * 40, None),  # long messages go to the dialogue
    ],
)
def test_operational_phrases(text: str, kind: str | None):
    assert OPERATIONS.kind_of(text) == kind
