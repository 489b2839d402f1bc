"""A Bot API stand-in on 127.0.0.1: enough of Telegram's HTTP API for a PTB 22 bot to
long-poll it. Tests push updates in and read what the bot sent. Like Telegram, it rejects
HTML that Telegram could not parse and texts over 4096 characters (after parsing)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.telegram_html import shown_length, telegram_html_error

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "政策助手",
    "username": "skills_policy_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Sent:
    method: str
    params: dict[str, Any]
    message_id: int | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return None if value is None else int(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup")
        if not markup:
            return []
        rows = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def previews_disabled(sent: Sent) -> bool:
    """Whether a message was sent with link previews off (link_preview_options)."""
    options = sent.params.get("link_preview_options")
    if isinstance(options, str):
        options = json.loads(options)
    return bool(options and options.get("is_disabled"))


@dataclass
class BotApiStandIn:
    host: str = "127.0.0.1"
    port: int = 0
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Fault injection for sendMessage: each entry is used once, in order:
    # ("429", seconds) | ("500", 0) | ("timeout", seconds of delay).
    faults: list[tuple[str, float]] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)  # these answer 403
    attempts: list[tuple[float, int]] = field(default_factory=list)  # (time, chat) of every try
    faulted: list[tuple[float, int, str]] = field(default_factory=list)  # (time, chat, kind) given
    files: dict[str, bytes] = field(default_factory=dict)  # file_id → content (getFile)
    # Group chats' administrators (getChatMember answers "administrator" for them, else
    # "member"); a chat id listed here is a group in every update pushed for it.
    chat_admins: dict[int, set[int]] = field(default_factory=dict)
    # What each sent message shows now: (chat, message id) → (text, reply_markup), kept
    # so that an edit leaving both unchanged is refused like Telegram's.
    _shown: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    _query_chats: dict[str, int] = field(default_factory=dict)  # callback query id → chat

    # ---- lifecycle (runs in its own thread with its own event loop) ----

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("Bot API stand-in did not start")

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self.host, self.port)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- what tests do ----

    def _push(self, kind: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._updates.append({"update_id": next(self._ids), kind: payload})

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.chat_admins:
            return {"id": chat_id, "type": "group", "title": "部门工作群"}
        return {"id": chat_id, "type": "private", "first_name": "小王"}

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "小王", "language_code": "zh"}

    def _message(self, chat_id: int, sender: int | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(chat_id if sender is None else sender),
            **extra,
        }

    def push_text(self, chat_id: int, text: str, sender: int | None = None) -> None:
        """A message in a chat; in a group (see chat_admins), `sender` is the member."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._push("message", self._message(chat_id, sender, **extra))

    def push_edited_text(self, chat_id: int, text: str) -> None:
        message = self._message(chat_id, text=text, edit_date=int(time.time()))
        self._push("edited_message", message)

    def push_sticker(self, chat_id: int) -> None:
        sticker = {
            "file_id": "CAACAgIAAxk",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        self._push("message", self._message(chat_id, sticker=sticker))

    def push_voice(self, chat_id: int) -> None:
        voice = {"file_id": "AwACAgIAAxk", "file_unique_id": "AgADv", "duration": 3}
        self._push("message", self._message(chat_id, voice=voice))

    def push_photo(self, chat_id: int) -> None:
        photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 90, "height": 90}]
        self._push("message", self._message(chat_id, photo=photo))

    def push_document(
        self, chat_id: int, file_name: str, content: bytes, caption: str | None = None
    ) -> None:
        """A file sent to the bot; the bot fetches it with getFile and a download, like
        Telegram's (file_path under /file/bot<token>/)."""
        file_id = f"BQACAgIAAxk{next(self._ids)}"
        with self._lock:
            self.files[file_id] = content
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        self._push("message", self._message(chat_id, **extra))

    def push_callback(
        self, chat_id: int, data: str, message_id: int | None = None, sender: int | None = None
    ) -> None:
        message = self._message(chat_id, text="(按钮所在消息)")
        message["from"] = BOT_USER
        if message_id is not None:
            message["message_id"] = message_id
        query_id = str(next(self._ids))
        with self._lock:
            self._query_chats[query_id] = chat_id
        query = {
            "id": query_id,
            "from": self._user(chat_id if sender is None else sender),
            "chat_instance": f"ci{chat_id}",
            "message": message,
            "data": data,
        }
        self._push("callback_query", query)

    def take_updates(self) -> list[dict[str, Any]]:
        """The updates pushed and not fetched yet, taken away: a test plays Telegram's
        part for webhook workers and posts each to the worker it chooses."""
        with self._lock:
            taken, self._updates = self._updates, []
        return taken

    def messages_to(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.method == "sendMessage" and s.chat_id == chat_id]

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 30) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages_to(chat_id)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} messages to {chat_id}, got {len(self.messages_to(chat_id))}"
        )

    def wait_for_text(self, chat_id: int, needle: str, timeout: float = 30) -> Sent:
        """The first message to `chat_id` containing `needle`, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages_to(chat_id):
                if needle in message.text:
                    return message
            time.sleep(0.05)
        texts = [m.text[:60] for m in self.messages_to(chat_id)]
        raise AssertionError(f"no message to {chat_id} with {needle!r}; got {texts}")

    def edits_to(self, chat_id: int, message_id: int | None = None) -> list[Sent]:
        """editMessageText calls that succeeded, for a chat (and one of its messages)."""
        with self._lock:
            return [
                s
                for s in self.sent
                if s.method == "editMessageText"
                and s.chat_id == chat_id
                and (message_id is None or s.message_id == message_id)
            ]

    def wait_for_edits(
        self, chat_id: int, message_id: int, count: int, timeout: float = 30
    ) -> list[Sent]:
        """Wait until message `message_id` was edited `count` times; its edits, in order."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.edits_to(chat_id, message_id)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} edits of message {message_id} in chat {chat_id}, got "
            f"{len(self.edits_to(chat_id, message_id))}; errors: {self.errors}"
        )

    def wait_for_edit_text(
        self, chat_id: int, needle: str, message_id: int | None = None, timeout: float = 30
    ) -> Sent:
        """The first edit in `chat_id` (of `message_id`, if given) whose text has `needle`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for edit in self.edits_to(chat_id, message_id):
                if needle in edit.text:
                    return edit
            time.sleep(0.05)
        texts = [e.text[:60] for e in self.edits_to(chat_id, message_id)]
        raise AssertionError(f"no edit in {chat_id} with {needle!r}; got {texts}")

    def toasts(self, chat_id: int | None = None) -> list[str]:
        """The texts of answerCallbackQuery calls (the toasts shown), for one chat's presses."""
        with self._lock:
            calls = [s for s in self.sent if s.method == "answerCallbackQuery"]
            queries = self._query_chats
        return [
            str(s.params.get("text", ""))
            for s in calls
            if chat_id is None or queries.get(str(s.params.get("callback_query_id"))) == chat_id
        ]

    def calls(self, method: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.method == method]

    # ---- the HTTP side ----

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
            else:  # an uploaded file (sendDocument): its text, and its name beside it
                params[key] = value.file.read().decode("utf-8-sig", errors="replace")
                params[f"{key}_filename"] = value.filename
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:  # setWebhook, deleteWebhook, setMyCommands …: recorded, accepted
            with self._lock:
                self.sent.append(Sent(method, params))
            return web.json_response({"ok": True, "result": True})
        return await handler(params)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _bad_request(description: str) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"},
            status=400,
        )

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return self._ok(BOT_USER)

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            with self._lock:
                # Telegram forgets updates below the offset the client confirms.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
            if pending or time.monotonic() >= deadline:
                return self._ok(pending)
            await asyncio.sleep(0.05)

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        with self._lock:
            now = time.monotonic()
            self.attempts.append((now, chat_id))
            fault = self.faults.pop(0) if self.faults else None
            if fault is not None:
                self.faulted.append((now, chat_id, fault[0]))
        if fault is not None:
            kind, value = fault
            if kind == "429":
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests",
                        "parameters": {"retry_after": int(value)},
                    },
                    status=429,
                )
            if kind == "500":
                return web.json_response(
                    {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                    status=500,
                )
            if kind == "timeout":
                await asyncio.sleep(value)
        if chat_id in self.blocked_chats:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        text = str(params.get("text", ""))
        if not text.strip():
            return self._bad_request("message text is empty")
        # Telegram's limit holds for the text after entities are parsed (tags dropped).
        shown = shown_length(text) if params.get("parse_mode") == "HTML" else len(text)
        if shown > 4096:
            return self._bad_request("message is too long")
        if params.get("parse_mode") == "HTML":
            problem = telegram_html_error(text)
            if problem:
                self.errors.append(problem)
                return self._bad_request(f"can't parse entities: {problem}")
        message_id = next(self._message_ids)
        with self._lock:
            self.sent.append(Sent("sendMessage", params, message_id))
            self._shown[(chat_id, message_id)] = (text, _markup(params))
        return self._ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": text,
            }
        )

    async def _api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        """Like Telegram: only a message this bot sent, valid HTML, and a change."""
        if "chat_id" not in params or "message_id" not in params:
            return self._bad_request("message identifier is not specified")
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = str(params.get("text", ""))
        if not text.strip():
            return self._bad_request("message text is empty")
        if len(text) > 4096:
            return self._bad_request("MESSAGE_TOO_LONG")
        if params.get("parse_mode") == "HTML":
            problem = telegram_html_error(text)
            if problem:
                self.errors.append(problem)
                return self._bad_request(f"can't parse entities: {problem}")
        key = (chat_id, message_id)
        with self._lock:
            shown = self._shown.get(key)
            if shown is None:
                return self._bad_request("message to edit not found")
            if shown == (text, _markup(params)):
                return self._bad_request(
                    "message is not modified: specified new message content and reply "
                    "markup are exactly the same as a current content and reply markup "
                    "of the message"
                )
            self._shown[key] = (text, _markup(params))
            self.sent.append(Sent("editMessageText", params, message_id))
        return self._ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "edit_date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": text,
            }
        )

    async def _api_sendDocument(self, params: dict[str, Any]) -> web.Response:
        with self._lock:
            self.sent.append(Sent("sendDocument", params))
        return self._ok(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "document": {"file_id": "doc", "file_unique_id": "doc", "file_name": "x.csv"},
            }
        )

    async def _api_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id", ""))
        with self._lock:
            self.sent.append(Sent("getFile", params))
            content = self.files.get(file_id)
        if content is None:
            return self._bad_request("invalid file_id")
        return self._ok(
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(content),
                "file_path": f"documents/{file_id}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].removeprefix("documents/")
        with self._lock:
            content = self.files.get(file_id)
        if content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=content, content_type="application/octet-stream")

    async def _api_getChatMember(self, params: dict[str, Any]) -> web.Response:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        with self._lock:
            self.sent.append(Sent("getChatMember", params))
        user = self._user(user_id)
        if chat_id == user_id:
            return self._ok({"status": "member", "user": user})
        if user_id not in self.chat_admins.get(chat_id, set()):
            return self._ok({"status": "member", "user": user})
        rights = dict.fromkeys(
            [
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ],
            False,
        )
        return self._ok({"status": "administrator", "user": user, **rights})

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        with self._lock:
            self.sent.append(Sent("answerCallbackQuery", params))
        return self._ok(True)


def _markup(params: dict[str, Any]) -> str:
    """A reply markup in one canonical form (PTB sends it as a JSON string or an object)."""
    markup = params.get("reply_markup")
    if not markup:
        return ""
    value = json.loads(markup) if isinstance(markup, str) else markup
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def text_update(update_id: int, chat: int, text: str, first_name: str = "小王") -> dict[str, Any]:
    """A private text message as Telegram posts it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": first_name},
        },
    }
