"""The base layout, navigation by role, the language switch and the home page (issue 2, point 14)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path, resolve, reverse

from partyhub import home

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def _stub(request):
    return HttpResponse("stub")


# A URLconf where the sections of later apps exist, to test navigation by role before those apps do.
urlpatterns = [
    path("documents/", include(([path("", _stub, name="index")], "documents"))),
    path("meetings/", include(([path("", _stub, name="index")], "meetings"))),
    path("members/", include(([path("", _stub, name="index")], "members"))),
    path("", include("partyhub.urls")),
]


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def all_sections(settings):
    settings.ROOT_URLCONF = __name__


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    assert nav, "no main menu"
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0))


# --- layout -------------------------------------------------------------------------------------------


@pytest.mark.vietnamese
def test_home_is_vietnamese_by_default(client, clerk):
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_home_renders_in_vietnamese(client, clerk, ui_vietnamese_catalogue):
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert "Việc cần xử lý" in html
    assert "Đơn vị và vai trò của bạn" in html
    assert "Đăng xuất" in html


def test_language_switch_to_english_and_back(client, clerk):
    client.force_login(clerk)
    page = client.get("/").content.decode()
    assert f'action="{reverse("set_language")}"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Your organizations and roles" in html
    assert "Pending work" in html
    assert 'value="en" lang="en" aria-pressed="true"' in html

    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert '<html lang="vi">' in client.get("/").content.decode()


def test_language_switch_on_the_sign_in_page(client):
    page = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response.url == reverse("login")
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Forgot your password?" in html


def test_language_switch_refuses_a_forged_next(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.url


def test_user_menu_has_logout_as_a_post_form_and_account_links(english, clerk):
    english.force_login(clerk)
    html = english.get("/").content.decode()
    logout = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrfmiddlewaretoken"', html)
    assert logout and logout.group(1) == reverse("logout")
    assert f'href="{reverse("password_change")}"' in html
    assert f'href="{reverse("two_factor_setup")}"' not in html  # not staff
    assert clerk.get_full_name() in html


def test_staff_see_the_two_factor_link_and_the_admin(english, admin_user):
    english.force_login(admin_user)
    html = english.get("/").content.decode()
    assert f'href="{reverse("two_factor_setup")}"' in html
    assert "Administration" in nav_labels(html)


def test_static_assets_are_local(client, clerk):
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert '<script src="/static/vendor/htmx.org/htmx.min.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert "hx-headers" in html and "X-CSRFToken" in html


def test_no_template_loads_anything_from_another_site():
    external = re.compile(r"""<(script|link|img|iframe)\b[^>]*(src|href)\s*=\s*["'](https?:)?//""", re.I)
    offenders = [
        str(template.relative_to(ROOT))
        for template in (ROOT / "templates").rglob("*.html")
        if external.search(template.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_front_end_libraries_are_pinned_exactly_and_locked():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["dependencies"], "no front-end dependency"
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned exactly: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert lock["packages"][""]["dependencies"][name] == version
    assert "htmx.org" in package["partyhubVendor"]


# --- navigation by role -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("clerk", ["Home", "Documents", "Meetings", "Members"]),
        ("leader", ["Home", "Documents", "Meetings", "Members"]),
        ("handler", ["Home", "Documents", "Meetings"]),
        ("cell_secretary", ["Home", "Documents", "Meetings", "Members"]),
        ("delegate", ["Home", "Meetings"]),
        ("member_user", ["Home", "Meetings"]),
        ("admin_user", ["Home", "Documents", "Meetings", "Members", "Administration"]),
    ],
)
def test_navigation_by_role(english, all_sections, request, person, expected):
    user = request.getfixturevalue(person)
    english.force_login(user)
    assert nav_labels(english.get("/").content.decode()) == expected


def test_a_user_without_a_member_record_sees_only_home(english, all_sections):
    from tests.factories import UserFactory

    english.force_login(UserFactory(username="lonely"))
    assert nav_labels(english.get("/").content.decode()) == ["Home"]


def test_sections_whose_pages_do_not_exist_yet_are_left_out(english, admin_user):
    english.force_login(admin_user)
    html = english.get("/").content.decode()
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S).group(0)
    for href in re.findall(r'href="([^"]+)"', nav):
        resolve(href)  # raises Resolver404 for a link to nowhere


def test_the_current_section_is_marked(english, clerk, all_sections):
    english.force_login(clerk)
    html = english.get("/").content.decode()
    assert '<a href="/" aria-current="page">Home</a>' in html


# --- home page ----------------------------------------------------------------------------------------


def test_home_shows_an_empty_state_and_the_users_roles(english, clerk):
    english.force_login(clerk)
    html = english.get("/").content.decode()
    assert "Pending work" in html
    assert "No pending work." in html
    assert "Your organizations and roles" in html
    assert "Văn thư" in html and "Văn phòng Đảng ủy" in html
    assert "Chi bộ ấp Phước Hưng" in html  # the clerk's own cell
    assert '<li class="chip">Clerk</li>' in html


def test_home_for_a_user_without_a_member_record(english):
    from tests.factories import UserFactory

    english.force_login(UserFactory(username="lonely"))
    html = english.get("/").content.decode()
    assert "not linked to a party member record" in html


@pytest.fixture
def provider_cleanup():
    added = []
    yield added
    for provider in added:
        home.unregister_section(provider)


def test_registered_sections_appear_in_order(english, clerk, provider_cleanup):
    def later(request):
        return home.HomeSection(title="Meetings this week", empty_text="No meetings this week.")

    def first(request):
        return home.HomeSection(
            title="Documents to handle",
            items=[
                home.HomeItem(title="Công văn 12-CV/ĐU", url="/x/", detail="Hạn 05/12", badge="Khẩn", tone="urgent")
            ],
            link_url="/all/",
            link_text="All documents",
        )

    def hidden(request):
        return None

    for provider, order in ((later, 50), (first, 10), (hidden, 5)):
        home.register_section(provider, order=order)
        provider_cleanup.append(provider)
    home.register_section(first, order=10)  # twice: still once

    english.force_login(clerk)
    html = english.get("/").content.decode()
    assert html.index("Documents to handle") < html.index("Meetings this week")
    assert html.count("Documents to handle") == 1
    assert '<a href="/x/">' in html and "Công văn 12-CV/ĐU" in html and '<span class="tag urgent">Khẩn</span>' in html
    assert "No meetings this week." in html
    assert '<a href="/all/">All documents</a>' in html
    assert "No pending work." not in html  # the generic empty state gives way to the sections
    assert "Here is the work waiting for you." in html


def test_a_failing_section_is_left_out_and_logged(english, clerk, provider_cleanup, caplog):
    def broken(request):
        raise RuntimeError("boom")

    home.register_section(broken)
    provider_cleanup.append(broken)
    english.force_login(clerk)
    response = english.get("/")
    assert response.status_code == 200
    assert "Home page section" in caplog.text and "boom" in caplog.text


def test_home_page_query_count_is_bounded(client, clerk, django_assert_max_num_queries):
    client.force_login(clerk)
    client.get("/")  # warm caches (content types, permissions)
    # Session, user, roles (member, positions, the commune tree), the sections of documents (clearances,
    # assignments, drafts, outgoing documents waiting for the user), members (corrections, recognition due),
    # meetings (upcoming), the unread counter, the session save.
    with django_assert_max_num_queries(18):
        client.get("/")
