"""Alembic, driven from the application: ``init-db`` and the tests upgrade through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine``, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database at head."""
    upgrade(engine)
    command.revision(alembic_config(engine), message=message, autogenerate=True)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` (for tests of a migration's way back)."""
    command.downgrade(alembic_config(engine), revision)
