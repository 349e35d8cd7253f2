"""The site header: a real "Menu" disclosure button for small screens, and every menu link kept for each role.

On wide screens the facilitators' and organisers' longer menus fold behind two more disclosure buttons.
"""

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
        "Manage workshops",
        "Calls",
        "People",
        "Audit log",
        "My registrations",
        "My needs",
        "My data",
        "My profile",  # the person's name is on the button their own pages fold behind
    ]
    assert _header(organiser_client).count("Log out</button>") == 1


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
        "My profile",
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
        assert f'<ul class="nav-list" aria-labelledby="{group_id}" id="{group_id}-list">' in header


def test_a_name_with_markup_is_escaped_in_the_menu(app, db):
    from tests import factories
    from tests.conftest import log_in

    person = factories.make_user(db, name='<img src=x onerror="alert(1)">', email="x@example.org")
    client = app.test_client()
    log_in(client, person)

    header = _header(client)

    assert "<img src=x" not in header
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in header


# --- The folded groups of a longer menu -------------------------------------------------------------


def _folds(header: str) -> dict[str, dict[str, str]]:
    """The fold buttons of the header by their text, each with its attributes."""
    found = {}
    for attributes, content in BUTTON.findall(header):
        if 'class="nav-fold' in attributes:
            values = dict(re.findall(r'([\w-]+)="([^"]*)"', attributes))
            found[re.sub(r"<[^>]+>", "", content).strip()] = values
    return found


def _list_links(header: str, list_id: str) -> list[str]:
    start = header.index(f'id="{list_id}"')
    body = header[start : header.index("</ul>", start)]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>([^<]+)</a>", body)]


def test_organisers_find_their_screens_behind_manage_and_their_own_pages_behind_their_name(organiser_client):
    header = _header(organiser_client)

    folds = _folds(header)
    assert list(folds) == ["Manage", "Otto Organiser"]
    for button, controlled in zip(folds.values(), ["nav-organising-list", "nav-you-list"], strict=True):
        assert button["type"] == "button"
        assert button["aria-expanded"] == "false"
        assert button["aria-controls"] == controlled
        # The list follows its button, so that Tab walks from one into the other.
        assert header.index(f'aria-controls="{controlled}"') < header.index(f'id="{controlled}"')
    assert _list_links(header, "nav-organising-list") == ["Manage workshops", "Calls", "People", "Audit log"]
    assert _list_links(header, "nav-you-list") == ["My registrations", "My needs", "My data", "My profile"]
    you = header[header.index('id="nav-you-list"') :]
    assert you.index("Log out</button>") < you.index("</ul>")  # Log out is the last of the person's own pages


def test_a_facilitator_folds_only_their_own_pages_and_a_participant_nothing(facilitator_client, participant_client):
    assert list(_folds(_header(facilitator_client))) == ["Fay Facilitator"]
    assert _folds(_header(participant_client)) == {}
    assert "Pat Participant</a>" in _header(participant_client)  # a short menu keeps the name as the profile link


@pytest.mark.parametrize(
    ("path", "current_fold", "current_link"),
    [
        ("/manage/users", "Manage", "People"),
        ("/manage/audit", "Manage", "Audit log"),
        ("/manage/workshops", "Manage", "Manage workshops"),
        ("/me/registrations", "Otto Organiser", "My registrations"),
        ("/manage/needs", None, "Needs"),
    ],
)
def test_the_fold_holding_the_current_page_is_marked(organiser_client, path, current_fold, current_link):
    header = _header(organiser_client, path)

    marked = [text for text, button in _folds(header).items() if "is-current" in button["class"]]
    assert marked == ([current_fold] if current_fold else [])
    assert re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', header) == [current_link]


def test_the_menu_script_opens_and_closes_the_folds_from_the_keyboard(client):
    with client.get("/static/js/menu.js") as script:
        text = script.get_data(as_text=True)

    assert ".nav-fold" in text and "aria-expanded" in text
    assert 'event.key === "Escape"' in text and "fold.focus()" in text


def test_the_stylesheet_shows_the_fold_buttons_only_on_wide_screens_with_scripts(client):
    with client.get("/static/css/site.css") as response:
        css = response.get_data(as_text=True)

    assert ".nav-fold { display: none; }" in css  # hidden everywhere else: on phones and without scripts
    start = css.index("@media (min-width: 60rem) and (scripting: enabled) {")
    wide = css[start : css.index("\n}\n", start)]
    assert re.search(r"\.nav-fold \{\s*display: inline-flex;", wide)
    assert '.nav-group-folds > .nav-fold[aria-expanded="true"] + .nav-list {' in wide


def test_a_name_with_markup_is_escaped_on_the_fold_button(app, db):
    from tests import factories
    from tests.conftest import log_in

    person = factories.make_user(db, name="<b>Bold</b> organiser", email="bold@example.org", role="organiser")
    client = app.test_client()
    log_in(client, person)

    header = _header(client)

    assert "<b>Bold</b>" not in header
    assert '<span class="nav-fold-label">&lt;b&gt;Bold&lt;/b&gt; organiser</span>' in header
