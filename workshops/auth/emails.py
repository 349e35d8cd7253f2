"""Account e-mail addresses: which ones an account may have, and the one form each is stored in.

One rule for every way an account is made (sign-up, ``create-user``, the demo data), so that no
account holds an address its owner could not type into the sign-up form, and every address is
stored and looked up in the same form. The rule is email-validator's (the library behind WTForms'
``Email``), without the DNS look-up: a real-world address, internationalised ones included
(``jürgen@bücher.de``), but no special-use domain such as ``.test``, ``.local`` or ``localhost``
(RFC 6761), which can never receive the confirmation, reset and notification e-mails an account
relies on.

Forms that look an existing account up (log-in, password reset, a new confirmation link) are
deliberately looser (``could_be_account_email``): an account made before this rule may hold an
address it now refuses, and its owner must still be able to log in.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from workshops.auth.models import User
from workshops.db import max_length

#: The column's limit, in characters of the stored form.
MAX_LENGTH = max_length(User, "email")
EXAMPLE = "Enter an e-mail address like name@example.org."
TOO_LONG = f"An e-mail address has at most {MAX_LENGTH} characters."


class EmailRefused(ValueError):
    """The address cannot belong to an account; the message says why, for the person."""


def account_email(address: str) -> str:
    """Return the form a new account's address is stored in, or raise ``EmailRefused``.

    Surrounding spaces go; the domain is lower-cased and written in Unicode (an IDN typed as
    ``xn--…`` is the same address), the local part NFC-normalised and lower-cased, so that one
    mailbox is one account whatever the case or spelling it was typed in.
    """
    return _validated(address).normalized.lower()


def _validated(address: str) -> ValidatedEmail:
    typed = address.strip()
    if not typed:
        raise EmailRefused("Enter your e-mail address.")
    if len(typed) > MAX_LENGTH:
        raise EmailRefused(TOO_LONG)
    try:
        valid = validate_email(typed, check_deliverability=False)
    except EmailNotValidError as error:
        raise EmailRefused(f"{error} {EXAMPLE}") from error
    if len(valid.normalized.lower()) > MAX_LENGTH:
        raise EmailRefused(TOO_LONG)
    return valid


def email_problem(address: str) -> str | None:
    """Return why an address cannot belong to a new account, or ``None`` when it can."""
    try:
        account_email(address)
    except EmailRefused as refusal:
        return str(refusal)
    return None


def could_be_account_email(address: str) -> bool:
    """Tell whether an account may hold this address, including accounts made before the rule.

    Before ``account_email`` existed the command line stored anything with an "@" up to the
    column's length, so that is all a log-in form may ask for.
    """
    typed = address.strip()
    return "@" in typed and len(typed) <= MAX_LENGTH


def lookup_emails(address: str) -> list[str]:
    """Return the stored forms an account with this address may have, the rule's own first.

    The rule's form, when the address passes it; then the forms accounts were stored in before the
    rule: trimmed and lower-cased as typed (a ``.test`` address made on the command line), and an
    IDN domain in its ASCII spelling (``xn--…``).
    """
    as_typed = address.strip().lower()
    try:
        valid = _validated(address)
    except EmailRefused:
        return [as_typed]
    forms = [valid.normalized.lower(), as_typed, (valid.ascii_email or "").lower()]
    return [form for index, form in enumerate(forms) if form and form not in forms[:index]]


def lookup_email(address: str) -> str:
    """Return the one stored form of an address someone typed: the key of its per-account limits."""
    return lookup_emails(address)[0]
