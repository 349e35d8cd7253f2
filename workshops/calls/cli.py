"""``flask --app workshops export-call SLUG`` and ``export-report SLUG``: the exports without a browser."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.db import new_session


def _write(output: Path, data: bytes) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data):,} bytes).")


def _call(session, slug: str):
    from workshops.calls.composition import call_by_slug

    call = call_by_slug(session, slug)
    if call is None:
        raise click.ClickException(f"There is no call with the slug {slug!r}.")
    return call


@click.command("export-call")
@with_appcontext
@click.argument("slug")
@click.option("--format", "format_", type=click.Choice(list(CALL_FORMATS)), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write.")
def export_call_command(slug: str, format_: str, output: Path) -> None:
    """Write the call text of a call in one format."""
    from workshops.calls import exports

    with new_session() as session:
        data = CALL_FORMATS[format_].data(exports.read(session, _call(session, slug)))
    _write(output, data)


@click.command("export-report")
@with_appcontext
@click.argument("slug")
@click.option("--format", "format_", type=click.Choice(list(REPORT_FORMATS)), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write.")
def export_report_command(slug: str, format_: str, output: Path) -> None:
    """Write the consultation report of a call in one format (it is for organisers: keep it so)."""
    from workshops.calls import exports, report

    with new_session() as session:
        data = REPORT_FORMATS[format_].data(report.build(session, exports.read(session, _call(session, slug))))
    _write(output, data)
