"""The Markdown a new use case's body starts from, until the organisers write their own template."""

DEFAULT_TEMPLATE = """\
## Context

_Who faces the problem, where and when, and how they manage today._

## The challenge

_What is missing or does not work well enough, in a few sentences._

## Expected solution and outcomes

_What a good solution would do, and what would be different once it is in use._

## Success criteria and KPIs

_How the end-users will tell that it works: measurable targets where possible._

## Test bed and data available

_Where the solution can be tried, with which equipment, people and data._

## Constraints (legal, ethical, privacy)

_Rules, certifications, personal data and anything else the solution must respect._
"""

#: The heading under which the needs a use case is created from are listed.
CONTEXT_HEADING = "## Context"
