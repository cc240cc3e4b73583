"""The incoming document journey in a browser: the clerk uploads a scan and waits for it to be digitized, then
registers it (desktop, 1366×768); the leader gives the directive on the document page (desktop); a co-operating
handler marks their part done and the lead handler reads the document in the pdf.js viewer, records progress
and closes it (tablet, 800×1280). The processing history on the page tells the whole story.

Playwright on Debian's Chromium (``browser_type_launch_args`` in tests/conftest.py). Vietnamese pages: the
project's Vietnamese catalogue (locale/vi)
compiled for the test. Digitizing runs inline (``celery_eager``), OCR included. Screenshots go to
``PARTYHUB_SCREENSHOT_DIR`` (test-results/ by default).
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from documents.models import HandlingKind, IncomingDocument, IncomingStatus
from tests.documents.scans import scan_pdf
from tests.factories import MemberFactory, PositionFactory, PositionTitleFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = Path(os.environ.get("PARTYHUB_SCREENSHOT_DIR", ROOT / "test-results"))
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 800, "height": 1280}


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


@pytest.fixture
def cohandler(org_tree):
    user = UserFactory(username="cohandler", full_name="Lê Thị Phối Hợp")
    member = MemberFactory(full_name=user.full_name, organization=org_tree["cell_b"], user=user)
    PositionFactory(
        member=member,
        organization=org_tree["office"],
        title=PositionTitleFactory(name="Chuyên viên tổng hợp", grants_handler=True),
        start_date=datetime.date(2025, 9, 1),
    )
    return user


class Browser:
    """One signed-in user in their own browser context, failing the test on page errors and HTTP errors."""

    def __init__(self, browser, live_server, viewport):
        self.base = live_server.url
        self.context = browser.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
        )

    def sign_in(self, username, password):
        page = self.page
        page.goto(f"{self.base}/accounts/login/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{self.base}/")

    def shot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"incoming-{name}.png"), full_page=True)

    def close(self):
        self.context.close()
        assert not self.errors, self.errors


def test_clerk_registers_leader_directs_handlers_complete(
    live_server,
    browser,
    org_tree,
    clerk,
    leader,
    handler,
    cohandler,
    password,
    celery_eager,
    private_storage,
    ui_vietnamese_catalogue,
    tmp_path,
):
    scan = tmp_path / "nghi-quyet-57.pdf"
    scan.write_bytes(scan_pdf())

    # --- the clerk receives the scan and registers it (desktop) -----------------------------------------------
    clerk_ui = Browser(browser, live_server, DESKTOP)
    page = clerk_ui.page
    clerk_ui.sign_in("clerk", password)
    page.goto(f"{live_server.url}/documents/receive/")
    page.locator("form.receive-form input[type=file]").set_input_files(str(scan))
    page.locator("form.receive-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/documents/drafts/"), timeout=180_000)  # the OCR runs inline
    # Digitizing (OCR) ran inline; the drafts table shows it done and offers "Register".
    page.locator(".draft-row.state-done").first.wait_for(timeout=120_000)
    clerk_ui.shot("1-clerk-drafts")
    document = IncomingDocument.objects.get()
    assert document.processing_state == "done"
    page.locator(f"#draft-{document.pk} a[href$='/register/']").click()
    page.wait_for_url(re.compile(r"/register/$"))

    form = page.locator("form.register-form")
    form.locator("[name=sender]").fill("Tỉnh ủy An Giang")
    form.locator("[name=number_symbol]").fill("57-NQ/TU")
    form.locator("[name=document_date]").fill("05/03/2026")
    form.locator("[name=summary]").fill("Nghị quyết về chuyển đổi số trong hoạt động của Đảng bộ")
    form.locator("[name=signer_name]").fill("Nguyễn Văn Bí Thư")
    form.locator("[name=urgency]").select_option("khan")
    form.locator("[name=document_type]").select_option(label="Nghị quyết (NQ)")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    if page.locator("form.register-form .errorlist, form.register-form .form-errors").count():
        clerk_ui.shot("2-clerk-register-errors")
        problems = page.locator("form.register-form .errorlist").all_inner_texts()
        pytest.fail(f"Registering (D2's page) refused the form: {problems}")
    page.wait_for_url(re.compile(rf"/documents/incoming/{document.pk}/$"))
    document.refresh_from_db()
    assert document.status == IncomingStatus.REGISTERED and document.number == 1
    assert page.get_by_role("heading", name="57-NQ/TU").is_visible()
    assert "Khẩn" in page.locator(".doc-marks .tag.urgent").inner_text()  # in words, not colour alone
    clerk_ui.shot("2-clerk-registered")
    clerk_ui.close()

    # --- the leader gives the directive (desktop) ---------------------------------------------------------------
    leader_ui = Browser(browser, live_server, DESKTOP)
    page = leader_ui.page
    leader_ui.sign_in("leader", password)
    page.get_by_role("link", name="57-NQ/TU").first.click()  # home: "waiting for your directive"
    page.wait_for_url(re.compile(rf"/documents/incoming/{document.pk}/$"))
    page.locator("[data-pdf-viewer][data-pdf-rendered=true]").wait_for(timeout=30_000)
    panel = page.locator("#handling-panel")
    panel.get_by_label("Chủ trì").select_option(label=handler.full_name)
    panel.locator("fieldset.people").first.get_by_label(cohandler.full_name).check()
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    panel.get_by_label("Hạn xử lý").fill(deadline.strftime("%d/%m/%Y"))
    panel.get_by_label("Ý kiến chỉ đạo").fill("Văn phòng chủ trì tham mưu kế hoạch thực hiện, báo cáo trước hạn.")
    leader_ui.shot("3-leader-directing")
    panel.get_by_role("button", name="Ghi ý kiến chỉ đạo").click()
    page.get_by_role("status").filter(has_text="Đã ghi ý kiến chỉ đạo").wait_for()
    assert page.locator(".assignment.role-lead .assignment-name").inner_text() == handler.full_name
    leader_ui.shot("4-leader-directed")
    leader_ui.close()

    # --- the co-operating handler marks their part done (tablet) ------------------------------------------------
    co_ui = Browser(browser, live_server, TABLET)
    page = co_ui.page
    co_ui.sign_in("cohandler", password)
    page.get_by_role("link", name="57-NQ/TU").first.click()  # home: "documents to handle"
    page.wait_for_url(re.compile(rf"/documents/incoming/{document.pk}/$"))
    page.get_by_role("button", name="Đánh dấu phần việc đã xong").click()
    page.get_by_role("status").filter(has_text="Đã đánh dấu phần việc").wait_for()
    co_ui.close()

    # --- the lead handler reads it, records progress and closes it (tablet) -------------------------------------
    lead_ui = Browser(browser, live_server, TABLET)
    page = lead_ui.page
    lead_ui.sign_in("handler", password)
    page.goto(f"{live_server.url}/documents/")
    item = page.locator(".doc-list a", has_text="57-NQ/TU")
    assert "Khẩn" in item.inner_text()  # urgency marked in the queue, in words
    item.click()
    page.wait_for_url(re.compile(rf"/documents/incoming/{document.pk}/$"))
    # The pdf.js viewer draws the first page, fitted to the tablet's width.
    page.locator("[data-pdf-viewer][data-pdf-rendered=true]").wait_for(timeout=30_000)
    canvas = page.locator("[data-pdf-canvas]").bounding_box()
    stage = page.locator("[data-pdf-stage]").bounding_box()
    assert canvas["width"] > 0.8 * stage["width"] and canvas["width"] <= stage["width"]
    assert page.locator("[data-pdf-page-count]").inner_text() == "1"
    page.get_by_role("button", name="Phóng to").click()
    page.wait_for_function("document.querySelector('[data-pdf-zoom-level]').textContent !== ''")
    lead_ui.shot("5-handler-viewer")
    page.get_by_role("button", name="Vừa chiều rộng").click()

    panel = page.locator("#handling-panel")
    panel.get_by_label("Nội dung đã thực hiện").fill("Đã dự thảo kế hoạch, xin ý kiến các ban.")
    panel.get_by_role("button", name="Lưu tiến độ").click()
    page.get_by_role("status").filter(has_text="Đã ghi nhận tiến độ").wait_for()
    panel = page.locator("#handling-panel")
    panel.get_by_label("Kết quả xử lý").fill("Đã ban hành kế hoạch thực hiện.")
    panel.get_by_role("button", name="Kết thúc xử lý").click()
    page.get_by_role("status").filter(has_text="Văn bản đã được kết thúc xử lý").wait_for()
    lead_ui.shot("6-handler-closed")

    # The history on the page, in order, after a reload.
    page.reload()
    page.locator("[data-pdf-viewer][data-pdf-rendered=true]").wait_for(timeout=30_000)
    entries = page.locator(".history-entry .history-head strong").all_inner_texts()
    assert entries[-4:] == [
        "Lãnh đạo cho ý kiến chỉ đạo",
        "Hoàn thành phần việc",
        "Cập nhật tiến độ",
        "Người chủ trì kết thúc xử lý",
    ], entries
    history = page.locator(".history").inner_text()
    for text in (
        "Văn phòng chủ trì tham mưu kế hoạch thực hiện",
        "Đã dự thảo kế hoạch, xin ý kiến các ban.",
        "Đã ban hành kế hoạch thực hiện.",
    ):
        assert text in history
    assert page.locator(".doc-marks .tag.status-done").is_visible()
    lead_ui.shot("7-handler-history")
    lead_ui.close()

    document.refresh_from_db()
    assert document.status == IncomingStatus.DONE
    assert list(document.history.order_by("id").values_list("kind", flat=True))[-4:] == [
        HandlingKind.DIRECTED,
        HandlingKind.DONE,
        HandlingKind.PROGRESS,
        HandlingKind.CLOSED,
    ]
