"""The database check behind GET /healthz, on real SQLite and PostgreSQL: a migrated,
writable database passes; a read-only one, a deleted or replaced SQLite file and a schema
behind the code's migrations each fail, saying why; /healthz answers 503 with the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from bot.observability import HealthServer, Metrics
from bot.store.db import alembic_config, make_engine, migrate, schema_head
from bot.store.health import DatabaseHealth, sqlite_file
from tests.support.postgres import PostgresCluster


def _previous(revision: str) -> str:
    script = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    assert script is not None and isinstance(script.down_revision, str)
    return script.down_revision


@pytest.fixture()
def engine(any_database_url: str):
    engine = make_engine(any_database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _set_version(engine: Engine, version: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})


def test_a_migrated_writable_database_is_healthy(engine: Engine):
    health = DatabaseHealth(engine)
    assert health.head == schema_head()
    assert health.problems() == []
    # The probe's write was rolled back: nothing changed.
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
            schema_head()
        )


def test_a_schema_behind_the_code_is_reported(engine: Engine):
    head = schema_head()
    _set_version(engine, _previous(head))
    assert DatabaseHealth(engine).problems() == [
        f"schema at revision {_previous(head)}, expected {head}"
    ]
    _set_version(engine, head)
    assert DatabaseHealth(engine).problems() == []


def test_a_deleted_sqlite_file_is_reported_though_open_connections_still_work(tmp_path: Path):
    path = tmp_path / "assistant.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    health = DatabaseHealth(engine)
    assert health.problems() == []
    with engine.connect() as connection:  # keeps the pool's connection to the old file
        path.unlink()
        # What a SELECT 1 would see: the deleted file still answers.
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    assert health.problems() == [f"database file missing: {path.resolve()}"]
    engine.dispose()


def test_a_replaced_sqlite_file_is_reported(tmp_path: Path):
    path = tmp_path / "assistant.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    health = DatabaseHealth(engine)
    shutil.copy(path, tmp_path / "copy.db")
    (tmp_path / "copy.db").replace(path)  # e.g. a backup restored under the running bot
    assert health.problems() == [f"database file replaced since start: {path.resolve()}"]
    engine.dispose()


def test_a_read_only_sqlite_database_is_reported(tmp_path: Path):
    path = tmp_path / "assistant.db"
    writable = make_engine(f"sqlite:///{path}")
    migrate(writable)
    writable.dispose()
    # Opened read-only, as on a read-only volume (root ignores file permissions).
    engine = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert sqlite_file(engine.url) == path.resolve()
    problems = DatabaseHealth(engine).problems()
    assert len(problems) == 1 and problems[0].startswith("read-only: ")
    engine.dispose()


def test_a_read_only_postgresql_database_is_reported(postgres: PostgresCluster | str):
    if isinstance(postgres, str):
        pytest.skip("needs the test cluster's superuser (TEST_POSTGRES_URL given)")
    url = postgres.create_database("health_read_only")
    engine = make_engine(url)
    migrate(engine)
    health = DatabaseHealth(engine)
    assert health.problems() == []
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        admin.execute("ALTER DATABASE health_read_only SET default_transaction_read_only = on")
        engine.dispose()  # new sessions get the setting
        problems = health.problems()
        admin.execute("ALTER DATABASE health_read_only RESET default_transaction_read_only")
    engine.dispose()  # writable again from the next session
    assert len(problems) == 1 and problems[0].startswith("read-only: ")
    assert "read-only transaction" in problems[0]
    assert health.problems() == []


async def test_healthz_answers_503_and_says_why(tmp_path: Path):
    path = tmp_path / "assistant.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    health = DatabaseHealth(engine)

    async def database() -> str | None:
        return "; ".join(health.problems()) or None

    async def nlu() -> str | None:
        return None

    server = HealthServer(Metrics(), {"nlu": nlu, "database": database})
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            fine = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert fine.status_code == 200
            assert fine.json() == {"status": "ok", "nlu": True, "database": True}
            path.unlink()
            broken = await http.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        await server.stop()
        engine.dispose()
    assert broken.status_code == 503
    assert json.loads(broken.content) == {
        "status": "unhealthy",
        "nlu": True,
        "database": False,
        "problems": {"database": f"database file missing: {path.resolve()}"},
    }
