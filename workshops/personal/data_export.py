"""Everything the application holds about one person: read for "My data", and written as one JSON file.

The page and the file read through the same functions, so that what a person sees is what they
download. Every query is bounded by the person's own id: another person's data never comes in.
Times are ISO 8601 in UTC. Left out on purpose: the password hash and the session token (secrets,
not information about the person), and a need's similarity vector and search text (derived from
its text, which is included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from workshops.audit import services as audit
from workshops.audit.models import AuditAction, AuditEntry
from workshops.auth.models import User
from workshops.events import consents, queries
from workshops.events.models import Breakout, Registration
from workshops.needs.models import Need, Vote
from workshops.needs.services import needs_of
from workshops.timeutil import utcnow
from workshops.usecases.models import UseCase, UseCaseComment

#: Need columns not exported: derived from the text for the look-ups, meaningless to a reader.
NEED_LEFT_OUT = frozenset({"similarity_vector", "search_text"})


@dataclass(frozen=True)
class VoteLine:
    """One vote, with the need and the breakout it counts in."""

    vote: Vote
    need: Need
    breakout: Breakout


@dataclass(frozen=True)
class CommentLine:
    """One comment the person wrote on a use case."""

    comment: UseCaseComment
    use_case: UseCase


@dataclass(frozen=True)
class PersonalData:
    """What the application holds about one person."""

    user: User
    consents: list[consents.ConsentLine]
    registrations: list[Registration]
    needs: list[Need]
    votes: list[VoteLine]
    comments: list[CommentLine]
    audit: list[AuditEntry]


def gather(session: Session, user: User) -> PersonalData:
    """Read everything about ``user`` (a handful of queries, each limited to their own rows)."""
    votes = session.exec(
        select(Vote, Need, Breakout)
        .join(Need, col(Need.id) == Vote.need_id)
        .join(Breakout, col(Breakout.id) == Vote.breakout_id)
        .where(Vote.user_id == user.id)
        .order_by(col(Vote.created_at).desc(), col(Vote.id).desc())
    ).all()
    comments = session.exec(
        select(UseCaseComment, UseCase)
        .join(UseCase, col(UseCase.id) == UseCaseComment.use_case_id)
        .where(UseCaseComment.author_id == user.id)
        .order_by(col(UseCaseComment.created_at).desc(), col(UseCaseComment.id).desc())
    ).all()
    audit = session.exec(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                and_(AuditEntry.target_type == "account", AuditEntry.target_id == user.id),
            )
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    ).all()
    return PersonalData(
        user=session.exec(select(User).where(User.id == user.id).options(selectinload(User.cluster))).one(),
        consents=consents.consents_of(session, user),
        registrations=queries.registrations_of(session, user),
        needs=needs_of(session, user),
        votes=[VoteLine(vote=v, need=n, breakout=b) for v, n, b in votes],
        comments=[CommentLine(comment=c, use_case=u) for c, u in comments],
        audit=list(audit),
    )


def download(*, session: Session, user: User) -> str:
    """Everything about the person as a JSON document, the download recorded in the audit log."""
    document = as_json(gather(session, user))
    audit.record(AuditAction.export, target_type="account", target_id=user.id, detail="my data")
    return json.dumps(document, ensure_ascii=False, indent=2)


def iso(moment: datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC (``2021-11-16T08:30:00+00:00``)."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def as_json(data: PersonalData) -> dict[str, Any]:
    """The whole of ``data`` as JSON-ready values."""
    user = data.user
    return {
        "exported_at": iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "organisation": user.organisation,
            "organisation_type": user.organisation_type,
            "country": user.country,
            "cluster": user.cluster.name if user.cluster else None,
            "role": user.role,
            "confirmed_at": iso(user.confirmed_at),
            "created_at": iso(user.created_at),
            "last_login_at": iso(user.last_login_at),
        },
        "consents": [_consent(line) for line in data.consents],
        "registrations": [_registration(r) for r in data.registrations],
        "needs": [_need(need) for need in data.needs],
        "votes": [
            {
                "need_id": line.need.id,
                "need_title": line.need.title,
                "breakout_id": line.breakout.id,
                "breakout": line.breakout.title,
                "voted_at": iso(line.vote.created_at),
            }
            for line in data.votes
        ],
        "use_case_comments": [
            {
                "id": line.comment.id,
                "use_case_id": line.use_case.id,
                "use_case": line.use_case.title,
                "body": line.comment.body,
                "created_at": iso(line.comment.created_at),
            }
            for line in data.comments
        ],
        "audit_entries": [
            {name: _plain(getattr(entry, name)) for name in AuditEntry.model_fields} for entry in data.audit
        ],
    }


def _consent(line: consents.ConsentLine) -> dict[str, Any]:
    consent = line.consent
    return {
        "id": consent.id,
        "kind": consent.kind,
        "meaning": line.words,
        "registration_id": consent.registration_id,
        "workshop": line.registration.workshop.title if line.registration else None,
        "notice_version": consent.notice_version,
        "given_at": iso(consent.given_at),
        "withdrawn_at": iso(consent.withdrawn_at),
    }


def _registration(registration: Registration) -> dict[str, Any]:
    workshop = registration.workshop
    return {
        "id": registration.id,
        "workshop": {
            "slug": workshop.slug,
            "title": workshop.title,
            "starts_at": iso(workshop.starts_at),
            "ends_at": iso(workshop.ends_at),
        },
        "state": registration.state,
        "mode": registration.mode,
        "waitlist_position": registration.waitlist_position,
        "dietary": registration.dietary,
        "accessibility": registration.accessibility,
        "consent_processing_at": iso(registration.consent_processing_at),
        "consent_listing_at": iso(registration.consent_listing_at),
        "privacy_notice_version": registration.privacy_notice_version,
        "checked_in_at": iso(registration.checked_in_at),
        "reminder_sent_at": iso(registration.reminder_sent_at),
        "created_at": iso(registration.created_at),
        "updated_at": iso(registration.updated_at),
        "cancelled_at": iso(registration.cancelled_at),
        "breakouts": [
            {
                "breakout_id": seat.breakout_id,
                "breakout": seat.breakout.title,
                "starts_at": iso(seat.breakout.starts_at),
                "ends_at": iso(seat.breakout.ends_at),
                "state": seat.state,
                "waitlist_position": seat.waitlist_position,
                "created_at": iso(seat.created_at),
            }
            for seat in sorted(registration.seats, key=lambda s: (s.breakout.starts_at, s.breakout_id))
        ],
    }


def _need(need: Need) -> dict[str, Any]:
    values = {name: _plain(getattr(need, name)) for name in Need.model_fields if name not in NEED_LEFT_OUT}
    values["workshop"] = need.breakout.workshop.title
    values["breakout"] = need.breakout.title
    values["captured_by_a_facilitator"] = need.captured_by_id is not None
    return values
