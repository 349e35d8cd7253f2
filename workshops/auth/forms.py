"""Forms of the account screens; each validates everything on the server."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from workshops.auth.emails import EXAMPLE, could_be_account_email, email_problem
from workshops.auth.emails import MAX_LENGTH as EMAIL_MAX
from workshops.auth.models import OrganisationType, Role, User
from workshops.auth.passwords import MAX_LENGTH, password_problem
from workshops.countries import country_choices
from workshops.db import max_length
from workshops.forms import Form, LongSelect, options


def new_account_email(form, field) -> None:
    """Validator: an address a new account may have (``workshops.auth.emails``, as on the command line)."""
    problem = email_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


def existing_account_email(form, field) -> None:
    """Validator: an address some account may hold, older ones included, so no owner is refused at log-in."""
    if not could_be_account_email(field.data or ""):
        raise ValidationError(EXAMPLE)


def _email_field(rule, label: str = "Email") -> EmailField:
    return EmailField(
        label,
        validators=[DataRequired("Enter your e-mail address."), rule],
        render_kw={"autocomplete": "email", "spellcheck": "false", "maxlength": EMAIL_MAX},
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Choose a password.")],
        description="At least 12 characters. Spaces and any characters are welcome; "
        "a few unrelated words make a strong one.",
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )


class ProfileFields(Form):
    """The details a person gives about themselves, shared by sign-up and the profile page."""

    name = StringField(
        "Full name",
        validators=[DataRequired("Enter your name."), Length(max=max_length(User, "name"))],
        render_kw={"autocomplete": "name"},
    )
    organisation = StringField(
        "Organisation",
        validators=[DataRequired("Enter your organisation."), Length(max=max_length(User, "organisation"))],
        render_kw={"autocomplete": "organization"},
    )
    organisation_type = SelectField(
        "Type of organisation",
        choices=options([("", "Choose…")] + [(t.value, t.label) for t in OrganisationType]),
        validators=[DataRequired("Choose the type of your organisation.")],
    )
    country = SelectField(
        "Country",
        validators=[DataRequired("Choose your country.")],
        description="Where your organisation is based.",
        render_kw={"autocomplete": "country"},
        widget=LongSelect(),
    )
    cluster_id = SelectField(
        "Cluster (optional)",
        coerce=lambda value: int(value) if value else None,
        validators=[Optional()],
        description="The partner network you belong to, if any.",
    )

    def __init__(self, *args, clusters: list[tuple[int, str]] = (), **kwargs):
        """Fill the choices that come from the database."""
        super().__init__(*args, **kwargs)
        self.country.choices = options([("", "Choose…"), *country_choices()])
        self.cluster_id.choices = options([("", "None"), *clusters])

    def validate_cluster_id(self, field) -> None:
        """Only a cluster from the list."""
        allowed = {choice.value for choice in self.cluster_id.choices if choice.value}
        if field.data is not None and str(field.data) not in allowed:
            raise ValidationError("Choose a cluster from the list.")


class SignupForm(ProfileFields):
    """Sign up: the person's details, e-mail and a password."""

    email = _email_field(new_account_email)
    password = _new_password_field("Password")
    next = HiddenField()

    field_order = ("name", "email", "password", "organisation", "organisation_type", "country", "cluster_id")

    def validate_password(self, field) -> None:
        """Refuse short, common and personal passwords."""
        problem = password_problem(field.data or "", personal=[self.email.data or "", self.name.data or ""])
        if problem:
            raise ValidationError(problem)


class ProfileForm(ProfileFields):
    """Edit one's own details."""


class LoginForm(Form):
    """Log in with e-mail and password."""

    email = _email_field(existing_account_email)
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class EmailOnlyForm(Form):
    """Ask for a link by e-mail: a password reset or a new confirmation link."""

    email = _email_field(existing_account_email)
    next = HiddenField()


class ResetPasswordForm(Form):
    """Choose a new password from a reset link."""

    password = _new_password_field("New password")
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired("Repeat the password."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, personal: list[str] = (), **kwargs):
        """``personal`` holds the person's e-mail and name, which the password must not contain."""
        super().__init__(*args, **kwargs)
        self._personal = list(personal)

    def validate_password(self, field) -> None:
        """Refuse short, common and personal passwords."""
        problem = password_problem(field.data or "", personal=self._personal)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(ResetPasswordForm):
    """Change one's password, proving the current one."""

    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )

    field_order = ("current_password", "password", "confirm")


class RoleForm(Form):
    """An organiser sets a person's role."""

    role = SelectField("Role", choices=options((r.value, r.value.capitalize()) for r in Role))
    #: The filtered list to return to.
    next = HiddenField()
