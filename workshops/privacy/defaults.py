"""The privacy notice a new installation starts with, until organisers publish their own."""

DEFAULT_NOTICE = """\
## Who processes your data

The organisers of this workshop series process the personal data you give when you create an
account and register for a workshop.

## What we keep and why

- Your name, e-mail address, organisation, its type and country: to manage your registration, to
  send you the practical details, and to trace the needs you state back to the organisations that
  stated them.
- Your attendance mode, breakouts, check-in, and any dietary or accessibility requirements: to
  organise the workshop. Requirements are seen by the organisers only.
- The needs you state in breakouts: to write the challenges of the open call.

Your organisation appears in public lists of participating organisations only if you agree to it
separately, and you can withdraw that at any time.

## How long

Registration details are deleted after the retention period that follows each workshop. Needs keep
their text; you can ask for your name to be removed from them.

## Your rights

You can see and download your data, correct it, withdraw a consent, or delete your account at any
time from your profile. For any question, write to the organisers.
"""
