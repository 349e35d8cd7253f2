"""The demo's use cases and "Open Call 1": the snapshot of its Markdown export, its challenges, idempotence.

The Markdown export of ``open-call-1`` must equal ``tests/data/open-call-1.md`` byte for byte, so
that any change of the export or of the demo shows up here. When a change is intended, rewrite the
file and read the difference before committing it::

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/calls/test_demo_call.py
    git diff tests/data/open-call-1.md
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import docx
import pytest
from sqlmodel import func, select

from workshops.audit.models import AuditEntry
from workshops.auth.models import User
from workshops.calls import exports, report
from workshops.calls.composition import call_by_slug
from workshops.calls.demo import SLUG
from workshops.calls.formats import CALL_FORMATS, REPORT_FORMATS
from workshops.calls.models import Challenge, OpenCall
from workshops.needs import demo as needs_demo
from workshops.needs.models import Need
from workshops.usecases import demo
from workshops.usecases.models import UseCase, UseCaseComment, UseCaseNeed, UseCaseRevision
from workshops.usecases.template_default import DEFAULT_TEMPLATE

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "open-call-1.md"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
SECTIONS = [line for line in DEFAULT_TEMPLATE.splitlines() if line.startswith("## ")]
ROWS = (UseCase, UseCaseRevision, UseCaseNeed, UseCaseComment, OpenCall, Challenge, AuditEntry)


def _seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(app, db, ctx):
    """The demo, loaded once through the command line."""
    return _seed(app)


def _call_text(db) -> exports.CallText:
    call = call_by_slug(db, SLUG)
    assert call is not None, "the demo has no call with the slug open-call-1"
    return exports.read(db, call)


def test_the_markdown_export_of_open_call_1_matches_the_snapshot(seeded, db):
    written = exports.markdown(_call_text(db))
    if UPDATE:
        SNAPSHOT.write_text(written, encoding="utf-8")
    if not SNAPSHOT.exists():
        pytest.fail(
            f"{SNAPSHOT} is missing. Write it with UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest "
            f"tests/calls/test_demo_call.py, read it, and commit it."
        )
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if written != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                written.splitlines(keepends=True),
                fromfile="tests/data/open-call-1.md",
                tofile="export of open-call-1",
                n=2,
            )
        )
        shown = "\n".join(diff.splitlines()[:60])
        pytest.fail(
            "The Markdown export of the demo call differs from its snapshot.\n"
            "If the change is intended, rewrite the snapshot and review it:\n"
            "    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/calls/test_demo_call.py\n"
            "    git diff tests/data/open-call-1.md\n\n" + shown,
            pytrace=False,
        )


def test_open_call_1_was_published_and_is_closed_with_challenges_in_three_domains(seeded, db):
    call = call_by_slug(db, SLUG)
    assert (call.name, call.state, call.timezone) == ("Open Call 1", "closed", "Europe/Brussels")
    # 09:00 in Brussels in winter, 17:00 in summer; published the day it opened, closed when it closed.
    assert call.opens_at == call.published_at == datetime(2022, 1, 17, 8, tzinfo=UTC)
    assert call.closes_at == call.updated_at == datetime(2022, 4, 15, 15, tzinfo=UTC)
    assert call.closes_at == datetime(2022, 4, 15, 15, tzinfo=UTC)
    call_text = _call_text(db)
    assert call_text.dates() == "Opens 17 January 2022, 09:00 CET; closes 15 April 2022, 17:00 CEST."
    assert [group.domain.slug for group in call_text.groups] == [
        "sensitive-infrastructure-protection",
        "disaster-resilience",
        "public-spaces-and-major-events",
    ]
    challenges = call_text.challenges()
    assert [c.number for c in challenges] == ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2"]
    accepted = [item["title"] for item in demo.load() if item["state"] == "accepted"]
    assert sorted(c.title for c in challenges) == sorted(accepted)
    # One challenge was moved: the order is not the order the use cases were added in.
    assert [c.title for c in challenges] != accepted
    stored = db.exec(select(Challenge).where(Challenge.call_id == call.id)).all()
    assert all(c.revision_number == 3 and c.body for c in stored)  # frozen on publication
    for challenge in challenges:
        counts = call_text.counts[challenge.challenge.use_case_id]
        assert counts.needs >= 2 and counts.organisations >= 1 and counts.workshops >= 1, challenge.title


def test_the_json_export_of_open_call_1_lists_its_challenges(seeded, db):
    document = json.loads(exports.as_json(_call_text(db)))
    assert document["call"] == {
        "name": "Open Call 1",
        "slug": "open-call-1",
        "opens_at": "2022-01-17T08:00:00Z",
        "closes_at": "2022-04-15T15:00:00Z",
    }
    challenges = document["challenges"]
    assert [c["number"] for c in challenges] == ["1.1", "1.2", "2.1", "2.2", "3.1", "3.2"]
    assert len({c["domain"] for c in challenges}) == 3
    by_title = {item["title"]: item for item in demo.load()}
    for challenge in challenges:
        item = by_title[challenge["title"]]
        assert challenge["summary"] == item["summary"]
        assert (challenge["trl_min"], challenge["trl_max"]) == (item["trl_min"], item["trl_max"])
        assert challenge["owners"] == (item["owners"] if item["owners_may_be_named"] else [])
        # The demo feeds no internal need to a challenge; a merged need counts the needs stated behind it.
        assert challenge["needs"] == _stated_behind(db, item["needs"])


def _stated_behind(db, titles: list[str]) -> int:
    """How many needs were stated behind the needs of these titles, following merges by hand."""
    needs = list(db.exec(select(Need)))
    children: dict[int, list[Need]] = {}
    for need in needs:
        if need.merged_into_id is not None:
            children.setdefault(need.merged_into_id, []).append(need)

    def leaves(need: Need) -> list[Need]:
        below = children.get(need.id, [])
        return [leaf for child in below for leaf in leaves(child)] if below else [need]

    linked = [need for need in needs if need.title in titles and need.merged_into_id is None]
    return len({leaf.id for need in linked for leaf in leaves(need)})


def test_every_export_of_open_call_1_is_written(seeded, db):
    call_text = _call_text(db)
    for key, format_ in CALL_FORMATS.items():
        assert format_.data(call_text), key
    built = report.build(db, call_text)
    assert [part.workshop.starts_at.year for part in built.workshops] == [2021, 2021, 2021]
    for key, format_ in REPORT_FORMATS.items():
        assert format_.data(built), key


def test_the_docx_exports_of_open_call_1_never_skip_a_heading_level(seeded, db):
    call_text = _call_text(db)
    for name, data in (("call", exports.docx(call_text)), ("report", report.docx(report.build(db, call_text)))):
        document = docx.Document(io.BytesIO(data))
        levels = [int(p.style.name.split()[1]) for p in document.paragraphs if p.style.name.startswith("Heading ")]
        assert levels and levels[0] == 1, name
        skips = [(i, a, b) for i, (a, b) in enumerate(pairwise(levels)) if b > a + 1]
        assert not skips, f"the {name} skips a heading level at (position, from, to): {skips}"
    # The use cases' sections sit one level below their challenge (Heading 3).
    headings = [(p.style.name, p.text) for p in docx.Document(io.BytesIO(exports.docx(call_text))).paragraphs]
    first = next(i for i, (style, text) in enumerate(headings) if text.startswith("Challenge 1.1: "))
    assert headings[first][0] == "Heading 3"
    assert next(h for h in headings[first + 1 :] if h[0].startswith("Heading")) == ("Heading 4", "Context")


def test_the_demo_use_cases_went_through_the_review(seeded, db):
    use_cases = db.exec(select(UseCase).order_by(UseCase.id)).all()
    assert len(use_cases) == len(demo.load()) == 8
    assert Counter(u.state for u in use_cases) == {"accepted": 6, "in_review": 1, "draft": 1}
    assert len({u.domain_id for u in use_cases if u.state == "accepted"}) == 3
    organiser = db.exec(select(User).where(User.email == "organiser@example.org")).one()
    changes = {"draft": ["Created"], "in_review": ["Created", "Sent for review"]}
    changes["accepted"] = [*changes["in_review"], "Accepted"]
    for use_case in use_cases:
        revisions = db.exec(
            select(UseCaseRevision).where(UseCaseRevision.use_case_id == use_case.id).order_by(UseCaseRevision.number)
        ).all()
        assert [r.number for r in revisions] == list(range(1, use_case.version + 1))
        assert [re.sub(r" from \d+ needs", "", r.change) for r in revisions] == changes[use_case.state]
        assert {r.author_id for r in revisions} == {organiser.id} and use_case.created_by_id == organiser.id
        assert [r.created_at.year for r in revisions] == [2021] * len(revisions)  # the synthesis of December 2021
        assert revisions[-1].body == use_case.body and revisions[-1].state == use_case.state
        needs = db.exec(select(Need).join(UseCaseNeed).where(UseCaseNeed.use_case_id == use_case.id)).all()
        assert 2 <= len(needs) <= 5 and all(n.state == "open" for n in needs), use_case.title
    audited = db.exec(select(AuditEntry.detail).where(AuditEntry.action == "use_case_state")).all()
    assert Counter(audited) == {"draft -> in_review": 7, "in_review -> accepted": 6}
    [comment] = db.exec(select(UseCaseComment)).all()
    assert comment.author.email == "facilitator@example.org"
    assert db.get(UseCase, comment.use_case_id).state == "accepted"


def test_seeding_twice_adds_nothing(seeded, app, db):
    assert "; 8 use cases, 1 calls added." in seeded
    before = {model.__name__: db.exec(select(func.count()).select_from(model)).one() for model in ROWS}
    again = _seed(app)
    assert "; 0 use cases, 0 calls added." in again
    after = {model.__name__: db.exec(select(func.count()).select_from(model)).one() for model in ROWS}
    assert after == before


def test_the_data_file_names_open_demo_needs_and_follows_the_template():
    data = json.loads(needs_demo.DATA.read_text(encoding="utf-8"))
    titles = {item["title"] for item in data["needs"]} | {merge["title"] for merge in data["merges"]}
    merged_away = {title for merge in data["merges"] for title in merge["needs"]}
    items = demo.load()
    assert {item["domain"] for item in items} == {
        "sensitive-infrastructure-protection",
        "disaster-resilience",
        "public-spaces-and-major-events",
    }
    for item in items:
        assert set(item["needs"]) <= titles - merged_away, item["title"]
        assert 2 <= len(item["needs"]) <= 5
        body = "\n".join(item["body"])
        assert [line for line in item["body"] if line.startswith("## ")] == SECTIONS, item["title"]
        assert 250 <= len(body.split()) <= 500, item["title"]
        kpis = body.split("## Success criteria and KPIs", 1)[1].split("\n## ", 1)[0]
        assert len(re.findall(r"^- ", kpis, flags=re.MULTILINE)) >= 3, item["title"]
        assert item["owners"] and 1 <= item["trl_min"] <= item["trl_max"] <= 9
    assert any("| --- |" in "\n".join(item["body"]) for item in items)
