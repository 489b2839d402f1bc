"""Cold start: while the NLU service loads, `make run` and `python -m bot chat` say so with
the seconds waited, instead of a minute of silence. A slow service stand-in (a real thread
that takes its time, as Rasa's ~50 s start does) stands for the embedded Rasa server."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.assistant import running_assistant, start_with_progress
from bot.channels.console import StartupProgress
from bot.config import Settings


class SlowService:
    """Takes `seconds` to start, like the embedded Rasa server (nlu.service.NluService)."""

    def __init__(self, seconds: float, fail: bool = False) -> None:
        self.seconds, self.fail = seconds, fail
        self.url, self.token = "http://127.0.0.1:9", "t"
        self.exit_code: int | None = None  # never exits by itself
        self.stopped = threading.Event()

    def start(self, timeout: float = 600.0) -> None:
        time.sleep(self.seconds)
        if self.fail:
            raise RuntimeError("NLU service exited early")

    def stop(self) -> None:
        self.stopped.set()


async def test_progress_at_once_then_every_interval():
    seen: list[int] = []
    started = time.monotonic()
    await start_with_progress(SlowService(2.6), 60, seen.append, every=1.0)
    assert time.monotonic() - started >= 2.6
    assert seen == [0, 1, 2]


async def test_a_failed_start_is_not_hidden():
    with pytest.raises(RuntimeError, match="exited early"):
        await start_with_progress(SlowService(0.2, fail=True), 60, None, every=1.0)


async def test_the_assistant_says_it_is_loading(settings: Settings, tmp_path: Path):
    quick = replace(
        settings,
        nlu=replace(settings.nlu, url=None, progress_seconds=1.0),
        database_url=f"sqlite:///{tmp_path / 'assistant.db'}",
    )
    lines: list[str] = []
    service = SlowService(2.5)
    async with running_assistant(
        quick, on_wait=lines.append, service_factory=lambda _: service
    ) as assistant:
        assert assistant.nlu is not None
    assert lines[0] == "正在启动语言理解服务，约需一分钟…"
    assert lines[1:] == [
        "正在启动语言理解服务，约需一分钟…（已等待 1 秒）",
        "正在启动语言理解服务，约需一分钟…（已等待 2 秒）",
    ]
    assert service.stopped.is_set()


async def test_no_progress_when_the_service_is_already_running(settings: Settings, tmp_path):
    external = replace(
        settings,
        nlu=replace(settings.nlu, url="http://127.0.0.1:9"),
        database_url=f"sqlite:///{tmp_path / 'assistant.db'}",
    )
    lines: list[str] = []
    async with running_assistant(external, on_wait=lines.append):
        pass
    assert lines == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_progress_in_place_on_a_terminal_and_by_line_in_a_log():
    log = io.StringIO()
    progress = StartupProgress(log)
    progress("正在启动…")
    progress("正在启动…（已等待 10 秒）")
    progress.done()
    assert log.getvalue() == "正在启动…\n正在启动…（已等待 10 秒）\n"

    terminal = Terminal()
    progress = StartupProgress(terminal)
    progress("正在启动…")
    progress("正在启动…（已等待 10 秒）")
    progress.done()
    assert terminal.getvalue() == ("\r正在启动…\033[K\r正在启动…（已等待 10 秒）\033[K\r\033[K")
