"""Shared fixtures. The real NLU service is started once per test session, on demand."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.policy_pack import PolicyPack, load_policy_pack
from bot.render import Renderer
from bot.store.db import make_engine, migrate, session_factory
from nlu.service import NluService, free_port
from tests.support.botapi import BotApiStandIn
from tests.support.postgres import PostgresCluster, start_cluster

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class NluEndpoint:
    url: str
    token: str | None

    def env(self) -> dict[str, str]:
        env = {"NLU_URL": self.url}
        if self.token:
            env["NLU_TOKEN"] = self.token
        return env


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(ROOT / "config.yml", env={})


@pytest.fixture(scope="session")
def pack(settings: Settings) -> PolicyPack:
    return load_policy_pack(settings.paths.policy)


@pytest.fixture(scope="session")
def renderer(settings: Settings, pack: PolicyPack) -> Renderer:
    return Renderer(settings.paths.responses, pack)


@pytest.fixture(scope="session")
def nlu_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NluEndpoint]:
    """The real Rasa model over HTTP: NLU_URL when given, else one service for the session."""
    if os.environ.get("NLU_URL"):
        yield NluEndpoint(os.environ["NLU_URL"], os.environ.get("NLU_TOKEN"))
        return
    service = NluService(log_dir=tmp_path_factory.mktemp("nlu-log"))
    service.start()
    try:
        yield NluEndpoint(service.url, service.token)
    finally:
        service.stop()


@pytest.fixture()
def botapi() -> Iterator[BotApiStandIn]:
    server = BotApiStandIn()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | str]:
    """PostgreSQL for the session: TEST_POSTGRES_URL, or a cluster started here."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def database_url(tmp_path: Path) -> str:
    """SQLite, the default store: for tests about something other than storage."""
    return f"sqlite:///{tmp_path / 'assistant.db'}"


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Storage tests run on both SQLite and PostgreSQL, each on a fresh database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'assistant.db'}"
    server = request.getfixturevalue("postgres")
    if isinstance(server, str):
        return server
    return server.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture()
def own_postgres_database(postgres: PostgresCluster | str) -> str:
    """A fresh PostgreSQL database of the test's own on the session cluster, for tests that
    start several processes on one database, crash them or race them."""
    if isinstance(postgres, str):
        pytest.fail("this test creates its own database on the session cluster")
    return postgres.create_database(f"own_{os.getpid()}_{next(_databases)}")


@pytest.fixture()
def sessions(any_database_url: str) -> Iterator[sessionmaker]:
    """A migrated database, SQLite and PostgreSQL in turn."""
    engine = make_engine(any_database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def bot_env(endpoint: NluEndpoint, database_url: str, **extra: str) -> dict[str, str]:
    """Environment for a `python -m bot` subprocess using the session's NLU service."""
    env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN"}}
    return {
        **env,
        **endpoint.env(),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "METRICS_PORT": str(free_port()),  # never the default port of a running bot
        **extra,
    }


def spawn_bot(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start `python -m bot ARGS` in the background, its output appended to log_path."""
    with log_path.open("a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


# The fields of one `ask --json` line, in order: a stable interface.
ASK_JSON_FIELDS = (
    "q",
    "intent",
    "confidence",
    "answered",
    "kind",
    "sections",
    "candidates",
    "text",
    "details",
)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a bot process as Ctrl-C would (SIGINT, so it logs and cleans up on the way out);
    killed if it has not ended within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_bot(
    args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# The configured time zone (config.yml → scheduler.timezone), and the system's clock in it
# (for tests that compare with what a running bot says today).
CLOCK = Clock.named(load_settings(ROOT / "config.yml", env={}).scheduler.timezone)
TZ = CLOCK.zone

PLAN_DAY = date(2020, 6, 1)
TODAY = date(2026, 11, 25)
