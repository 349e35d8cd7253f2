"""Migrations: the schema Alembic builds is the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from workshops.db import metadata
from workshops.migrate import MIGRATIONS, alembic_config


def test_models_and_migrations_agree(app):
    engine = app.extensions["workshops.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata()) == []


def test_database_is_at_the_single_head(app):
    engine = app.extensions["workshops.engine"]
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert len(script.get_heads()) == 1
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == script.get_current_head()
    assert MIGRATIONS.is_dir()
