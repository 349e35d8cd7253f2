"""Demo call: "Open Call 1" (January to April 2022), its challenges the accepted demo use cases.

The call is created as a draft, the six accepted demo use cases are added (each at the end of its
domain), one is moved up so that the order is the organisers' and not the order of adding, and the
call is published with :func:`workshops.calls.composition.publish`, which freezes each challenge's
text; nobody is e-mailed and nothing is audited (``workshops.calls.services`` does both for the
organisers' pages). Publishing stamps the present time, so the call's dates are then set to the day
it opened: the demo, and every export of it, are the same whenever they are seeded. Nothing is added
when the slug is taken already, or when the accepted demo use cases are missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select, update

from workshops.calls import composition
from workshops.calls.models import Challenge, OpenCall
from workshops.usecases.demo import load
from workshops.usecases.models import UseCase, UseCaseState

NAME = "Open Call 1"
SLUG = "open-call-1"
TIMEZONE = "Europe/Brussels"
ZONE = ZoneInfo(TIMEZONE)
OPENS = datetime(2022, 1, 17, 9, 0, tzinfo=ZONE)
CLOSES = datetime(2022, 4, 15, 17, 0, tzinfo=ZONE)
CREATED = datetime(2022, 1, 10, 11, 30, tzinfo=ZONE)
#: The challenge moved up one place after adding, within its domain: the cyber attack first.
MOVED_UP = "Keeping a container terminal running when ransomware strikes"

INTRODUCTION = """\
SecurIT helps small and medium-sized enterprises (SMEs) bring new security solutions to the people
who need them: cities, police forces, fire brigades and civil protection, and the operators of
ports, energy grids and other critical infrastructure. The programme is run by eight European
security clusters and funded by the European Union's Horizon 2020 programme (INNOSUP), which
passes the funding on to SMEs through open calls.

This first call asks for solutions to the challenges stated by end-users themselves. In November
2021, more than 35 end-users and integrators met in three workshops, one per domain, and stated
their needs in breakouts around real test beds. The organisers grouped those needs into the
challenges below; each names its challenge owners (where they agreed to be named) and the
evidence behind it.

# Timeline

| Step | When |
| --- | --- |
| Call opens | 17 January 2022 |
| Information webinars | 1 February and 8 March 2022 |
| Call closes | 15 April 2022, 17:00 (Brussels time) |
| Evaluation by external experts | May and June 2022 |
| Selected consortia informed | early July 2022 |
| Prototyping and testing with the challenge owners | September 2022 to August 2023 |
"""

ELIGIBILITY = """\
- Applicants are **SMEs** as defined in Commission Recommendation 2003/361/EC, established in a
  member state of the European Union or a country associated to Horizon 2020.
- They apply as a **cross-border consortium** of two or three SMEs from at least two different
  eligible countries; one of them leads and signs the agreement.
- A consortium answers **one challenge**; an SME may take part in at most two applications.
- Large companies, research organisations and end-users may support a consortium (as
  subcontractors or test partners) but receive no funding from the call.
- Applicants must not be undertakings in difficulty, bankrupt, or excluded from EU funding.
- Solutions must have civil applications only, and the work must respect the ethical principles
  of Horizon 2020.
"""

FUNDING = """\
Each selected consortium receives **up to EUR 60,000 per SME**, and at most EUR 150,000 per
consortium, as financial support to third parties (*cascade funding*). It is a lump sum paid in
three instalments tied to milestones: 30 % on signature, 40 % after the prototype review and 30 %
after the test with the challenge owner. No co-financing is required, and the consortium keeps
the intellectual property of its solution.

Beyond the funding, each consortium is coached by a cluster, tests its solution in a real
environment with its challenge owner, and presents it to the end-users and integrators of the
eight clusters' networks.

# Budget per domain

| Domain | Budget | Consortia funded (about) |
| --- | ---: | ---: |
| Sensitive infrastructure protection | EUR 600,000 | 4 |
| Disaster resilience | EUR 450,000 | 3 |
| Public spaces protection & major events | EUR 450,000 | 3 |
| **Total** | **EUR 1,500,000** | **10** |
"""

EVALUATION = """\
Each eligible application is scored by at least two independent external experts, including an
end-user or an integrator of the challenge's domain, on three criteria:

1. **Excellence** (weight 40 %): how well the solution answers the challenge, how new it is, and
   how convincing the technical approach is.
2. **Impact** (weight 35 %): the value for the challenge owners and other end-users, the route to
   market, and the benefit for the SMEs of the consortium.
3. **Implementation** (weight 25 %): the team's skills and complementarity, the work plan, the
   budget and the risks.

Each criterion is scored from 0 to 5; applications need at least 3 on each criterion and 10 in
total. The best-ranked applications are invited to an online interview with the experts and the
challenge owner, which decides the final ranking. Ties are broken by the Impact score.
"""

HOW_TO_APPLY = """\
1. Read the challenges below and the guide for applicants.
2. Register on the application platform at
   [apply.example.eu/securit-open-call-1](https://apply.example.eu/securit-open-call-1) and
   create your consortium's application.
3. Fill in the application form (at most 10 pages of proposal) and attach the declarations of
   honour of every SME.
4. Submit before **15 April 2022, 17:00 Brussels time**: late or incomplete applications are not
   evaluated.

Questions go to the help desk at [opencall@example.org](mailto:opencall@example.org); answers of
general interest are published in the call's FAQ. Join one of the webinars to meet the challenge
owners.
"""


def seed_call(*, session: Session) -> int:
    """Add and publish Open Call 1 unless its slug is taken; return how many calls were added."""
    if composition.call_by_slug(session, SLUG) is not None:
        return 0
    titles = [item["title"] for item in load() if item["state"] == UseCaseState.accepted]
    found = {
        use_case.title: use_case
        for use_case in session.exec(
            select(UseCase).where(
                col(UseCase.title).in_(titles),
                UseCase.state == UseCaseState.accepted,
                col(UseCase.deleted_at).is_(None),
            )
        )
    }
    if not titles or set(titles) - found.keys():
        return 0
    call = OpenCall(
        name=NAME,
        slug=SLUG,
        timezone=TIMEZONE,
        opens_at=OPENS.astimezone(UTC),
        closes_at=CLOSES.astimezone(UTC),
        introduction=INTRODUCTION,
        eligibility=ELIGIBILITY,
        funding=FUNDING,
        evaluation=EVALUATION,
        how_to_apply=HOW_TO_APPLY,
        created_at=CREATED.astimezone(UTC),
        updated_at=CREATED.astimezone(UTC),
    )
    session.add(call)
    session.commit()
    composition.add_challenges(session, call, use_case_ids=[found[title].id for title in titles])
    moved = session.exec(
        select(Challenge).where(Challenge.call_id == call.id, Challenge.use_case_id == found[MOVED_UP].id)
    ).one()
    composition.move_challenge(session, call, challenge_id=moved.id, step=-1)
    composition.publish(session, call)
    composition.close(session, call)  # it closed in April 2022: the demo's calls today are still to come
    opened, closed = OPENS.astimezone(UTC), CLOSES.astimezone(UTC)
    stamped = update(OpenCall.__table__).where(OpenCall.id == call.id)
    session.exec(stamped.values(published_at=opened, updated_at=closed))
    session.commit()
    session.expire_all()
    return 1
