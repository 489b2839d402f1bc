"""The chat's conversation state around each update: read from the database before the
handlers run, written back after them, so any worker can continue any conversation.

python-telegram-bot's own persistence reads chat_data once at start-up and writes it back
on a timer, which cannot share a conversation between workers; this update processor
loads and saves per update instead. Updates of one chat are handled one at a time and in
arrival order within a worker (also with concurrent updates), and one at a time across
workers on PostgreSQL (an advisory lock on the chat, held until the state is saved); a
save replaces only the revision it read (bot.store.conversations).

Many chats are handled at once (`workers` updates at a time); an update waiting for its
chat's earlier updates holds no worker, so one chat's backlog never delays another chat.
A chat's messages pass its token bucket (bot.channels.throttle) on arrival, before any
of this: one over the limit is answered "请慢一点" once, in its turn; the rest are dropped
without touching the database or the NLU."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor, ContextTypes

from bot.channels.chat_state import ChatState, state_from_plain, state_to_plain
from bot.channels.throttle import ChatThrottle, Verdict
from bot.clock import now_utc
from bot.store.conversations import ConversationStore

log = logging.getLogger(__name__)

# How long an update waits for another worker to finish with the same chat; past it, the
# update goes ahead and the revision check alone keeps either save from undoing the other.
LOCK_WAIT_SECONDS = 10.0
LOCK_RETRY_SECONDS = 0.05
# Updates accepted and not finished yet (waiting for their chat's turn or handled): past
# it python-telegram-bot holds new ones back. The throttle keeps a chat's share small.
MAX_PENDING_UPDATES = 4096

Warn = Callable[[Update], Awaitable[None]]


@dataclass
class _Turn:
    """The lock that orders one chat's updates, and how many updates hold or await it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ChatStateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        workers: int = 1,
        clock: Callable[[], datetime] = now_utc,
        throttle: ChatThrottle | None = None,
    ) -> None:
        # python-telegram-bot's own limit counts updates waiting for their chat too; the
        # workers are limited here, after the chat's turn, so waiting takes no worker.
        super().__init__(max(workers, MAX_PENDING_UPDATES))
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.store: ConversationStore | None = None  # set once the database is open
        self.throttle = throttle
        self.warn: Warn | None = None  # sends "请慢一点" (set once the bot is ready)
        self.on_verdict: Callable[[Verdict], None] | None = None  # metrics
        self._clock = clock
        self._slots = asyncio.Semaphore(workers)
        self._states: dict[int, ChatState] = {}  # the updates being handled, by chat
        self._turns: dict[int, _Turn] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def state_of(self, chat_id: int) -> ChatState:
        try:
            return self._states[chat_id]
        except KeyError:
            raise LookupError(f"no update of chat {chat_id} is being handled") from None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        # Decided on arrival, before anything is awaited: the order of arrival is kept.
        verdict = self._verdict(update) if isinstance(update, Update) else Verdict.ACCEPT
        if verdict is Verdict.DROP:
            _discard(coroutine)
            return
        if chat is None:
            async with self._slots:
                await coroutine
            return
        async with self._turn(chat.id), self._slots:
            if verdict is Verdict.WARN:
                _discard(coroutine)
                if self.warn is not None and isinstance(update, Update):
                    await self.warn(update)
                return
            await self._handle(chat.id, coroutine)

    def _verdict(self, update: Update) -> Verdict:
        message = update.message or update.edited_message
        if self.throttle is None or message is None or update.effective_chat is None:
            return Verdict.ACCEPT  # button presses answer what the bot showed: not throttled
        sent = message.edit_date or message.date
        at = sent.timestamp() if sent is not None else time.time()
        chat_id = update.effective_chat.id
        verdict = self.throttle.admit(chat_id, at)
        if verdict is not Verdict.ACCEPT:
            level = logging.INFO if verdict is Verdict.WARN else logging.DEBUG
            log.log(level, "chat %s over its message rate: %s", chat_id, verdict.value)
            if self.on_verdict is not None:
                self.on_verdict(verdict)
        return verdict

    async def _handle(self, chat_id: int, coroutine: Awaitable[Any]) -> None:
        store = self.store
        if store is None:
            await coroutine
            return
        async with self._across_workers(store, chat_id):
            read = await asyncio.to_thread(store.load, chat_id, self._clock())
            state = state_from_plain(read.data)
            before = state_to_plain(state)
            self._states[chat_id] = state
            try:
                await coroutine
            finally:
                del self._states[chat_id]
            after = state_to_plain(state)
            # An unchanged state is not written; an expired row is deleted.
            if after != before or (read.data is None and read.revision):
                saved = await asyncio.to_thread(store.save, chat_id, after, read, self._clock())
                if not saved and after is not None:
                    log.warning("conversation of chat %s changed elsewhere meanwhile", chat_id)

    @asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        turn = self._turns.setdefault(chat_id, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if not turn.users:  # nothing kept per chat once its updates are done
                del self._turns[chat_id]

    @asynccontextmanager
    async def _across_workers(self, store: ConversationStore, chat_id: int) -> AsyncIterator[None]:
        lock = await asyncio.to_thread(store.chat_lock, chat_id)
        if lock is None:  # SQLite: one process
            yield
            return
        try:
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while not await asyncio.to_thread(lock.try_acquire):
                if time.monotonic() > deadline:
                    log.warning("chat %s still busy on another worker: going ahead", chat_id)
                    break
                await asyncio.sleep(LOCK_RETRY_SECONDS)
            yield
        finally:
            await asyncio.to_thread(lock.release)


def _discard(coroutine: Awaitable[Any]) -> None:
    """A handler run that will not happen: closed, so Python does not warn about it."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


def chat_state(update: Update, context: ContextTypes.DEFAULT_TYPE) -> ChatState:
    """The state of the chat this update comes from, saved when the update is done."""
    chat = update.effective_chat
    if chat is None:
        return ChatState()  # no chat (an inline query's button): nothing to keep
    processor = context.application.update_processor
    if not isinstance(processor, ChatStateProcessor):
        raise TypeError("the application needs a ChatStateProcessor")
    return processor.state_of(chat.id)
