"""The database: SQLite under var/ by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(var_dir: Path, configured: str | None) -> str:
    if configured:
        return configured
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'assistant.db'}"


def make_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
