"""Countries as ISO 3166-1 alpha-2 codes with their English names, for forms and lists."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def country_choices() -> list[tuple[str, str]]:
    """Every country as ``(code, name)``, sorted by name."""
    countries = ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries)
    return sorted(countries, key=lambda item: item[1])


@cache
def country_names() -> dict[str, str]:
    """Map codes to names."""
    return dict(country_choices())


def country_name(code: str | None) -> str:
    """The English name of a country code, or the code itself when unknown."""
    return country_names().get(code or "", code or "")
