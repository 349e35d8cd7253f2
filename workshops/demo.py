"""Demo data: the SecurIT programme's clusters, domains, demo accounts, test beds and workshops.

Loading twice adds nothing: every row is looked up by its natural key first. Later features add
their part of the demo (workshops, needs, use cases, calls) here.
"""

from __future__ import annotations

from sqlmodel import Session, select

from workshops.auth import services as accounts
from workshops.auth.demo import DEMO_PASSWORD
from workshops.auth.models import OrganisationType, Role
from workshops.calls.demo import seed_call
from workshops.events.demo import seed_workshops
from workshops.needs.demo import seed_needs
from workshops.programme.models import Cluster, Domain, ProgrammeSettings
from workshops.usecases.demo import seed_use_cases

CLUSTERS = [
    ("Safe Cluster", "Safe", "FR", "Aix-en-Provence", "https://www.safecluster.com"),
    ("Pôle SCS", "SCS", "FR", "Rousset", "https://www.pole-scs.org"),
    ("LSEC – Leaders in Security", "LSEC", "BE", "Leuven", "https://www.lsec.eu"),
    ("L3CE – Lithuanian Cybercrime Centre of Excellence", "L3CE", "LT", "Vilnius", "https://l3ce.eu"),
    ("Hague Security Delta", "HSD", "NL", "The Hague", "https://securitydelta.nl"),
    ("Systematic Paris-Région", "Systematic", "FR", "Paris", "https://systematic-paris-region.org"),
    ("CenSec", "CenSec", "DK", "", "https://censec.dk"),
    ("FundingBox", "FundingBox", "PL", "Warsaw", "https://fundingbox.com"),
]

DOMAINS = [
    (
        "Sensitive infrastructure protection",
        "sensitive-infrastructure-protection",
        "Ports, airports, energy, water and other sites whose failure would hurt many people.",
    ),
    (
        "Disaster resilience",
        "disaster-resilience",
        "Preparing for, responding to and recovering from floods, fires, storms and industrial accidents.",
    ),
    (
        "Public spaces protection & major events",
        "public-spaces-and-major-events",
        "Keeping squares, stations, festivals and sports events safe without closing them off.",
    ),
]

DEMO_ACCOUNTS = [
    ("organiser@example.org", "Olivia Organiser", Role.organiser, "Safe Cluster", OrganisationType.cluster, "FR"),
    (
        "facilitator@example.org",
        "Frank Facilitator",
        Role.facilitator,
        "Hague Security Delta",
        OrganisationType.cluster,
        "NL",
    ),
    (
        "participant@example.org",
        "Paula Participant",
        Role.participant,
        "City of Antwerp",
        OrganisationType.end_user,
        "BE",
    ),
]


def seed_demo(*, session: Session) -> str:
    """Load whatever part of the demo is missing; return a one-line summary."""
    added = {"clusters": 0, "domains": 0, "accounts": 0}
    clusters = {c.short_name: c for c in session.exec(select(Cluster))}
    for name, short_name, country, city, website in CLUSTERS:
        if short_name not in clusters:
            cluster = Cluster(name=name, short_name=short_name, country=country, city=city, website=website)
            session.add(cluster)
            clusters[short_name] = cluster
            added["clusters"] += 1
    existing_domains = set(session.exec(select(Domain.slug)))
    for position, (name, slug, description) in enumerate(DOMAINS, start=1):
        if slug not in existing_domains:
            session.add(Domain(name=name, slug=slug, position=position, description=description))
            added["domains"] += 1
    if session.get(ProgrammeSettings, 1) is None:  # most clusters keep Central European Time
        session.add(ProgrammeSettings(id=1, timezone="Europe/Brussels"))
    session.commit()

    home_cluster = {"Safe Cluster": "Safe", "Hague Security Delta": "HSD"}
    for email, name, role, organisation, organisation_type, country in DEMO_ACCOUNTS:
        if accounts.find_user_by_email(session, email) is not None:
            continue
        cluster = clusters.get(home_cluster.get(organisation, ""))
        profile = accounts.Profile(
            name=name,
            organisation=organisation,
            organisation_type=organisation_type.value,
            country=country,
            cluster_id=cluster.id if cluster else None,
        )
        accounts.create_user(session=session, email=email, password=DEMO_PASSWORD, profile=profile, role=role)
        added["accounts"] += 1
    added.update(seed_workshops(session=session, clusters=clusters))
    added["needs"] = seed_needs(session=session)
    use_cases, calls = seed_use_cases(session=session), seed_call(session=session)
    loaded = ", ".join(f"{count} {what}" for what, count in added.items())
    return f"Demo data loaded: {loaded} added; {use_cases} use cases, {calls} calls added."
