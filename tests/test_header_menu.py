"""The site header: a real "Menu" disclosure button for small screens, and every menu link kept for each role."""

from __future__ import annotations

import re

import pytest

BUTTON = re.compile(r"<button ([^>]*)>(.*?)</button>", re.S)


def _header(client, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def _menu_button(header: str) -> dict[str, str]:
    for attributes, content in BUTTON.findall(header):
        if 'class="menu-button"' in attributes:
            found = dict(re.findall(r'([\w-]+)="([^"]*)"', attributes))
            found["text"] = re.sub(r"<[^>]+>", "", content).strip()
            return found
    raise AssertionError("no menu button in the header")


def _links(header: str) -> list[str]:
    nav = header[header.index('<nav class="site-nav" id="site-nav"') :]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>([^<]+)</a>", nav)]


@pytest.mark.parametrize("role", ["anonymous", "participant", "facilitator", "organiser"])
def test_the_menu_button_discloses_the_main_navigation(request, app, role):
    client = app.test_client() if role == "anonymous" else request.getfixturevalue(f"{role}_client")

    header = _header(client)

    button = _menu_button(header)
    assert button["type"] == "button"  # never submits a form
    assert button["text"] == "Menu"
    assert button["aria-expanded"] == "false"
    assert button["aria-controls"] == "site-nav"
    assert '<nav class="site-nav" id="site-nav" aria-label="Main">' in header
    assert header.index('class="menu-button"') < header.index('id="site-nav"')  # Tab goes from it into the menu


def test_the_menu_script_is_served_from_this_site(client):
    page = client.get("/").get_data(as_text=True)

    assert '<script type="module" src="/static/js/menu.js"></script>' in page
    with client.get("/static/js/menu.js") as script:
        assert script.status_code == 200
        assert "aria-expanded" in script.get_data(as_text=True) and "Escape" in script.get_data(as_text=True)


def test_the_logo_links_home_and_is_not_the_menu(client):
    header = _header(client)

    assert re.search(r'<a class="brand" href="/">\s*<img src="/static/img/logo.svg" alt=""', header)
    with client.get("/static/img/logo.svg") as logo:
        assert logo.status_code == 200


def test_organisers_keep_every_link_and_find_my_breakouts(organiser_client):
    links = _links(_header(organiser_client))

    assert links == [
        "Workshops",
        "My breakouts",
        "Needs",
        "Use cases",
        "Manage",
        "Calls",
        "People",
        "Audit log",
        "My registrations",
        "My needs",
        "My data",
        "Otto Organiser",
    ]
    assert "Log out</button>" in _header(organiser_client)


def test_facilitators_find_my_breakouts_in_their_menu(facilitator_client):
    header = _header(facilitator_client, "/manage/my-breakouts")

    assert '<a href="/manage/my-breakouts" aria-current="page">My breakouts</a>' in header
    assert _links(header) == [
        "Workshops",
        "Open calls",
        "My breakouts",
        "Needs",
        "Use cases",
        "My registrations",
        "My needs",
        "My data",
        "Fay Facilitator",
    ]


def test_participants_and_visitors_have_no_my_breakouts(client, participant_client):
    assert _links(_header(participant_client)) == [
        "Workshops",
        "Open calls",
        "My registrations",
        "My needs",
        "My data",
        "Pat Participant",
    ]
    assert _links(_header(client)) == ["Workshops", "Open calls", "Log in", "Sign up"]


def test_menu_groups_are_named_for_screen_readers(organiser_client):
    header = _header(organiser_client)

    groups = {"nav-programme": "Programme", "nav-facilitating": "Facilitating", "nav-organising": "Organising"}
    for group_id, title in {**groups, "nav-you": "You"}.items():
        assert f'<span class="nav-group-title" id="{group_id}">{title}</span>' in header
        assert f'<ul class="nav-list" aria-labelledby="{group_id}">' in header


def test_a_name_with_markup_is_escaped_in_the_menu(app, db):
    from tests import factories
    from tests.conftest import log_in

    person = factories.make_user(db, name='<img src=x onerror="alert(1)">', email="x@example.org")
    client = app.test_client()
    log_in(client, person)

    header = _header(client)

    assert "<img src=x" not in header
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in header
