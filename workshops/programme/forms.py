"""Forms of the organisers' screens for clusters, domains and the programme's settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel import Session, SQLModel, select
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from workshops.countries import country_choices
from workshops.db import max_length
from workshops.forms import SLUG_PATTERN, Form, LongSelect, TimezoneField, at_most, options
from workshops.programme.models import Cluster, Domain
from workshops.timeutil import timezone_choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(model: type[SQLModel], name: str, label: str, *, required: str | None = None, **kwargs) -> StringField:
    limit = max_length(model, name)
    validators = [DataRequired(required)] if required else []
    validators.append(at_most(limit))
    return StringField(label, validators=validators, filters=[_strip], render_kw={"maxlength": limit}, **kwargs)


def _taken(session: Session, model: type[SQLModel], name: str, value: str, current: SQLModel | None) -> bool:
    """Whether another row of ``model`` already has ``value`` in column ``name``."""
    other = session.exec(select(model.id).where(getattr(model, name) == value)).first()
    return other is not None and (current is None or other != current.id)


class ClusterForm(Form):
    """Create or edit a cluster."""

    name = _text(Cluster, "name", "Name", required="Enter the cluster's name.")
    short_name = _text(
        Cluster, "short_name", "Short name", required="Enter a short name.", description="Used in lists, e.g. LSEC."
    )
    country = SelectField("Country", validators=[DataRequired("Choose the country.")], widget=LongSelect())
    city = _text(Cluster, "city", "City")
    website = _text(Cluster, "website", "Website", description="e.g. https://www.lsec.eu")

    def __init__(self, *args, session: Session, cluster: Cluster | None = None, **kwargs):
        """``cluster`` is the one being edited (it may keep its own name)."""
        super().__init__(*args, **kwargs)
        self._session = session
        self._cluster = cluster
        self.country.choices = options([("", "Choose…"), *country_choices()])

    def validate_name(self, field) -> None:
        """Names are unique."""
        if _taken(self._session, Cluster, "name", field.data, self._cluster):
            raise ValidationError("Another cluster has this name.")

    def validate_website(self, field) -> None:
        """A web address, if any."""
        parts = urlsplit(field.data or "")
        if field.data and (parts.scheme not in ("http", "https") or not parts.netloc or " " in field.data):
            raise ValidationError("Enter a full web address starting with https:// (or http://).")

    def values(self) -> dict:
        """What to store."""
        return {
            "name": self.name.data,
            "short_name": self.short_name.data,
            "country": self.country.data,
            "city": self.city.data or "",
            "website": self.website.data or "",
        }


class DomainForm(Form):
    """Create or edit a domain."""

    name = _text(Domain, "name", "Name", required="Enter the domain's name.")
    slug = _text(
        Domain,
        "slug",
        "Short name in addresses",
        required="Enter a short name.",
        description="Lowercase letters, digits and hyphens, e.g. disaster-resilience.",
    )
    position = IntegerField(
        "Position",
        validators=[
            InputRequired("Enter the position: 1 comes first."),
            NumberRange(min=0, max=1000, message="Enter a number from 0 to 1000."),
        ],
        description="The order of the domains in calls and lists: 1 comes first.",
        render_kw={"min": 0, "max": 1000, "inputmode": "numeric"},
    )
    description = TextAreaField(
        "Description",
        validators=[at_most(max_length(Domain, "description"))],
        filters=[_strip],
        description="One or two sentences on what the domain covers.",
        render_kw={"rows": 4, "maxlength": max_length(Domain, "description")},
    )

    def __init__(self, *args, session: Session, domain: Domain | None = None, **kwargs):
        """``domain`` is the one being edited (it may keep its own name and slug)."""
        super().__init__(*args, **kwargs)
        self._session = session
        self._domain = domain

    def validate_name(self, field) -> None:
        """Names are unique."""
        if _taken(self._session, Domain, "name", field.data, self._domain):
            raise ValidationError("Another domain has this name.")

    def validate_slug(self, field) -> None:
        """Lowercase letters, digits and hyphens, and no other domain's."""
        if not SLUG_PATTERN.match(field.data):
            raise ValidationError("Use lowercase letters, digits and single hyphens only, e.g. disaster-resilience.")
        if _taken(self._session, Domain, "slug", field.data, self._domain):
            raise ValidationError("Another domain has this short name.")

    def values(self) -> dict:
        """What to store."""
        return {
            "name": self.name.data,
            "slug": self.slug.data,
            "position": self.position.data,
            "description": self.description.data or "",
        }


class ProgrammeSettingsForm(Form):
    """The programme's settings: the time zone new workshops and calls start with, and who accepts use cases."""

    timezone = TimezoneField(
        "Default time zone",
        # Checked below, with a message that says what to do instead of WTForms' "Not a valid choice".
        validate_choice=False,
        filters=[_strip],
        description="New workshops and calls start in this zone; each can still be given its own.",
        widget=LongSelect(),
    )
    organisers_accept_own = BooleanField(
        "Organisers may accept a use case they wrote",
        default=False,
        description="Off (the default): a use case is accepted by an organiser other than the person who created it, "
        "so that every challenge is read by a second person before it can go into a call.",
    )

    def __init__(self, *args, fallback: str, **kwargs):
        """``fallback`` is the configured zone, used while none is chosen here."""
        super().__init__(*args, **kwargs)
        self.timezone.choices = options(
            [("", f"None chosen: the server's zone, {fallback}"), *((zone, zone) for zone in timezone_choices())]
        )

    def validate_timezone(self, field) -> None:
        """One of the IANA zones offered, or none."""
        if field.data and field.data not in timezone_choices():
            raise ValidationError(
                f"“{field.data[:64]}” is not a time zone: choose one from the list, e.g. Europe/Vilnius."
            )

    def values(self) -> dict:
        """What to store."""
        return {"timezone": self.timezone.data or "", "organisers_accept_own": bool(self.organisers_accept_own.data)}
