"""The Telegram channel: python-telegram-bot Application, long polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import timedelta

from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from tornado.httpserver import HTTPServer

from bot.assistant import Assistant, running_assistant
from bot.channels import (
    telegram_admin,
    telegram_catalogue,
    telegram_duties,
    telegram_reminders,
    telegram_subscriptions,
)
from bot.channels.commands import load_commands, register_commands
from bot.channels.inplace import edit_in_place
from bot.channels.operations import load_operations
from bot.channels.reminder_requests import load_reminder_requests
from bot.channels.state_processor import ChatStateProcessor, chat_state
from bot.channels.telegram_common import is_admin
from bot.channels.telegram_context import BotServices, Started, services, started
from bot.channels.telegram_duties import on_reported, on_schedule
from bot.channels.telegram_limits import SharedRateLimiter
from bot.channels.telegram_reminders import on_reminders
from bot.channels.telegram_subscriptions import on_subscribe
from bot.channels.throttle import ChatThrottle
from bot.clock import Clock
from bot.config import Settings
from bot.dialogue.core import Dialogue
from bot.dialogue.payloads import TOPIC_PREFIX
from bot.dialogue.types import Context, Reply
from bot.health import health_checks
from bot.logging_setup import log_webhook_rejections
from bot.misses import asked_in
from bot.observability import HealthServer, Metrics
from bot.render import to_plain
from bot.store.conversations import ConversationStore
from bot.store.db import database_url
from bot.store.retention import chat_key
from bot.telegram_keyboard import inline_keyboard
from scheduler.ratelimit import SendLimiter
from scheduler.runtime import SchedulerRuntime
from scheduler.telegram_transport import telegram_defaults

log = logging.getLogger(__name__)


async def send_reply(message: Message, reply: Reply) -> None:
    await message.reply_text(reply.text, reply_markup=inline_keyboard(reply.buttons))


def _dialogue(context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    return started(context).dialogue


def _chat_context(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Context:
    return chat_state(update, context).dialogue


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args and await _deep_link(update, context, context.args[0]):
        return
    user = update.effective_user
    name = user.first_name if user else None
    await send_reply(update.effective_message, _dialogue(context).welcome(name))


async def _deep_link(update: Update, context: ContextTypes.DEFAULT_TYPE, parameter: str) -> bool:
    """/start PARAMETER from a link (t.me/<bot>?start=check): a command listed in
    responses/commands.yml, or a topic id. False: not one, the welcome follows."""
    book = services(context).commands
    handler = DEEP_LINKS.get(parameter) if parameter in book.deep_links else None
    if handler is not None:
        context.args = []  # the target command runs as if typed bare
        await handler(update, context)
        return True
    if parameter in started(context).assistant.pack.topics:
        topic = TOPIC_PREFIX + parameter
        reply = await asyncio.to_thread(
            _dialogue(context).handle_button, topic, _chat_context(update, context)
        )
        _count(context, reply)
        await send_reply(update.effective_message, reply)
        return True
    return False


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What this person may use: the public commands, and a contact's and an admin's."""
    runtime = started(context).runtime
    chat_id = update.effective_chat.id
    contact = await asyncio.to_thread(runtime.departments.contact, chat_id) is not None
    commands = services(context).commands.for_chat(contact=contact, admin=is_admin(update, context))
    await send_reply(
        update.effective_message, _dialogue(context).message("help", commands=commands)
    )


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_reply(update.effective_message, _dialogue(context).menu())


async def on_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    reply = await asyncio.to_thread(_dialogue(context).start_check, _chat_context(update, context))
    await send_reply(update.effective_message, reply)


