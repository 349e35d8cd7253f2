"""Organiser pages for clusters and domains (list, create, edit) and the programme's settings."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.programme import bp, queries, services
from workshops.programme.forms import ClusterForm, DomainForm, ProgrammeSettingsForm
from workshops.programme.models import Cluster, Domain


@bp.route("/manage/clusters")
@role_required(Role.organiser)
def manage_clusters():
    """List the clusters that host workshops."""
    clusters = queries.clusters(get_session())
    return render_template("programme/manage/clusters.html", clusters=clusters)


@bp.route("/manage/clusters/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_cluster_new():
    """Add a cluster."""
    form = ClusterForm(session=get_session())
    return _save_cluster(form, None) or render_template("programme/manage/cluster_form.html", form=form, cluster=None)


@bp.route("/manage/clusters/<int:cluster_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_cluster_edit(cluster_id: int):
    """Change a cluster's details."""
    cluster = get_session().get(Cluster, cluster_id) or abort(404)
    form = ClusterForm(obj=cluster, session=get_session(), cluster=cluster)
    return _save_cluster(form, cluster) or render_template(
        "programme/manage/cluster_form.html", form=form, cluster=cluster
    )


def _save_cluster(form: ClusterForm, cluster: Cluster | None):
    """Store a valid form and go back to the list; ``None`` to show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        cluster = services.save_cluster(session=get_session(), cluster=cluster, values=form.values())
    except services.ProgrammeError as error:
        form.name.errors.append(str(error))
        return None
    flash(f"Saved the cluster “{cluster.name}”.", "success")
    return redirect(url_for("programme.manage_clusters"))


@bp.route("/manage/domains")
@role_required(Role.organiser)
def manage_domains():
    """List the domains in their order."""
    domains = queries.domains(get_session())
    return render_template("programme/manage/domains.html", domains=domains)


@bp.route("/manage/domains/new", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_domain_new():
    """Add a domain, placed after the others unless told otherwise."""
    form = DomainForm(session=get_session(), data={"position": queries.next_domain_position(get_session())})
    return _save_domain(form, None) or render_template("programme/manage/domain_form.html", form=form, domain=None)


@bp.route("/manage/domains/<int:domain_id>/edit", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_domain_edit(domain_id: int):
    """Change a domain's details."""
    domain = get_session().get(Domain, domain_id) or abort(404)
    form = DomainForm(obj=domain, session=get_session(), domain=domain)
    return _save_domain(form, domain) or render_template("programme/manage/domain_form.html", form=form, domain=domain)


def _save_domain(form: DomainForm, domain: Domain | None):
    """Store a valid form and go back to the list; ``None`` to show the form again."""
    if not form.validate_on_submit():
        return None
    try:
        domain = services.save_domain(session=get_session(), domain=domain, values=form.values())
    except services.ProgrammeError as error:
        form.name.errors.append(str(error))
        return None
    flash(f"Saved the domain “{domain.name}”.", "success")
    return redirect(url_for("programme.manage_domains"))


@bp.route("/manage/programme", methods=["GET", "POST"])
@role_required(Role.organiser)
def manage_settings():
    """The programme's settings: the time zone new workshops and calls start with, and who accepts use cases."""
    session = get_session()
    fallback = current_app.config["TIMEZONE"]
    form = ProgrammeSettingsForm(obj=queries.settings(session), fallback=fallback)
    if form.validate_on_submit():
        settings = services.save_settings(session=session, values=form.values())
        who = (
            "organisers may accept the use cases they wrote"
            if settings.organisers_accept_own
            else "a use case is accepted by an organiser other than its author"
        )
        flash(f"Saved: new workshops and calls start in {settings.timezone or fallback}; {who}.", "success")
        return redirect(url_for("programme.manage_settings"))
    return render_template("programme/manage/settings.html", form=form)
