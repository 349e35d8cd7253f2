"""Command line: ``flask --app workshops COMMAND`` (PRODUCT.md lists the commands)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlmodel import select

from workshops.auth.emails import EmailRefused, account_email
from workshops.auth.models import OrganisationType, Role, User
from workshops.auth.passwords import password_problem
from workshops.calls.cli import export_call_command, export_report_command
from workshops.db import make_engine, new_session
from workshops.timeutil import utcnow


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(export_call_command)
    app.cli.add_command(export_report_command)
    app.cli.add_command(purge_expired_command)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Migrate the database to the newest schema.

    The migration has an engine of its own, without the application's statement time-out: a
    schema change on a large table may rightly take longer than any request.
    """
    from workshops.migrate import upgrade

    engine = make_engine(current_app.config["DATABASE_URL"])
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo("Database is at the newest schema.")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.participant.value)
@click.option("--organisation", default="", help="Organisation name.")
@click.option("--organisation-type", type=click.Choice([t.value for t in OrganisationType]), default="other")
@click.option("--country", default="", help="ISO 3166-1 alpha-2 code.")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
def create_user_command(
    email: str, name: str, role: str, organisation: str, organisation_type: str, country: str, password_stdin: bool
) -> None:
    """Create a confirmed account; exit 1 with a message if the e-mail exists or the sign-up form would refuse it."""
    from workshops.auth import services

    try:  # before the password prompt, so that nobody types a password for nothing
        email = account_email(email)
    except EmailRefused as refusal:
        raise click.ClickException(f"{email!r} cannot be an account's e-mail address. {refusal}") from refusal
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, personal=[email, name])
    if problem:
        raise click.ClickException(problem)
    profile = services.Profile(
        name=name, organisation=organisation, organisation_type=organisation_type, country=country.upper()
    )
    with new_session() as session:
        try:
            user = services.create_user(
                session=session, email=email, password=password, profile=profile, role=Role(role)
            )
        except services.AccountError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}).")


@click.command("seed-demo")
@with_appcontext
@click.option("--first-time", is_flag=True, help="Only load the demo into a database without accounts.")
def seed_demo_command(first_time: bool) -> None:
    """Load the demo data (idempotent)."""
    from workshops.demo import seed_demo

    with new_session() as session:
        if first_time and session.exec(select(User.id).limit(1)).first() is not None:
            return
        summary = seed_demo(session=session)
    click.echo(summary)


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """E-mail tomorrow's registrants once (run it daily, e.g. from cron)."""
    from workshops.events.reminders import send_reminders

    with new_session() as session, current_app.test_request_context("/"):
        sent = send_reminders(session=session)
    click.echo(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@click.command("purge-expired")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, and delete nothing.")
def purge_expired_command(dry_run: bool) -> None:
    """Delete the registration details of workshops past their retention period (run it daily)."""
    from workshops.personal.retention import purge

    with new_session() as session:
        done = purge(
            session=session, now=utcnow(), default_months=current_app.config["RETENTION_MONTHS"], dry_run=dry_run
        )
    if not done:
        click.echo("Nothing to purge.")
        return
    verb = "Would purge" if dry_run else "Purged"
    for item in done:
        click.echo(
            f"{verb} “{item.title}” (due {item.due_at:%Y-%m-%d}): {_plural(item.registrations, 'registration')}"
            f" and {_plural(item.internal_needs, 'internal need')}; "
            f"{_plural(item.participants, 'participant')} kept as {_plural(item.attendance_rows, 'count')}."
        )
    registrations = sum(item.registrations for item in done)
    needs = sum(item.internal_needs for item in done)
    click.echo(
        f"{verb} {_plural(len(done), 'workshop')}: {_plural(registrations, 'registration')} and "
        f"{_plural(needs, 'internal need')} {'would be ' if dry_run else ''}deleted."
    )
