"""A published challenge keeps its rendered, sanitised HTML; every export and the call page read it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from tests.calls.conftest import _build
from workshops.calls import composition, exports, rendered
from workshops.calls.formats import CALL_FORMATS
from workshops.calls.models import Challenge, OpenCall
from workshops.markdown import RENDERER, render_markdown
from workshops.usecases.models import UseCase, UseCaseRevision

DANGEROUS = """## Context

<script>alert("body")</script>

<img src="x" onerror="alert('img')">

[click](javascript:alert('link')) and <a href="javascript:alert('a')" onclick="alert('a')">here</a>
"""
STORED_COLUMNS = ("body_html", "body_nested_html", "body_word_html")


@pytest.fixture
def published(app, db):
    """The shared call, published: the id of the call."""
    with app.app_context():
        call_id = _build(db).call.id
        composition.publish(db, db.get(OpenCall, call_id))
        db.expire_all()
        return call_id


def _challenges(db, call_id: int) -> list[Challenge]:
    return list(db.exec(select(Challenge).where(Challenge.call_id == call_id).order_by(Challenge.id)))


def _all_exports(db, call_id: int) -> dict[str, bytes]:
    db.expire_all()
    call_text = exports.read(db, db.get(OpenCall, call_id))
    return {key: format_.data(call_text) for key, format_ in CALL_FORMATS.items()}


def _word_document(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()


def test_publishing_keeps_each_body_rendered_the_three_ways_with_the_renderers_version(app, db, published):
    for challenge in _challenges(db, published):
        expected = rendered.render(challenge.body)
        assert challenge.rendered_with == rendered.VERSION
        assert (challenge.body_html, challenge.body_nested_html, challenge.body_word_html) == (
            expected.as_written,
            expected.nested,
            expected.word,
        )
        assert challenge.body_nested_html.startswith("<h5>Context</h5>")  # under "Challenge 1.1", a level 4


def test_every_export_and_the_call_page_read_the_kept_html(app, db, client, published):
    kept = {
        "body_html": "<p>kept as written</p>",
        "body_nested_html": "<p>kept under the heading</p>",
        "body_word_html": "<p>kept for Word</p>",
    }
    db.exec(update(Challenge).where(Challenge.call_id == published).values(**kept))
    db.commit()
    data = _all_exports(db, published)
    assert [c["body_html"] for c in json.loads(data["json"])["challenges"]] == ["<p>kept as written</p>"] * 2
    assert data["csv"].decode().count("<p>kept as written</p>") == 2
    assert data["html"].decode().count("<p>kept under the heading</p>") == 2
    assert _word_document(data["docx"]).count("kept for Word") == 2
    page = client.get(f"/calls/{db.get(OpenCall, published).slug}/").get_data(as_text=True)
    assert page.count("<p>kept under the heading</p>") == 2


def test_a_script_in_a_challenges_markdown_is_inert_in_the_kept_html_and_in_every_export(app, db):
    with app.app_context():
        call_id = _build(db).call.id
        db.exec(update(UseCase).values(body=DANGEROUS))
        db.commit()
        composition.publish(db, db.get(OpenCall, call_id))
        for challenge in _challenges(db, call_id):
            for column in STORED_COLUMNS:
                html = getattr(challenge, column).lower()
                assert "<script" not in html and "onerror" not in html and "onclick" not in html, column
                assert "javascript:" not in html and "src=" not in html, column
        data = _all_exports(db, call_id)
    texts = {key: value.decode() for key, value in data.items() if key != "docx"}
    texts["docx"] = _word_document(data["docx"])
    for key, text in texts.items():
        lowered = text.lower()
        assert "<script" not in lowered and "<img" not in lowered, key
        assert '<a href="javascript:' not in lowered and "](javascript:" not in lowered, key  # inert as text


@pytest.mark.parametrize("stored_with", [None, "0.an-older-renderer"])
def test_challenges_without_this_renderers_html_get_it_on_their_first_read_and_keep_it(app, db, published, stored_with):
    expected = _all_exports(db, published)
    # As a call published before the HTML was kept (migration 0015), or by another renderer, left them.
    db.exec(
        update(Challenge)
        .where(Challenge.call_id == published)
        .values(body_html=None, body_nested_html=None, body_word_html=None, rendered_with=stored_with)
    )
    db.commit()
    engine = db.get_bind()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _all_exports(db, published) == expected  # the same bytes, rendered on the way
        first = list(statements)
        statements.clear()
        assert _all_exports(db, published) == expected
        second = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any(s.lstrip().upper().startswith("UPDATE CALL_CHALLENGE") for s in first)
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in second)  # kept: nothing to store again
    db.expire_all()
    for challenge in _challenges(db, published):
        assert challenge.rendered_with == rendered.VERSION
        assert challenge.body_html == str(render_markdown(challenge.body))


def test_reading_a_published_call_that_kept_its_html_stores_nothing(app, db, published):
    engine = db.get_bind()
    counted = []

    def count(*_args):
        counted.append(1)

    db.expire_all()
    call = db.get(OpenCall, published)
    event.listen(engine, "before_cursor_execute", count)
    try:
        exports.read(db, call)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # challenges, their use cases and domains, the call's domains and their positions, linked needs, origins
    assert len(counted) == 7


def test_a_draft_renders_its_use_cases_current_text(app, db):
    with app.app_context():
        call_id = _build(db).call.id
        db.exec(update(UseCase).values(body="Now **bold**."))
        db.commit()
        rows = json.loads(_all_exports(db, call_id)["json"])["challenges"]
        assert [row["body_html"] for row in rows] == ["<p>Now <strong>bold</strong>.</p>"] * 2
        assert all(c.rendered_with is None and c.body_html is None for c in _challenges(db, call_id))


def test_publishing_takes_the_html_a_revision_kept_and_gives_it_to_a_revision_without(app, db):
    with app.app_context():
        call_id = _build(db).call.id
        use_cases = list(db.exec(select(UseCase).order_by(UseCase.id)))
        kept, missing = use_cases
        db.add_all(
            [
                UseCaseRevision(
                    use_case_id=kept.id, number=1, change="Created", title=kept.title, trl_min=4, trl_max=7,
                    body=kept.body, state="accepted", body_html="<p>the revision's own</p>", rendered_with=RENDERER,
                ),
                UseCaseRevision(
                    use_case_id=missing.id, number=1, change="Created", title=missing.title, trl_min=4, trl_max=7,
                    body=missing.body, state="accepted",
                ),
            ]
        )  # fmt: skip
        db.commit()
        composition.publish(db, db.get(OpenCall, call_id))
        by_use_case = {c.use_case_id: c for c in _challenges(db, call_id)}
        assert by_use_case[kept.id].body_html == "<p>the revision's own</p>"
        assert by_use_case[missing.id].body_html == str(render_markdown(missing.body))
        revision = db.exec(select(UseCaseRevision).where(UseCaseRevision.use_case_id == missing.id)).one()
        assert (revision.body_html, revision.rendered_with) == (str(render_markdown(missing.body)), RENDERER)
