"""A member opens their handbook on a phone (390×844, touch), sees their record, fees and the empty
documents section, and sends a correction request that reaches the party office.

Playwright on Debian's Chromium (tests/conftest.py); screenshots go to PARTYHUB_SCREENSHOT_DIR or test-results/.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings

from members.models import CorrectionRequest, FeePayment, Member
from partyhub.models import Notification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def handbook_member(member_user, cell_secretary, clerk, org_tree):
    Member.objects.filter(user=cell_secretary).update(phone="0987654321")
    member = Member.objects.get(user=member_user)
    Member.objects.filter(pk=member.pk).update(
        id_number="091080001234",
        phone="0912345678",
        current_address="Tổ 3, ấp Phước Hưng",
        date_of_birth=datetime.date(1980, 3, 15),
        party_card_number="18012345",
    )
    year = datetime.date.today().year
    FeePayment.objects.create(
        member=member,
        month=datetime.date(year, 1, 1),
        amount=30000,
        paid_on=datetime.date(year, 1, 20),
        organization=org_tree["cell_a"],
    )
    return member


def test_member_reads_handbook_and_asks_for_a_correction(
    live_server, browser, handbook_member, member_user, clerk, password, ui_vietnamese_catalogue
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="vi-VN", **PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    year = datetime.date.today().year
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill("member")
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{live_server.url}/")

        # The handbook is in the member's menu.
        page.get_by_role("button", name="Danh mục").tap()
        handbook_link = page.get_by_role("link", name="Sổ tay đảng viên")
        assert handbook_link.is_visible()
        handbook_link.tap()
        page.wait_for_url(f"{live_server.url}/members/handbook/")

        assert page.get_by_role("heading", name=handbook_member.full_name).is_visible()
        assert page.get_by_role("heading", name="Hồ sơ của tôi").is_visible()
        assert page.get_by_text("091080001234").is_visible()  # their own data, unmasked
        assert page.get_by_text("15/03/1980").first.is_visible()
        assert page.get_by_role("link", name="Gọi 0987654321").is_visible()
        assert page.get_by_role("heading", name=f"Đảng phí năm {year}").is_visible()
        assert page.get_by_text("30.000 đ").is_visible()
        documents = page.get_by_role("heading", name="Văn bản được chia sẻ với đồng chí")
        documents.scroll_into_view_if_needed()
        assert documents.is_visible()
        assert page.get_by_text("Chưa có văn bản nào được chia sẻ với đồng chí.").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / "handbook-phone-vi.png"), full_page=True)

        # Ask for a correction.
        page.get_by_label("Mục nào chưa đúng?").select_option("date_of_birth")
        page.get_by_label("Nội dung đúng là gì?").fill("Ngày sinh của tôi là 15/03/1981, không phải 1980.")
        send = page.get_by_role("button", name="Gửi đề nghị")
        box = send.bounding_box()
        assert box is not None and box["height"] >= 44  # a finger-sized target
        with page.expect_navigation(url=f"{live_server.url}/members/handbook/"):
            send.tap()
        assert page.get_by_text("Đề nghị đã được gửi tới Văn phòng Đảng ủy.").is_visible()
        assert page.get_by_role("heading", name="Đề nghị đã gửi").is_visible()
        page.get_by_role("heading", name="Đề nghị đã gửi").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "handbook-phone-vi-correction-sent.png"), full_page=True)

        request = CorrectionRequest.objects.get(member=handbook_member)
        assert request.field_name == "date_of_birth"
        assert "15/03/1981" in request.message
        assert Notification.objects.filter(recipient=clerk, kind="member_correction_requested").exists()
        assert errors == []
        assert failed == []
    finally:
        context.close()
