"""The console channel: a REPL for people, and `ask` for scripts (JSON lines)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from bot.channels.commands import Command
from bot.dialogue.core import Dialogue
from bot.dialogue.types import Context, Reply
from bot.privacy import mask_personal_numbers
from bot.render import to_plain

PROMPT = "您> "
# The commands the console understands; /help lists them (from responses/commands.yml).
CONSOLE_COMMANDS = frozenset({"start", "menu", "help", "check"})
QUIT_WORDS = {"exit", "quit", "退出", ":q"}


class StartupProgress:
    """Progress while the NLU service loads ("正在启动语言理解服务…（已等待 20 秒）"): one line
    rewritten in place on a terminal, a line each otherwise (a log file, a pipe)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._in_place = stream.isatty()
        self._shown = False

    def __call__(self, text: str) -> None:
        if self._in_place:
            self._stream.write("\r" + text + "\033[K")
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the in-place line before the conversation starts."""
        if self._in_place and self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()


def show(reply: Reply, out: TextIO) -> dict[str, str]:
    """Print a reply; return its buttons' payloads by number ("1") and by label."""
    out.write(f"助手> {to_plain(reply.text)}\n")
    payloads: dict[str, str] = {}
    buttons = [button for row in reply.buttons for button in row]
    for number, button in enumerate(buttons, start=1):
        payloads.setdefault(button.label, button.data)
        payloads[str(number)] = button.data
        out.write(f"  [{number}] {button.label}\n")
    out.flush()
    return payloads


async def chat(
    dialogue: Dialogue,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    commands: Sequence[Command] = (),
) -> None:
    """Type a question; type a button's number (or its label) to press it; 退出 or Ctrl-D
    to leave. `commands`: the public commands, of which /help lists those the console has."""
    helped = [c for c in commands if c.name in CONSOLE_COMMANDS]
    context = Context()
    payloads = show(dialogue.welcome(), out)
    out.write("（输入问题回车即可；输入按钮编号可点选；输入“退出”结束）\n")
    while True:
        out.write(PROMPT)
        out.flush()
        line = await asyncio.to_thread(inp.readline)
        if not line:
            break
        text = line.strip()
        if text in QUIT_WORDS:
            break
        if text in payloads:
            reply = dialogue.handle_button(payloads[text], context)
        elif text in {"/start", "/menu"}:
            reply = dialogue.welcome()
        elif text == "/help":
            reply = dialogue.message("help", commands=helped)
        elif text == "/check":
            reply = dialogue.start_check(context)
        else:
            reply = await dialogue.handle_text(text, context)
        payloads = show(reply, out)
    out.write("助手> 再见！\n")


def reply_json(question: str, reply: Reply) -> str:
    """The `ask --json` contract: {"q", "intent", "confidence", "answered", "kind", "sections",
    "candidates", "text", "details"}. `text` is what a phone shows first; `details` is the
    rest of a long answer (its "详细说明" button), or null.
    `q` is echoed with personal numbers masked, since such output often ends up in files."""
    return json.dumps(
        {
            "q": mask_personal_numbers(question).text,
            "intent": reply.intent,
            "confidence": None if reply.confidence is None else round(reply.confidence, 4),
            "answered": reply.answered,
            "kind": reply.kind,
            "sections": list(reply.sections),
            "candidates": [
                {"topic": c.topic, "sections": list(c.sections), "score": round(c.score, 4)}
                for c in reply.candidates
            ],
            "text": to_plain(reply.text),
            "details": to_plain(reply.details) if reply.details else None,
        },
        ensure_ascii=False,
    )


async def ask(dialogue: Dialogue, questions: Iterable[str], as_json: bool, out: TextIO) -> None:
    """Answer each question independently (fresh context each)."""
    for question in questions:
        reply = await dialogue.handle_text(question, Context())
        if as_json:
            out.write(reply_json(question, reply) + "\n")
        else:
            details = f"\n{to_plain(reply.details)}" if reply.details else ""
            out.write(f"问：{question}\n答：{to_plain(reply.text)}{details}\n\n")
        out.flush()
