"""What publishing a call will do, and what holds it up: read once for the confirmation page and its check.

Publishing freezes the challenges' text, e-mails the people whose needs feed them and makes the call
public; it cannot be undone. So the organisers' page first says exactly that, with the numbers
counted the way the publication itself counts them: the challenges ``composition.publish`` freezes,
and the people ``notifications.contributors`` writes to (the very function the sending goes
through). The page carries a ``token`` of what it showed; a publication sent with another token (the
call, a use case, the order or the template changed meanwhile, or someone else now wants the e-mail)
is shown the page again instead of going ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from workshops.calls import composition, notifications
from workshops.calls.composition import ChallengeText
from workshops.calls.models import CallState, OpenCall
from workshops.usecases import guidance
from workshops.usecases.services import template_body


@dataclass(frozen=True)
class Unfinished:
    """A challenge whose text still owes the use-case template something."""

    text: ChallengeText
    findings: list[guidance.Finding]

    @property
    def blocking(self) -> list[guidance.Finding]:
        """What holds up the publication (guidance left in, empty sections)."""
        return guidance.blocking(self.findings)


@dataclass(frozen=True)
class Publication:
    """What publishing the call now would do, or what stops it."""

    call: OpenCall
    challenges: list[ChallengeText]
    #: How many people the publication e-mails, counted as the sending counts them.
    recipients: int
    #: Everything that holds it up, in words, in the call's order; empty when it may go.
    problems: list[str]
    unfinished: list[Unfinished]
    #: What the confirmation showed, sent back with it.
    token: str

    @property
    def blocked(self) -> bool:
        """Whether something holds up the publication."""
        return bool(self.problems)

    @property
    def warnings(self) -> list[tuple[ChallengeText, guidance.Finding]]:
        """What does not hold it up but is worth a look: headings of the template that a text lacks."""
        return [(item.text, f) for item in self.unfinished for f in item.findings if not f.blocks_publication]


def unfinished(groups: list[composition.DomainGroup], template: str) -> list[Unfinished]:
    """The challenges whose text still owes ``template`` (the one in force) something, in the call's order."""
    found = []
    for group in groups:
        for text in group.challenges:
            findings = guidance.findings(text.body, template)
            if findings:
                found.append(Unfinished(text, findings))
    return found


def preview(session: Session, call: OpenCall) -> Publication:
    """What publishing ``call`` now would do: the challenges frozen, the people e-mailed, what stops it."""
    groups = composition.grouped(session, call, fresh=True)
    template = template_body(session)
    challenges = [text for group in groups for text in group.challenges]
    problems = (
        ["This call is no longer a draft: it is published already."]
        if call.state != CallState.draft
        else composition.problems(session, call, groups, template=template)
    )
    recipients = len(notifications.contributors(session, call)) if challenges else 0
    return Publication(
        call=call,
        challenges=challenges,
        recipients=recipients,
        problems=problems,
        unfinished=unfinished(groups, template),
        token=f"{composition.fingerprint(call, groups, template)}.{recipients}",
    )


def text_fingerprint(token: str) -> str:
    """The part of a confirmation's token that ``composition.publish`` checks under the lock."""
    return token.split(".", 1)[0]
