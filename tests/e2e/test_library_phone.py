"""The library on a phone (390×844, touch): a cell member finds a published resolution in the handbook, reads
it in the pdf.js viewer, bookmarks it and finds it again with a search without diacritics; somebody without an
account reads a resolution published to the public, and nothing else.

Playwright on Debian's Chromium (tests/conftest.py); screenshots go to PARTYHUB_SCREENSHOT_DIR or test-results/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from documents.models import Audience
from documents.services.library import publication_create
from tests.documents.dist_support import issued_document, private_storage_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def library(settings, tmp_path, org_tree, document_types, clerk):
    from partyhub.pdf import html_to_pdf

    private_storage_in(settings, tmp_path / "private")
    pdf = html_to_pdf("<h1>NGHỊ QUYẾT</h1><p>Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ xã Gò Quao.</p>").pdf

    def publish(number, summary, audience, organization=None):
        document = issued_document(
            organization=org_tree["standing"],
            document_type=document_types["Nghị quyết"],
            drafted_by=clerk,
            pdf=pdf,
            number=number,
            summary=summary,
        )
        return publication_create(actor=clerk, document=document, audience=audience, organization=organization)

    return {
        "members": publish(
            5, "Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ", Audience.ORGANIZATION, org_tree["commune"]
        ),
        "committee": publish(6, "Về công tác nhân sự Ban Thường vụ", Audience.COMMITTEE, org_tree["commune"]),
        "public": publish(7, "Về phát triển kinh tế xã Gò Quao năm 2026", Audience.PUBLIC),
    }


def _signed_in(browser, live_server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB", **PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _watch(page):
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return problems


def test_a_member_reads_and_bookmarks_a_resolution_on_a_phone(live_server, browser, library, member_user):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = _signed_in(browser, live_server, member_user)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = _watch(page)
    try:
        page.goto(f"{live_server.url}/members/handbook/")
        section = page.get_by_role("heading", name="Documents shared with you")
        section.scroll_into_view_if_needed()
        link = page.get_by_role("link", name="Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ")
        assert link.is_visible()
        assert page.get_by_text("Về công tác nhân sự Ban Thường vụ").count() == 0  # the committee's only
        link.tap()
        page.wait_for_url(f"{live_server.url}/documents/library/{library['members'].pk}/")
        page.wait_for_selector("[data-pdf-viewer].pdf-ready canvas")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / "library-phone-reading.png"), full_page=True)

        bookmark = page.get_by_role("button", name="Bookmark")
        box = bookmark.bounding_box()
        assert box is not None and box["height"] >= 44
        bookmark.tap()
        page.get_by_role("button", name="Bookmarked").wait_for()

        page.goto(f"{live_server.url}/documents/library/")
        page.get_by_label("My bookmarks only").check()
        page.wait_for_url("**bookmarks=on**")
        results = page.locator("#library-results")
        assert results.get_by_role("link").count() == 1
        page.get_by_label("My bookmarks only").uncheck()
        page.get_by_role("searchbox").fill("kinh te go quao")
        page.get_by_role("button", name="Search").tap()
        page.wait_for_url("**q=kinh**")
        results.get_by_role("link", name="Về phát triển kinh tế xã Gò Quao năm 2026").wait_for()
        assert results.get_by_role("link").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / "library-phone-search.png"), full_page=True)
        assert problems == []
    finally:
        context.close()


def test_the_public_reads_public_resolutions_without_an_account(live_server, browser, library):
    context = browser.new_context(locale="en-GB", **PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = _watch(page)
    try:
        page.goto(f"{live_server.url}/library/")
        assert page.get_by_role("heading", name="Published documents").is_visible()
        assert page.get_by_text("chuyển đổi số").count() == 0
        assert page.get_by_text("nhân sự").count() == 0
        page.get_by_role("link", name="Về phát triển kinh tế xã Gò Quao năm 2026").tap()
        page.wait_for_url(f"{live_server.url}/library/{library['public'].pk}/")
        page.wait_for_selector("[data-pdf-viewer].pdf-ready canvas")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / "library-public-phone.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
