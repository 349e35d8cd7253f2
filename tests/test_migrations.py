"""Migrations: the schema Alembic builds is the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from workshops.migrate import MIGRATIONS, alembic_config
from workshops.models import metadata


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


def test_upgrading_keeps_existing_breakouts_with_board_defaults(tmp_path):
    from sqlalchemy import text

    from workshops.db import make_engine
    from workshops.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workshop (slug, title, timezone, starts_at, ends_at, format, venue, online_link, "
                "description, state, calendar_sequence, created_at, updated_at) VALUES ('w', 'W', 'Europe/Paris', "
                "'2030-01-01 09:00:00', '2030-01-01 17:00:00', 'on_site', '', '', '', 'draft', 0, "
                "'2029-01-01 00:00:00', '2029-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO breakout (workshop_id, title, starts_at, ends_at, room, online_room, code) "
                "VALUES (1, 'B', '2030-01-01 10:00:00', '2030-01-01 11:00:00', '', '', 'abc')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT board_visibility, votes_per_person, board_version FROM breakout")).one()
    engine.dispose()
    assert tuple(row) == ("attendees", 3, 0)


def test_upgrading_gives_stored_needs_their_search_text(tmp_path):
    from sqlalchemy import text

    from workshops.db import make_engine
    from workshops.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workshop (slug, title, timezone, starts_at, ends_at, format, venue, online_link, "
                "description, state, calendar_sequence, created_at, updated_at) VALUES ('w', 'W', 'Europe/Paris', "
                "'2030-01-01 09:00:00', '2030-01-01 17:00:00', 'on_site', '', '', '', 'draft', 0, "
                "'2029-01-01 00:00:00', '2029-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO breakout (workshop_id, title, starts_at, ends_at, room, online_room, code, "
                "board_visibility, votes_per_person, board_version) "
                "VALUES (1, 'B', '2030-01-01 10:00:00', '2030-01-01 11:00:00', '', '', 'abc', 'attendees', 3, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO need (breakout_id, title, statement, context, desired_outcome, affected, constraints, "
                "urgency, organisation, organisation_type, country, tags, sensitivity, state, dismissed_reason, "
                "stated_by_name, version, created_at, updated_at) VALUES (1, 'Résilience du réseau', 'We need it.', "
                "'', '', '', '', 3, 'Ville de Nice', 'end_user', 'FR', 'Crues', :sensitivity, 'open', '', '', 1, "
                "'2029-01-01 00:00:00', '2029-01-01 00:00:00')"
            ),
            [{"sensitivity": "public"}, {"sensitivity": "anonymous"}],
        )
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT search_text FROM need ORDER BY id")).scalars().all()
    engine.dispose()
    assert rows == [
        " resilience du reseau we need it crues ville de nice",
        " resilience du reseau we need it crues",  # an anonymous need is not found by its organisation
    ]


def test_the_audit_log_takes_the_use_case_and_call_actions_and_gives_them_back_on_downgrade(tmp_path):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from workshops.db import make_engine
    from workshops.migrate import downgrade, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    insert = text(
        "INSERT INTO audit_entry (at, action, target_type, detail, ip) "
        "VALUES ('2027-01-01 00:00:00', :action, 'call', '', '')"
    )
    with engine.begin() as connection:
        connection.execute(insert, {"action": "call_published"})
    downgrade(engine, "0007")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == 0
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"action": "call_published"})
    engine.dispose()


def test_going_back_and_forth_over_rebuilt_tables_keeps_the_rows_that_point_at_them(tmp_path):
    """SQLite rebuilds a table to drop a column; the seats, needs and votes referring to it must survive."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from tests import factories
    from workshops.db import make_engine
    from workshops.events.models import BreakoutSeat
    from workshops.migrate import downgrade, upgrade
    from workshops.needs.models import Need

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        workshop = factories.make_workshop(session)
        breakout = factories.make_breakout(session, workshop)
        person = factories.make_user(session)
        factories.make_seat(session, factories.make_registration(session, workshop, person), breakout)
        session.add(Need(breakout_id=breakout.id, title="A need", statement="We need it.", urgency=3))
        session.commit()
    downgrade(engine, "0011")
    upgrade(engine)
    with Session(engine) as session:
        counts = [session.exec(select(func.count()).select_from(model)).one()[0] for model in (BreakoutSeat, Need)]
    engine.dispose()
    assert counts == [1, 1]
