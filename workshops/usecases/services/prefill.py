"""A first draft of a use case from its needs: title, owners and a body quoting each need safely."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlmodel import Session

from workshops.auth.models import OrganisationType
from workshops.db import max_length
from workshops.events.models import TestBed
from workshops.markdown import escape as escape_markdown
from workshops.needs import provenance
from workshops.needs.models import Need, Sensitivity
from workshops.needs.provenance import Origin
from workshops.needs.queries import vote_counts
from workshops.search import fold
from workshops.usecases.models import (
    UseCase,
)
from workshops.usecases.services.core import UseCaseInput
from workshops.usecases.services.template import template_body
from workshops.usecases.template_default import CONTEXT_HEADING


def _cut(text: str, limit: int) -> str:
    """The text cut to ``limit`` characters at a word, with an ellipsis when something was left out."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def need_bullet(need: Need) -> str:
    """One need as the Context section lists it: its title, workshop and breakout.

    The parts are escaped as Markdown (so that a ``*`` shows as typed) but keep ``<`` and ``&`` as
    they are: this is source the organiser edits, and the renderer sanitises whatever HTML it holds.
    """
    title, workshop, breakout = (
        escape_markdown(part, inline_gt=False, source=True)
        for part in (need.title, need.breakout.workshop.title, need.breakout.title)
    )
    return f"- {title} ({workshop}, {breakout})"


def body_with_needs(template: str, needs: list[Need]) -> str:
    """The template with a bullet per need under "## Context" (after its hint), or a Context section first."""
    if not needs:
        return template
    bullets = [need_bullet(need) for need in needs]
    lines = template.splitlines()
    heading = next((i for i, line in enumerate(lines) if line.strip().lower() == CONTEXT_HEADING.lower()), None)
    if heading is None:
        return "\n".join([CONTEXT_HEADING, "", *bullets, "", *lines]) + "\n"
    at = heading + 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at < len(lines) and re.fullmatch(r"\s*([_*]).+\1\s*", lines[at]):
        at += 1  # the section's italic hint stays first
    else:
        at = heading + 1
    after = lines[at:]
    if after and after[0].strip():
        after = ["", *after]
    return "\n".join([*lines[:at], "", *bullets, *after]) + "\n"


def owners_from(needs: Iterable[Need | Origin]) -> str:
    """The organisations of the end-users and public authorities behind the needs, one per line.

    Pass the stated needs (``needs.provenance``): a merged need names no organisation of its own.

    Only public needs name theirs: an anonymous need's organisation is never shown to others, and
    an internal one is never published. The same organisation spelled with other accents or case
    is named once.
    """
    seen: dict[str, str] = {}
    for need in needs:
        name = need.organisation.strip()
        if name and need.organisation_type in OWNER_TYPES and need.sensitivity == Sensitivity.public:
            seen.setdefault(fold(name), name)
    limit = max_length(UseCase, "owners")
    lines: list[str] = []
    for name in seen.values():
        if len("\n".join([*lines, name])) > limit:
            break
        lines.append(name)
    return "\n".join(lines)


def quotable(needs: Iterable[Need]) -> list[Need]:
    """The needs whose words a draft may quote: never an internal one, which is never published."""
    return [need for need in needs if need.sensitivity != Sensitivity.internal]


def prefill(session: Session, needs: list[Need]) -> UseCaseInput:
    """A first draft of a use case from needs: the organiser edits it before saving.

    The title is the most-voted need's; the summary joins their statements; the domain and test bed
    are theirs when they share one; the owners are their end-user organisations; the body is the
    template with the needs listed under its Context heading. Internal needs are linked (they count
    for the organisers) but their words are never drafted into the text: ``quotable`` leaves them out.
    """
    quoted = quotable(needs)
    body = body_with_needs(template_body(session), quoted)[: max_length(UseCase, "body")]
    if not needs:
        return UseCaseInput(title="", body=body)
    votes = vote_counts(session, [need.id for need in quoted])
    top = max(quoted, key=lambda need: votes.get(need.id, 0), default=None)  # the first of the most voted
    statements = dict.fromkeys(" ".join(need.statement.split()) for need in quoted if need.statement.strip())
    domains = {need.domain_id for need in needs}
    domain_id = domains.pop() if len(domains) == 1 else None
    test_beds = {need.test_bed_id for need in needs}
    test_bed_id = test_beds.pop() if len(test_beds) == 1 and domain_id is not None else None
    if test_bed_id is not None:
        test_bed = session.get(TestBed, test_bed_id)
        test_bed_id = test_bed_id if test_bed is not None and test_bed.domain_id == domain_id else None
    return UseCaseInput(
        title=top.title[: max_length(UseCase, "title")] if top else "",
        summary=_cut(" ".join(statements), max_length(UseCase, "summary")),
        domain_id=domain_id,
        test_bed_id=test_bed_id,
        owners=owners_from(provenance.distinct(provenance.origins(session, [need.id for need in needs]).values())),
        body=body,
    )


#: Organisation types whose organisations are proposed as the challenge's owners.
OWNER_TYPES = frozenset({OrganisationType.end_user, OrganisationType.public_authority})
