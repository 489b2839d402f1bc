"""The database: SQLite under var/ by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Several workers start at once on one PostgreSQL database; the first to take this
# transaction lock migrates, the others wait and then find the schema at head.
MIGRATION_LOCK_KEY = 0x6D696772  # "migr"


def database_url(var_dir: Path, configured: str | None) -> str:
    if configured:
        return configured
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'assistant.db'}"


def make_engine(url: str, connections: int | None = None) -> Engine:
    """`connections`: how many the pool keeps open (a few more are opened when needed)."""
    sized = {"pool_size": connections} if connections else {}
    return create_engine(url, pool_pre_ping=True, **sized)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_head() -> str:
    """The newest Alembic revision this code knows: the schema it expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations"
    return head


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
