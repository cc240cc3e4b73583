"""A cell secretary records this month's party fee payments at desktop size (1366×768): signs in, opens the
cell's fee sheet from the home page, ticks several members, saves, and sees the totals and the collection rate
change — without a page reload (htmx swaps the sheet).

Playwright on Debian's Chromium (``browser_type_launch_args`` in tests/conftest.py). Vietnamese pages: the
UI's and this area's PO fragments are compiled into a catalogue for the test (they are merged into
locale/vi by the lead). Screenshots go to ``PARTYHUB_SCREENSHOT_DIR`` (test-results/ by default).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings

from members.models import FeeCategory, FeeDeclaration, FeePayment
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
DESKTOP = {"width": 1366, "height": 768}


def _member(cell, name, category, basis=0):
    member = MemberFactory(full_name=name, organization=cell, admission_date=datetime.date(2001, 9, 2))
    FeeDeclaration.objects.create(
        member=member, valid_from=datetime.date(2025, 1, 1), category=category, basis_amount=basis
    )
    return member


def test_cell_secretary_records_this_months_payments(
    live_server, browser, org_tree, cell_secretary, password, ui_vietnamese_catalogue, fee_rules
):
    cell = org_tree["cell_a"]
    FeeDeclaration.objects.create(
        member=cell_secretary.member,
        valid_from=datetime.date(2025, 1, 1),
        category=FeeCategory.SALARY,
        basis_amount=9_200_000,
    )
    people = [
        _member(cell, "Lê Văn Lương", FeeCategory.SALARY, 8_500_000),
        _member(cell, "Phạm Thị Hoa", FeeCategory.STUDENT),
        _member(cell, "Trần Văn Hưu", FeeCategory.PENSION, 4_000_000),
        _member(cell, "Nguyễn Thị Bình", FeeCategory.OTHER, 4_960_000),
    ]
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill("cellsec")
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{live_server.url}/")

        # The home page leads to this month's sheet of the secretary's cell.
        page.get_by_role("link", name="Đảng phí tháng").first.click()
        page.wait_for_load_state()
        assert "/members/cells/" in page.url
        assert page.get_by_role("heading", name="Thu đảng phí tháng").is_visible()
        totals = page.locator(".fee-totals")
        # 92,000 + 85,000 + 5,000 + 20,000 + 24,800 (0.5 % of 4,960,000) due this month, nothing paid yet.
        assert totals.locator('[data-total="due"]').inner_text() == "226.800 đ"
        assert totals.locator('[data-total="paid"]').inner_text() == "0 đ"
        assert totals.locator('[data-total="rate"]').inner_text().startswith("0%")
        page.screenshot(path=str(SCREENSHOTS / "fee-sheet-desktop-before.png"), full_page=True)

        # Tick three members; change one amount (a member may pay more).
        for member in people[:3]:
            page.get_by_label(f"Ghi nhận khoản đóng của {member.full_name}").check()
        amount = page.get_by_label(f"Số tiền {people[2].full_name} đóng (đồng)")
        amount.fill("25000")
        page.get_by_role("button", name="Ghi nhận các khoản đã chọn").click()
        status = page.get_by_role("status").filter(has_text="Đã ghi nhận 3 khoản đóng.")
        status.wait_for()

        # The sheet was swapped in place (htmx): the totals and the rate changed.
        assert totals.locator('[data-total="paid"]').inner_text() == "110.000 đ"  # 85,000 + 5,000 + 20,000 due
        assert totals.locator('[data-total="balance"]').inner_text() == "116.800 đ"
        assert totals.locator('[data-total="rate"]').inner_text().startswith("48,5%")
        assert "3/5 đảng viên" in totals.locator('[data-total="rate"]').inner_text()
        assert page.locator(f'tr[data-member="{people[0].pk}"] .fee-status.paid').first.is_visible()
        assert page.get_by_label(f"Ghi nhận khoản đóng của {people[3].full_name}").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "fee-sheet-desktop-after.png"), full_page=True)

        month = datetime.date.today().replace(day=1)
        assert sorted(FeePayment.objects.filter(month=month).values_list("amount", flat=True)) == [
            5_000,
            25_000,
            85_000,
        ]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert errors == []
        assert failed == []
    finally:
        context.close()
