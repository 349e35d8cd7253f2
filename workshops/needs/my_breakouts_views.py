"""'My breakouts': a facilitator's way in to their breakouts on the day, and a breakout's QR code to show or print.

Facilitators see the breakouts they are named on; organisers see every breakout. Participants get
403 (the role gate), and a breakout's QR code page answers 404 to a facilitator of other breakouts.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from workshops.auth.models import Role
from workshops.auth.rules import role_required
from workshops.db import get_session
from workshops.events.models import Breakout
from workshops.events.rules import can_facilitate
from workshops.navigation import external_url
from workshops.needs import bp
from workshops.needs import my_breakouts as listing
from workshops.needs.projector import qr_code_svg
from workshops.pagination import paginate
from workshops.timeutil import default_timezone, utcnow


@bp.route("/manage/my-breakouts")
@role_required(Role.facilitator)
def my_breakouts():
    """The breakouts of today's and upcoming workshops (``?when=past``: earlier ones), live now first."""
    session = get_session()
    now = utcnow()
    cutoff = listing.start_of_today(default_timezone(), now)
    past = request.args.get("when") == "past"
    page = None
    if past:
        page = paginate(session, listing.past_statement(current_user, cutoff=cutoff), per_page=listing.PAST_PER_PAGE)
        entries = listing.with_counts(session, page.items, now=now)
    else:
        entries = listing.current(session, current_user, cutoff=cutoff, now=now)
    return render_template(
        "needs/manage/my_breakouts.html",
        entries=entries,
        past=past,
        page=page,
        sees_all=current_user.has_role(Role.organiser),
        short_links={entry.breakout.id: external_url("needs.breakout", code=entry.breakout.code) for entry in entries},
    )


@bp.route("/manage/breakouts/<int:breakout_id>/qr-code")
@role_required(Role.facilitator)
def manage_qr_code(breakout_id: int):
    """The breakout's short link and its QR code, large, to show on a screen or print for the tables."""
    breakout = get_session().get(Breakout, breakout_id)
    if breakout is None or not can_facilitate(current_user, breakout):
        abort(404)
    link = external_url("needs.breakout", code=breakout.code)
    return render_template(
        "needs/manage/qr_code.html", breakout=breakout, workshop=breakout.workshop, link=link, qr_code=qr_code_svg(link)
    )
