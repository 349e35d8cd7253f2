"""Each revision keeps its body rendered and sanitised when it is written, with the renderer's version."""

from __future__ import annotations

from sqlmodel import select

from tests import factories
from workshops.markdown import RENDERER, render_markdown
from workshops.usecases import services
from workshops.usecases.models import UseCaseRevision


def test_every_revision_keeps_its_bodys_sanitised_html_as_it_is_written(app, db):
    author = factories.make_user(db, role="organiser")
    first = "## Context\n\nPorts <script>alert(1)</script> see *drones*.\n"
    second = "## Context\n\n[Read](javascript:alert(2)) **more**.\n"
    with app.app_context():
        use_case = services.create_use_case(
            session=db, author=author, values=services.UseCaseInput(title="Drones", body=first)
        )
        services.update_use_case(
            session=db,
            use_case=use_case,
            author=author,
            values=services.UseCaseInput(title="Drones", body=second),
            expected_version=use_case.version,
        )
    revisions = db.exec(
        select(UseCaseRevision).where(UseCaseRevision.use_case_id == use_case.id).order_by(UseCaseRevision.number)
    ).all()
    assert [(r.body_html, r.rendered_with) for r in revisions] == [
        (str(render_markdown(first)), RENDERER),
        (str(render_markdown(second)), RENDERER),
    ]
    assert all("<script" not in r.body_html and "javascript:" not in r.body_html for r in revisions)
    assert "<em>drones</em>" in revisions[0].body_html and "<strong>more</strong>" in revisions[1].body_html
