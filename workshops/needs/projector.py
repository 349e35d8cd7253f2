"""Projector mode: a breakout's live board in large type for the room, with its short link and a QR code.

Whatever is projected is read by everyone in the room, so the projector shows what the room may read:
never an ``internal`` need, even when a facilitator (who sees them on their own board) opens it.
That is why it polls its own board fragment instead of the breakout page's one.
"""

from __future__ import annotations

import segno
from flask import abort, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from workshops.db import get_session
from workshops.events.models import Breakout
from workshops.forms import PostForm
from workshops.navigation import external_url
from workshops.needs import bp, queries, votes
from workshops.needs import rules as need_rules
from workshops.needs.loaders import breakout_by_code_or_404
from workshops.needs.models import Sensitivity

#: The room looks at the needs with the most votes first; ``?sort=newest`` switches.
DEFAULT_SORT = "votes"


def qr_code_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG, without a fixed size: the stylesheet sizes it.

    Always a full QR code (never a Micro QR code, which phone cameras do not read), error correction
    level M, black on white with the standard quiet zone of four modules, whatever the page's colours.
    """
    svg = segno.make_qr(url, error="m").svg_inline(
        omitsize=True, border=4, dark="#000", light="#fff", svgclass="qr-code"
    )
    return Markup(svg)  # noqa: S704  # nosec B704 - segno's SVG holds only path data, none of our text


def _load(code: str) -> tuple[Breakout, need_rules.Standing]:
    """The breakout of a short link (404) for someone who may see its board (403: the breakout is theirs to see)."""
    breakout, standing = breakout_by_code_or_404(code)
    if not standing.sees_board:
        abort(403)
    return breakout, standing


def _sort() -> str:
    sort = request.args.get("sort", DEFAULT_SORT)
    return sort if sort in queries.SORTS else DEFAULT_SORT


def _etag(breakout: Breakout, sort: str) -> str:
    # Per person: the board fragment says how many votes they have left.
    return f'"p{breakout.id}-v{breakout.board_version}-{sort}-u{current_user.id}"'


def _board(breakout: Breakout, standing: need_rules.Standing, sort: str) -> dict:
    """What ``needs/_board.html`` needs, with the needs the whole room may read."""
    session = get_session()
    entries = queries.board(session, breakout, current_user, standing, sort)
    return {
        "breakout": breakout,
        "standing": standing,
        "entries": [entry for entry in entries if entry.need.sensitivity != Sensitivity.internal],
        "votes_left": breakout.votes_per_person - votes.votes_used(session, current_user, breakout),
        "post_form": PostForm(),
    }


@bp.route("/b/<code>/projector")
@login_required
def projector(code: str):
    """The live board for the room's screen: large type, the breakout's short link and its QR code."""
    breakout, standing = _load(code)
    sort = _sort()
    link = external_url("needs.breakout", code=breakout.code)
    return render_template(
        "needs/projector.html",
        workshop=breakout.workshop,
        sort=sort,
        etag=_etag(breakout, sort),
        link=link,
        qr_code=qr_code_svg(link),
        **_board(breakout, standing, sort),
    )


@bp.route("/b/<code>/projector/board")
@login_required
def projector_board(code: str):
    """The projected board's list alone, for the page to poll: 304 and no body while nothing changed."""
    breakout, standing = _load(code)
    sort = _sort()
    etag = _etag(breakout, sort)
    if etag in request.headers.get("If-None-Match", ""):
        return "", 304, {"ETag": etag}
    return render_template("needs/_board.html", **_board(breakout, standing, sort)), 200, {"ETag": etag}
