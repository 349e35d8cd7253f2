"""Projector mode: a breakout's live board as a wall for the room's screen, with its short link and a QR code.

Whatever is projected is read by everyone in the room, so the projector shows what the room may read:
never an ``internal`` need, even when a facilitator (who sees them on their own board) opens it.
That is why it polls its own fragment instead of the breakout page's board.

The wall is always in "most votes" order: the needs with the most votes stay pinned on top and the
page's script turns the pages of the others. It holds nothing to click or fill in (no links, no
forms): the room only reads it, and a facilitator leaves it with the browser's Back or Esc.
"""

from __future__ import annotations

import segno
from flask import abort, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from workshops.db import get_session
from workshops.events.models import Breakout
from workshops.navigation import external_url
from workshops.needs import bp, queries
from workshops.needs import rules as need_rules
from workshops.needs.loaders import breakout_by_code_or_404

#: How many of the most-voted needs stay on the wall while the others page: one row of the wall.
PINNED = 3


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


def _etag(breakout: Breakout) -> str:
    # Per person, as the board's: a cache never hands one account's answer to another.
    return f'"p{breakout.id}-v{breakout.board_version}-u{current_user.id}"'


def pinned_and_paged(entries: list[queries.BoardEntry]) -> tuple[list[queries.BoardEntry], list[queries.BoardEntry]]:
    """The wall's two parts, both in "most votes" order: the top needs that have votes, and the rest.

    A need nobody voted for is not pinned as one of the "most votes", even while no need has any.
    """
    pinned = [entry for entry in entries[:PINNED] if entry.votes > 0]
    return pinned, entries[len(pinned) :]


def _wall(breakout: Breakout) -> dict:
    """What ``needs/_wall.html`` needs: the needs the whole room may read (never an internal one), most votes first."""
    pinned, paged = pinned_and_paged(queries.board(get_session(), breakout, current_user, "votes", internal=False))
    return {"breakout": breakout, "pinned": pinned, "paged": paged}


@bp.route("/b/<code>/projector")
@login_required
def projector(code: str):
    """The live board for the room's screen: large type in columns, the breakout's short link and its QR code."""
    breakout, standing = _load(code)
    link = external_url("needs.breakout", code=breakout.code)
    leave = (
        url_for("needs.manage_capture", breakout_id=breakout.id)
        if standing.facilitates
        else url_for("needs.breakout", code=breakout.code)
    )
    return render_template(
        "needs/projector.html",
        workshop=breakout.workshop,
        etag=_etag(breakout),
        link=link,
        leave_url=leave,
        qr_code=qr_code_svg(link),
        **_wall(breakout),
    )


@bp.route("/b/<code>/projector/board")
@login_required
def projector_board(code: str):
    """The wall's needs alone, for the page to poll: 304 and no body while nothing changed."""
    breakout, _standing = _load(code)
    etag = _etag(breakout)
    if etag in request.headers.get("If-None-Match", ""):
        return "", 304, {"ETag": etag}
    return render_template("needs/_wall.html", **_wall(breakout)), 200, {"ETag": etag}
