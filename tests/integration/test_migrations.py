"""Several workers starting at once on one fresh PostgreSQL database (a deployment's first
start): each migrates, none fails, and the schema ends at head once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bot.store.db import make_engine, migrate, schema_head

WORKERS = 4


def test_workers_migrating_a_fresh_database_at_once_all_start(own_postgres_database: str):
    url = own_postgres_database
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