def _count(context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    services(context).metrics.count_reply(reply.kind, reply.intent)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    # Unanswered questions are recorded with the chat (hashed), so /stop can erase them.
    origin = asked_in.set(chat_key(update.effective_chat.id) if update.effective_chat else None)
    try:
        reply = await _dialogue(context).handle_text(
            message.text or "", _chat_context(update, context)
        )
    finally:
        asked_in.reset(origin)
    _count(context, reply)
    await send_reply(message, reply)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A self-check step replaces the message it was pressed on; anything else (an answer,
    a detail, the menu) is a new message below it."""
    query = update.callback_query
    # A self-check step evaluates the rules and may read the catalogue: in a thread.
    reply = await asyncio.to_thread(
        _dialogue(context).handle_button, query.data or "", _chat_context(update, context)
    )
    await query.answer(to_plain(reply.toast) if reply.toast else None)
    _count(context, reply)
    if reply.edit:
        await edit_in_place(query, reply.text, reply.buttons)
    elif isinstance(query.message, Message):
        await send_reply(query.message, reply)


# /start PARAMETER → the command it opens (those allowed are listed in responses/commands.yml).
DEEP_LINKS = {
    "check": on_check,
    "subscribe": on_subscribe,
    "help": on_help,
    "menu": on_menu,
    "reminders": on_reminders,
    "schedule": on_schedule,
    "reported": on_reported,
}


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_reply(update.effective_message, _dialogue(context).message("unknown_command"))


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    voice = message is not None and bool(message.voice or message.audio)
    await send_reply(message, _dialogue(context).message("non_text", voice=voice))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The formatter redacts the token from the trace.
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await send_reply(update.effective_message, _dialogue(context).message("error"))
        except Exception:
            log.warning("could not send the error apology")


async def _post_init(application: Application) -> None:
    bot_services = services(application)
    settings = bot_services.settings
    # Handlers do their database and CPU work in threads (asyncio.to_thread): enough of
    # them for every update in flight, the scheduler's jobs and the health checks.
    threads = ThreadPoolExecutor(settings.telegram.concurrent_updates + 4, "work")
    asyncio.get_running_loop().set_default_executor(threads)
    stack = bot_services.stack = AsyncExitStack()
    metrics = bot_services.metrics
    assistant = await stack.enter_async_context(
        running_assistant(
            settings,
            reminders=True,
            metrics=metrics,
            on_wait=log.info,
            clock=bot_services.clock,
        )
    )
    runtime = SchedulerRuntime(
        settings,
        assistant.sessions,
        assistant.renderer,
        application.bot,
        assistant.pack,
        limiter=bot_services.limiter,
        clock=assistant.clock,
    )
    bot_services.started = Started(
        assistant, runtime, telegram_catalogue.importer_for(assistant, settings)
    )
    processor = application.update_processor
    if isinstance(processor, ChatStateProcessor):
        idle = timedelta(hours=settings.retention.conversation_idle_hours)
        processor.store = ConversationStore(assistant.sessions, idle)
        processor.warn = _slow_down_sender(assistant)
        processor.on_verdict = lambda verdict: metrics.throttled.labels(verdict.value).inc()
    contacts = await asyncio.to_thread(runtime.departments.contacts)
    await register_commands(
        application.bot,
        bot_services.commands,
        settings.admins,
        [c.chat_id for c in contacts],
    )
    runtime.sender.on_outcome = lambda status: metrics.sends.labels(status).inc()
    if settings.scheduler.embedded:
        await runtime.start(database_url(settings.paths.var, settings.database_url))
        stack.push_async_callback(runtime.stop)
    if settings.metrics_port:
        await _start_health_server(settings, assistant, runtime, metrics, stack)
    log.info("assistant and scheduler ready")


def _slow_down_sender(assistant: Assistant) -> Callable[[Update], Awaitable[None]]:
    """The one note a chat gets when it writes faster than its token bucket allows."""

    async def warn(update: Update) -> None:
        message = update.effective_message
        if message is None:
            return
        text = assistant.renderer.render("messages/slow_down.j2", assistant.clock.today())
        await message.reply_text(text)

    return warn


async def _start_health_server(
    settings: Settings,
    assistant: Assistant,
    runtime: SchedulerRuntime,
    metrics: Metrics,
    stack: AsyncExitStack,
) -> None:
    async def refresh() -> None:
        metrics.queue_depth.set(await asyncio.to_thread(runtime.outbox.pending_count))

    server = HealthServer(metrics, health_checks(assistant), refresh)
    port = await server.start(settings.metrics_listen, settings.metrics_port)
    stack.push_async_callback(server.stop)
    log.info(
        "health and metrics on http://%s:%d/healthz and /metrics", settings.metrics_listen, port
    )


async def _post_shutdown(application: Application) -> None:
    stack = services(application).stack
    if stack is not None:
        await stack.aclose()


def build_application(settings: Settings) -> Application:
    telegram = settings.telegram
    metrics = Metrics()
    clock = Clock.named(settings.scheduler.timezone)  # the process's one clock
    # One send rate for the process: the outbox (scheduler/runtime.py) and every reply.
    limiter = SendLimiter(
        settings.scheduler.messages_per_second, settings.scheduler.per_chat_interval_seconds
    )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram.token or "")
        .defaults(telegram_defaults())
        .rate_limiter(
            SharedRateLimiter(
                limiter,
                settings.telegram.reply_retry_max_seconds,
                on_retry=lambda endpoint: metrics.reply_retries.inc(),
            )
        )
    )
    if settings.telegram.base_url:
        base = settings.telegram.base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    # Each update reads and writes its chat's conversation state in the database; many
    # chats at once, each chat's updates in order, each chat's messages throttled.
    throttle = ChatThrottle(telegram.throttle_burst, telegram.throttle_per_second)
    processor = ChatStateProcessor(telegram.concurrent_updates, clock=clock.now, throttle=throttle)
    builder = builder.concurrent_updates(processor)
    application = builder.post_init(_post_init).post_shutdown(_post_shutdown).build()
    bot_services = BotServices(
        settings,
        load_commands(settings.paths.responses),
        metrics,
        limiter,
        clock,
        load_operations(settings.paths.policy),
        load_reminder_requests(settings.paths.policy),
    )
    bot_services.install(application)
    # Before the dialogue's own handlers, so their commands, buttons and texts win; the
    # operational questions ("别再提醒我了") before the "提醒我" requests.
    telegram_duties.add_handlers(application, bot_services.operations, fallback=on_text)
    telegram_subscriptions.add_handlers(application)
    telegram_reminders.add_handlers(application, bot_services.reminder_requests, clock)
    telegram_admin.add_handlers(application)
    telegram_catalogue.add_handlers(application, settings)
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CommandHandler("help", on_help))
    application.add_handler(CommandHandler("menu", on_menu))
    application.add_handler(CommandHandler("check", on_check))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    application.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, on_non_text))
    application.add_error_handler(on_error)
    return application


def run(settings: Settings) -> None:
    """Long polling, or the webhook server when a webhook URL is configured."""
    application = build_application(settings)
    telegram = settings.telegram
    if telegram.webhook_url:
        if not telegram.webhook_secret:
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET 未设置：Webhook 模式必须设置密钥。")
        # Requests with a wrong or missing secret header get 403, logged once a minute.
        limits = settings.webhook_limits
        log_webhook_rejections(limits.log_rejections_every_seconds)
        # Bodies over the limit are refused from their Content-Length before being read
        # (tornado's default buffers up to 100 MB before the secret is checked).
        HTTPServer.configure(None, max_body_size=limits.max_body_bytes)
        application.run_webhook(
            listen=telegram.webhook_listen,
            port=telegram.webhook_port,
            url_path=telegram.webhook_path,
            webhook_url=telegram.webhook_url,
            secret_token=telegram.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        return
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        timeout=int(telegram.poll_timeout),
        drop_pending_updates=False,
    )
