"""Organisers list, add and edit the clusters and domains of the programme."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from tests.conftest import csrf_token, post_form
from workshops.programme.models import Cluster, Domain

CLUSTER = {"name": "LSEC – Leaders in Security", "short_name": "LSEC", "country": "BE", "city": "Leuven"}
DOMAIN = {"name": "Disaster resilience", "slug": "disaster-resilience", "position": "2", "description": "Floods."}


def test_adding_a_cluster(organiser_client, db):
    response = post_form(organiser_client, "/manage/clusters/new", CLUSTER | {"website": "https://www.lsec.eu"})
    assert response.headers["Location"] == "/manage/clusters"
    cluster = db.exec(select(Cluster)).one()
    assert (cluster.name, cluster.country, cluster.website) == (
        "LSEC – Leaders in Security",
        "BE",
        "https://www.lsec.eu",
    )
    page = organiser_client.get("/manage/clusters").get_data(as_text=True)
    assert "Saved the cluster" in page and "LSEC – Leaders in Security" in page


def test_editing_a_cluster(organiser_client, db):
    cluster = factories.make_cluster(db, name="Safe", short_name="Safe", country="FR")
    url = f"/manage/clusters/{cluster.id}/edit"
    assert 'value="Safe"' in organiser_client.get(url).get_data(as_text=True)
    post_form(organiser_client, url, {"name": "Safe Cluster", "short_name": "Safe", "country": "FR", "city": "Aix"})
    db.rollback()
    db.refresh(cluster)
    assert (cluster.name, cluster.city) == ("Safe Cluster", "Aix")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the cluster&#39;s name."),
        ({"name": "Taken"}, "Another cluster has this name."),
        ({"short_name": "x" * 41}, "Use at most 40 characters."),
        ({"country": "XX"}, "Not a valid choice."),
        ({"website": "javascript:alert(1)"}, "Enter a full web address"),
    ],
)
def test_bad_cluster_input_is_refused(organiser_client, db, changes, message):
    factories.make_cluster(db, name="Taken")
    response = post_form(organiser_client, "/manage/clusters/new", CLUSTER | changes)
    assert message in response.get_data(as_text=True)
    assert len(db.exec(select(Cluster)).all()) == 1


def test_adding_a_domain_proposes_the_next_position(organiser_client, db):
    factories.make_domain(db, position=1)
    assert 'value="2"' in organiser_client.get("/manage/domains/new").get_data(as_text=True)
    response = post_form(organiser_client, "/manage/domains/new", DOMAIN)
    assert response.headers["Location"] == "/manage/domains"
    domain = db.exec(select(Domain).where(Domain.slug == "disaster-resilience")).one()
    assert (domain.name, domain.position, domain.description) == ("Disaster resilience", 2, "Floods.")


def test_domains_are_listed_in_their_order(organiser_client, db):
    factories.make_domain(db, name="Second", position=2)
    factories.make_domain(db, name="First", position=1)
    page = organiser_client.get("/manage/domains").get_data(as_text=True)
    assert page.index("First") < page.index("Second")


def test_editing_a_domain(organiser_client, db):
    domain = factories.make_domain(db, name="Old", slug="old")
    post_form(organiser_client, f"/manage/domains/{domain.id}/edit", DOMAIN | {"slug": "old"})
    db.rollback()
    db.refresh(domain)
    assert (domain.name, domain.slug) == ("Disaster resilience", "old")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the domain&#39;s name."),
        ({"name": "Taken"}, "Another domain has this name."),
        ({"slug": "taken"}, "Another domain has this short name."),
        ({"slug": "Not A Slug"}, "Use lowercase letters, digits and single hyphens only"),
        ({"position": "-1"}, "Enter a number from 0 to 1000."),
        ({"position": ""}, "Enter the position"),
        ({"description": "x" * 2001}, "Use at most 2,000 characters."),
    ],
)
def test_bad_domain_input_is_refused(organiser_client, db, changes, message):
    factories.make_domain(db, name="Taken", slug="taken")
    response = post_form(organiser_client, "/manage/domains/new", DOMAIN | changes)
    assert message in response.get_data(as_text=True)
    assert len(db.exec(select(Domain)).all()) == 1


PAGES = [
    ("GET", "/manage/clusters"),
    ("GET", "/manage/clusters/new"),
    ("POST", "/manage/clusters/new"),
    ("GET", "/manage/clusters/{cluster}/edit"),
    ("POST", "/manage/clusters/{cluster}/edit"),
    ("GET", "/manage/domains"),
    ("GET", "/manage/domains/new"),
    ("POST", "/manage/domains/new"),
    ("GET", "/manage/domains/{domain}/edit"),
    ("POST", "/manage/domains/{domain}/edit"),
]


@pytest.mark.parametrize("role", ["anonymous", "participant", "facilitator"])
def test_only_organisers_may(request, app, db, role):
    client = app.test_client() if role == "anonymous" else request.getfixturevalue(f"{role}_client")
    ids = {"cluster": factories.make_cluster(db).id, "domain": factories.make_domain(db).id}
    token = csrf_token(client, "/login" if role == "anonymous" else "/me")
    for method, path in PAGES:
        url = path.format(**ids)
        data = (CLUSTER if "cluster" in url else DOMAIN) | {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        if role == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
        else:
            assert response.status_code == 403, (role, method, url)
    assert len(db.exec(select(Cluster)).all()) == 1 and len(db.exec(select(Domain)).all()) == 1


def test_unknown_ids_are_404(organiser_client):
    assert organiser_client.get("/manage/clusters/999999/edit").status_code == 404
    assert organiser_client.get("/manage/domains/999999/edit").status_code == 404
