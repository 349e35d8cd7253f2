"""The command line of PRODUCT.md: init-db, create-user, seed-demo."""

from __future__ import annotations

from sqlmodel import select

from workshops.auth.models import User
from workshops.auth.passwords import verify_password
from workshops.demo import DEMO_PASSWORD
from workshops.programme.models import Cluster, Domain


def test_create_user_reads_the_password_from_stdin(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "Lena@Example.org", "--name", "Lena Berg", "--role", "organiser", "--password-stdin"],
        input="glacier window parsley 7\n",
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User)).one()
    assert (user.email, user.name, user.role) == ("lena@example.org", "Lena Berg", "organiser")
    assert user.confirmed_at is not None
    with app.app_context():
        assert verify_password(user.password_hash, "glacier window parsley 7")


def test_create_user_defaults_to_participant(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "p@example.org", "--name", "P", "--password-stdin"], input="glacier window parsley 7\n"
    )
    assert result.exit_code == 0, result.output
    assert db.exec(select(User)).one().role == "participant"


def test_create_user_refuses_an_existing_address(app, participant):
    result = app.test_cli_runner().invoke(
        args=["create-user", "PAT@example.org", "--name", "Again", "--password-stdin"],
        input="glacier window parsley 7\n",
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_create_user_refuses_an_address_the_log_in_form_would_refuse(app, db):
    """Issue 19: ``org@securit.test`` made an account nobody could log in to (and it was listed)."""
    result = app.test_cli_runner().invoke(
        args=["create-user", "org@securit.test", "--name", "Org", "--password-stdin"],
        input="glacier window parsley 7\n",
    )
    assert result.exit_code == 1
    assert "'org@securit.test' cannot be an account's e-mail address" in result.output
    assert "special-use or reserved name" in result.output
    assert db.exec(select(User)).all() == []


def test_create_user_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "w@example.org", "--name", "W", "--password-stdin"], input="password1234\n"
    )
    assert result.exit_code == 1
    assert "too common" in result.output
    assert db.exec(select(User)).all() == []


def test_seed_demo_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "8 clusters, 3 domains, 3 accounts, 6 test beds, 70 people, 4 workshops" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert (
        "0 clusters, 0 domains, 0 accounts, 0 test beds, 0 people, 0 workshops, 0 registrations, 0 needs added"
        in second.output
    )

    assert len(db.exec(select(Cluster)).all()) == 8
    assert [d.name for d in db.exec(select(Domain).order_by(Domain.position))] == [
        "Sensitive infrastructure protection",
        "Disaster resilience",
        "Public spaces protection & major events",
    ]
    roles = {u.email: u.role for u in db.exec(select(User)) if not u.email.startswith("demo")}
    assert roles == {
        "organiser@example.org": "organiser",
        "facilitator@example.org": "facilitator",
        "participant@example.org": "participant",
    }
    organiser = db.exec(select(User).where(User.email == "organiser@example.org")).one()
    with app.app_context():
        assert verify_password(organiser.password_hash, DEMO_PASSWORD)


def test_seed_demo_first_time_leaves_a_used_database_alone(app, db, participant):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--first-time"])
    assert result.exit_code == 0
    assert db.exec(select(Cluster)).all() == []


def test_demo_organiser_can_log_in(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    from tests.conftest import post_form

    response = post_form(client, "/login", {"email": "organiser@example.org", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/manage/users").status_code == 200


def test_init_db_is_safe_to_run_again(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "newest schema" in result.output


def test_demo_has_a_past_series_and_an_open_upcoming_one_with_a_waiting_list(app, db, client):
    from workshops.events.models import BreakoutSeat, TestBed, Workshop

    app.test_cli_runner().invoke(args=["seed-demo"])
    workshops = db.exec(select(Workshop).order_by(Workshop.starts_at)).all()
    past = [w for w in workshops if w.starts_at.year == 2021]
    assert [w.starts_at.month for w in past] == [11, 11, 11]
    upcoming = [w for w in workshops if w.state == "published"]
    assert len(upcoming) == 1
    test_beds = db.exec(select(TestBed)).all()
    assert len(test_beds) >= 5
    assert len({t.domain_id for t in test_beds}) == 3
    waiting = db.exec(select(BreakoutSeat).where(BreakoutSeat.state == "waitlisted")).all()
    assert [s.waitlist_position for s in waiting] == [1, 2]
    page = client.get(f"/workshops/{upcoming[0].slug}/").get_data(as_text=True)
    assert "Full: waiting list" in page
    assert 'href="/workshops/securit-workshop-open-call-2/register"' in page
    assert "SecurIT workshop: needs for Open Call 2" in client.get("/").get_data(as_text=True)


def test_demo_has_needs_with_votes_in_the_past_breakouts(app, db, organiser_client):
    from workshops.needs.models import Need, Vote
    from workshops.needs.similarity import is_current

    app.test_cli_runner().invoke(args=["seed-demo"])
    needs = db.exec(select(Need)).all()
    assert len(needs) >= 30
    assert len({n.breakout_id for n in needs}) == 6
    assert all(is_current(n.similarity_vector) for n in needs)
    assert len(db.exec(select(Vote)).all()) > 20
    page = organiser_client.get(f"/b/{needs[0].breakout.code}").get_data(as_text=True)
    assert needs[0].title in page
    assert "This breakout is closed" in page
