"""The office prepares a meeting in a browser (desktop, 1366×768): creates it, sets the agenda with an uploaded
draft, invites the whole cell plus a guest, sends the invitations, and finds the meeting in the published work
schedule of that week — which a member of the cell then sees too (phone, 390×844).

Playwright on Debian's Chromium (``browser_type_launch_args`` in tests/conftest.py). English pages (the users
prefer English in tests). Screenshots go to ``PARTYHUB_SCREENSHOT_DIR`` (test-results/ by default).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from meetings.models import AgendaDocument, Invitation, Meeting, MeetingStatus, ScheduleEntry
from tests.meetings.meet_factories import make_pdf_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def _signed_in(browser, live_server, user, viewport):
    """A browser context carrying ``user``'s session (signed in through Django's test client)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return context, page, errors


def _shot(page, label):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"meeting-prepare-{label}.png"), full_page=True)


def test_the_office_prepares_a_meeting(browser, live_server, storage, clerk, member_user, org_tree, tmp_path):
    context, page, errors = _signed_in(browser, live_server, clerk, DESKTOP)
    base = live_server.url
    page.goto(f"{base}/meetings/")
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Organization").select_option(label=org_tree["cell_a"].name)
    page.get_by_label("Kind of meeting").select_option("cell_thematic")
    page.get_by_label("Title").fill("Chuyên đề học tập Nghị quyết")
    page.get_by_label("Starts at").fill("2030-12-05T08:00")
    page.get_by_label("Ends at").fill("2030-12-05T11:00")
    page.get_by_label("Place:", exact=True).fill("Nhà văn hóa ấp Phước Hưng")
    page.get_by_role("button", name="Create the meeting").click()
    page.wait_for_url(f"{base}/meetings/*/")
    meeting = Meeting.objects.get()
    assert "Chuyên đề học tập Nghị quyết" in page.content()

    page.get_by_role("link", name="Agenda and documents").first.click()
    page.get_by_label("Agenda item:", exact=True).fill("Quán triệt Nghị quyết")
    page.get_by_label("Presenter:", exact=True).fill("Bí thư chi bộ")
    page.get_by_label("Planned time (minutes)").fill("45")
    page.get_by_role("button", name="Add the item").click()
    pdf = tmp_path / "du-thao.pdf"
    pdf.write_bytes(make_pdf_bytes(3))
    page.get_by_label("Upload a PDF").check()
    page.get_by_label("Title in the packet").fill("Dự thảo kế hoạch")
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Add the document").click()
    page.wait_for_selector("text=Dự thảo kế hoạch")
    assert "3 pages" in page.content()
    _shot(page, "agenda")
    assert AgendaDocument.objects.get().page_count == 3

    page.goto(f"{base}/meetings/{meeting.pk}/invitations/")
    page.get_by_role("button", name="Add them all").click()
    page.get_by_label("Guest's name").fill("Lê Văn Khách")
    page.get_by_label("E-mail address").fill("khach@example.test")
    page.get_by_role("button", name="Add").last.click()
    page.wait_for_selector("text=Lê Văn Khách")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("text=invitations were sent")
    _shot(page, "invitations")
    assert (
        Invitation.objects.filter(meeting=meeting, invited_at__isnull=False).count()
        == Invitation.objects.filter(meeting=meeting).count()
    )
    assert Invitation.objects.filter(meeting=meeting, user=member_user).exists()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.INVITED
    assert ScheduleEntry.objects.get(meeting=meeting).published

    page.goto(f"{base}/meetings/schedule/?week=2030-12-05")
    page.wait_for_selector("text=Chuyên đề học tập Nghị quyết")
    assert errors == []
    context.close()

    # A member of the cell finds it in the published schedule on a phone.
    context, phone, errors = _signed_in(browser, live_server, member_user, PHONE)
    phone.goto(f"{base}/meetings/schedule/?week=2030-12-05")
    phone.wait_for_selector("text=Chuyên đề học tập Nghị quyết")
    _shot(phone, "schedule-phone")
    assert errors == []
    context.close()
