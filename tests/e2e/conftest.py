"""A running `python -m bot run` against the Bot API stand-in, with a test settings file
(an admin, no quiet hours, fast pacing) and its own SQLite database."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, NluEndpoint, bot_env, spawn_bot, stop_process
from tests.support.botapi import BotApiStandIn

TOKEN = "123456789:TEST-abcdefghijklmnopqrstuvwxyz0123"
ADMIN = 9001
E2E_DUTIES_BASIS = "《测试用部门报送通知》"


@dataclass
class BotProcess:
    api: BotApiStandIn
    log_path: Path
    database_url: str
    start: Callable[[], subprocess.Popen[bytes]]
    metrics_port: int
    process: subprocess.Popen[bytes] | None = None

    def restart(self) -> None:
        self.process = self.start()

    def stop(self) -> None:
        """SIGINT, as Ctrl-C: the bot finishes its log on the way out."""
        if self.process is not None:
            stop_process(self.process)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def write_test_config(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    config["admins"] = [ADMIN]
    config["scheduler"]["quiet_hours"] = ["00:00", "00:00"]  # never quiet: tests run any time
    config["scheduler"]["messages_per_second"] = 20
    # The corpora (masking, hostile input) are pumped in faster than anyone types: no
    # throttle here; tests/e2e/test_loop.py runs the bot with config.yml's own.
    config["telegram"]["throttle"] = {"burst": 100_000, "per_second": 1000}
    # The plan's duties ended in 2022; the tests run today under an operator's extension.
    config["scheduler"]["duties"] = {"until": date(2099, 12, 31), "basis": E2E_DUTIES_BASIS}
    config["paths"] = {name: str(ROOT / value) for name, value in config["paths"].items()}
    config["paths"]["var"] = str(tmp_path / "var")
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def unthrottled_config(tmp_path: Path) -> Path:
    """config.yml as shipped but with no message throttle: for tests that type a dozen
    messages a second into one chat, as nobody does (tests/e2e/test_loop.py has the throttle)."""
    config = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))
    config["telegram"]["throttle"] = {"burst": 100_000, "per_second": 1000}
    config["paths"] = {name: str(ROOT / value) for name, value in config["paths"].items()}
    config["paths"]["var"] = str(tmp_path / "var")
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def telegram_env(
    endpoint: NluEndpoint,
    database_url: str,
    api: BotApiStandIn,
    config: Path | None = None,
    **extra: str,
) -> dict[str, str]:
    """Environment for a bot process talking to the Bot API stand-in (and a test config)."""
    if config is not None:
        extra["ASSISTANT_CONFIG"] = str(config)
    return bot_env(
        endpoint, database_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, **extra
    )


def running_bot(
    botapi: BotApiStandIn, env: dict[str, str], database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    """One `python -m bot run` against the stand-in, stopped (SIGINT) when the test ends."""
    log_path = tmp_path / "bot.log"
    running = BotProcess(
        botapi,
        log_path,
        database_url,
        lambda: spawn_bot(["run"], env, log_path),
        int(env["METRICS_PORT"]),
    )
    running.restart()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture()
def bot_process(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, any_database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    """On SQLite and on PostgreSQL."""
    env = telegram_env(nlu_endpoint, any_database_url, botapi, write_test_config(tmp_path))
    yield from running_bot(botapi, env, any_database_url, tmp_path)
