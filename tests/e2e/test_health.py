"""GET /healthz of the running bot tells the truth about its database: 503 with the reason
for a schema behind the code, a read-only database (PostgreSQL switched to read-only under
the running bot; SQLite opened read-only) and a deleted SQLite file; 200 again once fixed."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.store.db import alembic_config, make_engine, migrate, schema_head
from tests.conftest import NluEndpoint, spawn_bot, stop_process
from tests.e2e.conftest import BotProcess, telegram_env, write_test_config
from tests.support.botapi import BotApiStandIn
from tests.support.postgres import PostgresCluster


def _health(port: int, status: int, timeout: float = 60) -> dict:
    """Wait until /healthz answers with `status`; its JSON."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=15)
            seen = (response.status_code, response.text)
            if response.status_code == status:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/healthz never answered {status}; last: {seen}")


def _set_version(url: str, version: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
    engine.dispose()


def _previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config()).get_revision(schema_head())
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


def _read_only(cluster: PostgresCluster, database: str, on: bool) -> None:
    """Switch a database to read-only (or back) and end its sessions, so the bot's pool
    reconnects under the new setting."""
    with psycopg.connect(cluster.admin_url, autocommit=True) as admin:
        setting = (
            "SET default_transaction_read_only = on"
            if on
            else "RESET default_transaction_read_only"
        )
        admin.execute(f'ALTER DATABASE "{database}" {setting}')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )


def test_healthz_says_what_is_wrong_with_the_database(
    bot_process: BotProcess, request: pytest.FixtureRequest
):
    port, url = bot_process.metrics_port, bot_process.database_url
    assert _health(port, 200) == {"status": "ok", "nlu": True, "database": True}

    head, previous = schema_head(), _previous_revision()
    _set_version(url, previous)  # a schema behind the code
    report = _health(port, 503)
    assert report["database"] is False and report["nlu"] is True
    assert report["problems"] == {"database": f"schema at revision {previous}, expected {head}"}
    _set_version(url, head)
    _health(port, 200)

    if url.startswith("postgresql"):
        cluster = request.getfixturevalue("postgres")
        if isinstance(cluster, str):
            pytest.skip("needs the test cluster's superuser (TEST_POSTGRES_URL given)")
        database = url.rsplit("/", 1)[1]
        _read_only(cluster, database, on=True)
        report = _health(port, 503)
        assert report["problems"]["database"].startswith("read-only: ")
        _read_only(cluster, database, on=False)
        _health(port, 200)
    else:
        path = Path(url.removeprefix("sqlite:///"))
        path.unlink()
        report = _health(port, 503)
        assert report["problems"] == {"database": f"database file missing: {path.resolve()}"}


def test_healthz_503_for_a_read_only_sqlite_database(
    botapi: BotApiStandIn, nlu_endpoint: NluEndpoint, tmp_path: Path
):
    path = tmp_path / "assistant.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    # Opened read-only, as from a read-only volume (root ignores file permissions).
    env = telegram_env(
        nlu_endpoint,
        f"sqlite:///file:{path}?mode=ro&uri=true",
        botapi,
        write_test_config(tmp_path),
    )
    log_path = tmp_path / "bot.log"
    process = spawn_bot(["run"], env, log_path)
    try:
        report = _health(int(env["METRICS_PORT"]), 503, timeout=90)
        assert report["status"] == "unhealthy" and report["database"] is False
        assert report["problems"]["database"].startswith("read-only: ")
        assert "readonly" in report["problems"]["database"]
    finally:
        stop_process(process)
