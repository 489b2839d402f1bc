"""Several workers starting at once on one fresh PostgreSQL database (a deployment's first
start): each migrates, none fails, and the schema ends at head once."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bot.store.db import make_engine, migrate, schema_head
from tests.support.postgres import PostgresCluster

WORKERS = 4


def test_workers_migrating_a_fresh_database_at_once_all_start(postgres: PostgresCluster | str):
    if isinstance(postgres, str):
        pytest.skip("needs a cluster of its own for a fresh database")
    url = postgres.create_database(f"migrate_race_{os.getpid()}")
    engines = [make_engine(url) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)

    def start_worker(index: int) -> None:
        start.wait()
        migrate(engines[index])

    with ThreadPoolExecutor(WORKERS) as pool:
        for done in [pool.submit(start_worker, i) for i in range(WORKERS)]:
            done.result()  # re-raises a worker's error
    with engines[0].connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert list(versions) == [schema_head()]
    for engine in engines:
        engine.dispose()
