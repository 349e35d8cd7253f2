"""Who stated a captured need: an attendee of the breakout chosen by name, or an outsider.

A need captured by a facilitator counts for the organisation of the person who said it: every
count the call and the consultation report show reads the stated needs' organisation, type and
country (``needs.provenance``). So the console never takes those from what was typed when the
speaker is an attendee: the attendee's own profile decides. Two attendees of one breakout may
share a name; each is then offered as "Name (Organisation)", and the plain name alone is refused
as ambiguous rather than credited to either.
"""

from __future__ import annotations

from dataclasses import dataclass

from workshops.auth.models import OrganisationType, User, organisation_type_label
from workshops.countries import country_name

NOT_GIVEN = "organisation not given"
#: The organisation type stored for an outsider whose type was not given.
UNKNOWN_TYPE = OrganisationType.other.value


def fold(name: str) -> str:
    """A name as compared: case and runs of spaces ignored."""
    return " ".join(name.split()).casefold()


def speaker_labels(attendees: list[User]) -> dict[int, str]:
    """How each attendee is offered in the list: the name, or "Name (Organisation)" when two share it.

    Labels are unique within the breakout: where even the organisation does not tell two people of
    one name apart, a number does.
    """
    by_name: dict[str, list[User]] = {}
    for person in attendees:
        by_name.setdefault(fold(person.name), []).append(person)
    labels: dict[int, str] = {}
    for people in by_name.values():
        if len(people) == 1:
            labels[people[0].id] = people[0].name
            continue
        details = {person.id: person.organisation or NOT_GIVEN for person in people}
        repeated = [fold(text) for text in details.values()]
        for number, person in enumerate(sorted(people, key=lambda p: p.id), start=1):
            detail = details[person.id]
            if repeated.count(fold(detail)) > 1:
                detail = f"{detail}, {number}"
            labels[person.id] = f"{person.name} ({detail})"
    return labels


@dataclass(frozen=True)
class SpeakerChoice:
    """What the speaker field names: an attendee, an outsider (``attendee`` None), or a problem to show."""

    attendee: User | None = None
    problem: str = ""


def choose_speaker(name: str, attendee_id: str, attendees: list[User]) -> SpeakerChoice:
    """The attendee a typed name (and the id the page's script picked, if any) stands for.

    The id alone never decides: it must be an attendee of this breakout whose name or label is the
    one typed, so that neither a stale id nor a crafted one credits the need to someone else.
    Without an id, the name decides when exactly one attendee has it (or that label).
    """
    labels = speaker_labels(attendees)
    wanted = fold(name)
    named = [person for person in attendees if wanted in (fold(person.name), fold(labels[person.id]))]
    if attendee_id:
        chosen = next((person for person in attendees if str(person.id) == attendee_id.strip()), None)
        if chosen is None:
            return SpeakerChoice(
                problem="This person is not an attendee of this breakout: choose a name from the list, "
                "or type the name of someone from outside."
            )
        if chosen not in named:
            return SpeakerChoice(
                problem="The name does not match the attendee chosen: choose the name from the list again."
            )
        return SpeakerChoice(attendee=chosen)
    if len(named) > 1:
        return SpeakerChoice(
            problem=f"{len(named)} attendees are called {name}: choose one from the list, where each shows "
            "their organisation."
        )
    return SpeakerChoice(attendee=named[0] if named else None)


def credit_line(
    name: str, choice: SpeakerChoice, *, organisation: str = "", organisation_type: str = "", country: str = ""
) -> str:
    """The "Credited to: …" line beside the capture button: whom the need will count for.

    The page's script writes the same words as the speaker changes (static/js/needs/speaker.js).
    """
    if not name.strip():
        return "Credited to: no one yet. Type who said it."
    if choice.problem:
        return f"Credited to: not decided yet. {choice.problem}"
    if choice.attendee is not None:
        person = choice.attendee
        return "Credited to: " + ", ".join(
            [person.name, _details(person.organisation, person.organisation_type, person.country)]
        )
    return f"Credited to: {name.strip()}, an outsider, " + _details(organisation, organisation_type, country)


def _details(organisation: str, organisation_type: str, country: str) -> str:
    parts = [organisation.strip() or NOT_GIVEN]
    if organisation_type:
        parts.append(organisation_type_label(organisation_type, short=True))
    if country:
        parts.append(country_name(country))
    return " · ".join(parts)


def speaker_options(attendees: list[User]) -> list[dict]:
    """What the page's script needs to fill the organisation fields as an attendee is chosen."""
    labels = speaker_labels(attendees)
    return [
        {
            "id": person.id,
            "name": person.name,
            "label": labels[person.id],
            "organisation": person.organisation,
            "organisation_type": person.organisation_type,
            "country": person.country,
            "credit": credit_line(person.name, SpeakerChoice(attendee=person)),
        }
        for person in attendees
    ]
