"""The demo accounts' password: published, for local use only (``make run`` prints it)."""

DEMO_PASSWORD = "demo-password-2021"  # noqa: S105  # nosec B105 - published demo log-in, local use only
