"""What the Telegram handlers take from the Application, typed: one `BotServices` object in
bot_data instead of string-keyed lookups. Its first part is set when the Application is
built; `started` is set at start-up (post_init), once the assistant and scheduler run."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from telegram.ext import Application, ContextTypes

from bot.assistant import Assistant
from bot.catalogue.importer import CatalogueImporter
from bot.channels.commands import CommandBook
from bot.channels.operations import Operations
from bot.channels.reminder_requests import ReminderRequests
from bot.clock import Clock
from bot.config import Settings
from bot.dialogue.core import Dialogue
from bot.observability import Metrics
from bot.render import Renderer
from scheduler.ratelimit import SendLimiter
from scheduler.runtime import SchedulerRuntime

_KEY = "services"  # the one bot_data entry


@dataclass(frozen=True)
class Started:
    """Built at start-up (bot/channels/telegram.py's post_init)."""

    assistant: Assistant
    runtime: SchedulerRuntime
    catalogue: CatalogueImporter | None  # None without a catalogue store

    @property
    def dialogue(self) -> Dialogue:
        return self.assistant.dialogue

    @property
    def renderer(self) -> Renderer:
        return self.assistant.renderer


@dataclass
class BotServices:
    settings: Settings
    commands: CommandBook
    metrics: Metrics
    limiter: SendLimiter  # one send rate for replies and the outbox
    clock: Clock  # the process's one clock (bot.clock)
    clock: Clock  # the process's one clock (bot.clock)
    operations: Operations  # policy/operations.yml
    reminder_requests: ReminderRequests  # policy/reminder_requests.yml
    started: Started | None = None
    # What start-up opened (the assistant, the scheduler, servers), closed at shutdown; set
    # first, so that a start-up failing halfway still closes what it opened.
    stack: AsyncExitStack | None = None

    def install(self, application: Application) -> None:
        application.bot_data[_KEY] = self


def services(context: ContextTypes.DEFAULT_TYPE | Application) -> BotServices:
    application = context if isinstance(context, Application) else context.application
    return application.bot_data[_KEY]


def started(context: ContextTypes.DEFAULT_TYPE | Application) -> Started:
    """The running assistant and scheduler; handlers only run after start-up."""
    found = services(context).started
    if found is None:
        raise RuntimeError("the bot has not started yet")
    return found


def runtime(context: ContextTypes.DEFAULT_TYPE) -> SchedulerRuntime:
    return started(context).runtime


def settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return services(context).settings
