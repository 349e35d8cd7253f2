"""Alembic environment: migrate the engine the application hands over."""

from alembic import context

from workshops.db import make_engine
from workshops.models import metadata

config = context.config
target_metadata = metadata()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: take the URL from the configuration
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            _foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if connection.dialect.name == "sqlite":
            _foreign_keys(connection, on=True)


def _foreign_keys(connection, *, on: bool) -> None:
    """Switch SQLite's foreign keys off while tables are rebuilt, and check them when switched back on.

    A batch migration copies a table, drops the old one and renames the copy. With foreign keys on,
    dropping the old table deletes every row that refers to it through ``ON DELETE CASCADE`` (a
    registration's seats, say). The pragma has no effect inside a transaction, so it goes to the
    driver's connection directly (which sends no ``BEGIN`` of its own, see ``db._sqlite_on_connect``).
    """
    driver = connection.connection.driver_connection
    if on:
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows whose references point nowhere: {broken[:5]}")
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `flask --app workshops init-db`.")
run_migrations_online()
