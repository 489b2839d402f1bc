"""The bot's commands by who may use them (responses/commands.yml): the Telegram "/" menu
per scope, /help's list, and the /start deep-link parameters."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

log = logging.getLogger(__name__)

COMMANDS_FILE = "commands.yml"


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    description: str


@dataclass(frozen=True)
class CommandBook:
    public: tuple[Command, ...]
    contact: tuple[Command, ...]
    admin: tuple[Command, ...]
    deep_links: frozenset[str]

    def for_chat(self, contact: bool = False, admin: bool = False) -> list[Command]:
        """Everything this person may use, in the file's order; a command in two groups
        appears once, with the description of the later group (an admin's /schedule)."""
        chosen: dict[str, Command] = {}
        for group, on in ((self.public, True), (self.contact, contact), (self.admin, admin)):
            if on:
                chosen |= {c.name: c for c in group}
        return list(chosen.values())


def load_commands(responses: Path) -> CommandBook:
    raw = yaml.safe_load((responses / COMMANDS_FILE).read_text("utf-8"))

    def group(name: str) -> tuple[Command, ...]:
        return tuple(Command(str(item["command"]), str(item["description"])) for item in raw[name])

    return CommandBook(
        group("public"), group("contact"), group("admin"), frozenset(raw["deep_links"])
    )


def _bot_commands(commands: Iterable[Command]) -> list[BotCommand]:
    return [BotCommand(c.name, c.description) for c in commands]


async def register_commands(
    bot: Bot, book: CommandBook, admins: Iterable[int], contacts: Iterable[int]
) -> None:
    """The "/" menu: the public commands for everyone, and in each admin's and each bound
    contact's private chat (chat id = user id) their own as well. A failure is logged, not
    fatal: the commands still work when typed."""
    admins, contacts = set(admins), set(contacts)
    try:
        await bot.set_my_commands(_bot_commands(book.public), scope=BotCommandScopeDefault())
    except TelegramError as error:
        log.warning("could not register the public commands: %s", error)
    for chat in sorted(admins | contacts):
        await set_chat_commands(bot, book, chat, contact=chat in contacts, admin=chat in admins)


async def set_chat_commands(
    bot: Bot, book: CommandBook, chat_id: int, contact: bool, admin: bool
) -> None:
    """One chat's "/" menu after a change (bound, unbound): its own list, or the public one."""
    scope = BotCommandScopeChat(chat_id)
    try:
        if contact or admin:
            commands = book.for_chat(contact=contact, admin=admin)
            await bot.set_my_commands(_bot_commands(commands), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as error:
        log.warning("could not set the commands of chat %s: %s", chat_id, error)
