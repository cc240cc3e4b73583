"""A vote in the room from two tablets (issue 6, points 5 and 9).

The chair's room screen (desktop) shows the check-in QR code and its link; two delegates, each on their own
tablet (800×1280, touch, their own browser context), open that link — what scanning the code with the
tablet's camera does — confirm "Tôi có mặt" and land on the vote page. The chair opens the meeting, adds a
secret vote and opens it; both tablets show the question by themselves (polling), each delegate taps an answer
once and sees only "Đã ghi nhận biểu quyết của đồng chí." — never the answer. The chair's screen counts the
ballots (how many, not how), the chair closes the vote, and the result "2/2 tán thành (100,0%)" — Thông qua —
shows on the chair's screen and then on the tablets. In Vietnamese (the product's default), with this work's
translations merged for the test. Screenshots go to ``PARTYHUB_SCREENSHOT_DIR`` (test-results/ by default).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from meetings.models import Attendance, BallotReceipt, Invitation, SecretTally, Vote, VoteStatus
from tests.meetings.room_factories import compile_room_catalogue, delegate, make_meeting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.vietnamese]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 800, "height": 1280}
QUESTION = "Thông qua nghị quyết sinh hoạt chi bộ tháng 3"


@pytest.fixture
def room_catalogue(tmp_path, settings):
    compile_room_catalogue(tmp_path, settings)


class Screen:
    """One signed-in user in their own browser context, failing the test on page errors and HTTP errors."""

    def __init__(self, browser, live_server, *, viewport, touch=False, name=""):
        self.base = live_server.url
        self.name = name
        self.context = browser.new_context(viewport=viewport, locale="vi-VN", has_touch=touch, is_mobile=touch)
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"{name}: page error: {exc}"))
        self.page.on(
            "response",
            lambda r: (
                self.errors.append(f"{name}: {r.status} {r.url}")
                if r.status >= 400 and "favicon" not in r.url
                else None
            ),
        )

    def sign_in(self, username, password):
        page = self.page
        page.goto(f"{self.base}/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{self.base}/")

    def shot(self, label):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"meeting-vote-{label}.png"), full_page=True)


def test_a_secret_vote_from_two_tablets(
    live_server, browser, org_tree, cell_secretary, member_user, password, room_catalogue
):
    meeting = make_meeting(
        org_tree["cell_a"],
        created_by=cell_secretary,
        chair=cell_secretary,
        minute_taker=member_user,
        title="Sinh hoạt chi bộ ấp Phước Hưng tháng 3",
    )
    first = delegate(meeting, name="Nguyễn Văn Một")
    second = delegate(meeting, name="Trần Thị Hai")
    for inv in (first, second):
        inv.user.set_password(password)
        inv.user.preferred_language = "vi"
        inv.user.save()

    chair = Screen(browser, live_server, viewport=DESKTOP, name="chair")
    chair.sign_in(cell_secretary.username, password)
    chair.page.goto(f"{live_server.url}/meetings/{meeting.pk}/room/")
    page = chair.page
    assert page.locator(".room-qr-code svg").is_visible()
    checkin_url = page.locator("[data-checkin-link]").get_attribute("href")
    assert re.search(rf"/meetings/{meeting.pk}/checkin/[0-9a-f]+/$", checkin_url)
    assert page.locator("[data-quorum]").get_attribute("data-quorum") == "no"
    chair.shot("1-room-before")

    # --- two tablets scan the room's code (open its link) and check in ----------------------------------------------
    tablets = []
    for inv in (first, second):
        tablet = Screen(browser, live_server, viewport=TABLET, touch=True, name=inv.name)
        tablet.sign_in(inv.user.username, password)
        tablet.page.goto(checkin_url)
        assert inv.name in tablet.page.locator("main").inner_text()
        confirm = tablet.page.get_by_role("button", name="Tôi có mặt")
        assert confirm.bounding_box()["height"] >= 48
        confirm.click()
        tablet.page.wait_for_url(f"{live_server.url}/meetings/{meeting.pk}/vote/")
        tablet.page.get_by_text("Hiện không có biểu quyết nào.").wait_for()
        tablets.append(tablet)
    tablets[0].shot("2-tablet-waiting")
    assert set(Invitation.objects.filter(meeting=meeting).values_list("attendance", flat=True)) == {Attendance.PRESENT}

    # The chair's attendance panel follows by itself: both present, quorum reached.
    page.locator("[data-quorum='yes']").wait_for()
    assert page.locator("[data-present]").inner_text().strip() == "2"

    # --- the chair opens the meeting, adds a secret vote and opens it --------------------------------------------
    page.get_by_role("button", name="Khai mạc hội nghị").click()
    page.get_by_text("Hội nghị đã khai mạc.").wait_for()
    page.get_by_label("Nội dung biểu quyết").fill(QUESTION)
    page.get_by_label("Hình thức").select_option("secret")
    page.get_by_role("button", name="Thêm biểu quyết").click()
    vote_row = page.locator(".room-vote", has_text=QUESTION)
    vote_row.wait_for()
    assert page.get_by_label("Nội dung biểu quyết").input_value() == ""  # the form was emptied
    vote_row.get_by_role("button", name="Mở biểu quyết").click()
    page.locator(".room-vote[data-status='open']").wait_for()
    vote = Vote.objects.get(meeting=meeting)
    assert vote.status == VoteStatus.OPEN and vote.kind == "secret"

    # --- each tablet shows the question by itself; each delegate answers once ------------------------------------
    for tablet, choice in zip(tablets, ("Tán thành", "Tán thành"), strict=True):
        tpage = tablet.page
        tpage.get_by_role("heading", name=QUESTION).wait_for()
        button = tpage.get_by_role("button", name=choice, exact=True)
        if tablet is tablets[0]:
            tablet.shot("3-tablet-ballot")
        box = button.bounding_box()
        assert box["height"] >= 90  # big buttons
        button.tap()
        tpage.locator("[data-recorded]").wait_for()
        panel = tpage.locator("#vote-panel").inner_text()
        assert "Đã ghi nhận biểu quyết của đồng chí." in panel
        assert "Tán thành" not in panel and "Không tán thành" not in panel  # nothing about the answer
        assert tpage.locator("button[data-choice]").count() == 0  # one answer only
    tablets[1].shot("3-tablet-recorded-after")
    assert BallotReceipt.objects.filter(vote=vote).count() == 2

    # --- the chair's screen counts how many have voted (not how), then closes the vote ---------------------------
    page.locator(".room-vote-live[data-voted='2']").wait_for()
    live = page.locator(".room-vote-live").inner_text()
    assert "2 đại biểu đã biểu quyết trên máy tính bảng" in live
    assert "tán thành (" not in page.locator("#votes-panel").inner_text()
    chair.shot("4-room-counting")
    page.locator(".room-vote", has_text=QUESTION).get_by_role("button", name="Kết thúc và kiểm phiếu").click()
    result = page.locator(".room-vote[data-status='closed'] [data-result]")
    result.wait_for()
    assert "2/2 tán thành (100,0%)" in result.inner_text() and "Thông qua" in result.inner_text()
    chair.shot("5-room-result")
    vote.refresh_from_db()
    assert (vote.agree_count, vote.base_count, vote.passed) == (2, 2, True)
    assert sum(SecretTally.objects.filter(vote=vote).values_list("count", flat=True)) == 2

    # --- the tablets show the result by themselves ------------------------------------------------------------
    for tablet in tablets:
        tablet.page.locator("[data-last-result]").wait_for()
        assert "2/2 tán thành (100,0%)" in tablet.page.locator("[data-last-result]").inner_text()
    tablets[0].shot("6-tablet-result")

    errors = chair.errors + [e for t in tablets for e in t.errors]
    assert errors == []
